/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets in the configuration: "file:/path", "env:NAME", or literal. */
#ifndef ATL_SECRET_H
#define ATL_SECRET_H

#include <apr_pools.h>
#include "atl_status.h"

/* Resolve spec: "file:/path" reads the file (one trailing "\n" or "\r\n"
 * removed; an empty file or one over 64 KB is an error), "env:NAME" reads
 * the environment variable (unset or empty is an error), anything else is
 * the value itself. *errmsg names the file or variable, never the value. */
apr_status_t atl_secret_resolve(const char **value, apr_size_t *len, const char **errmsg,
                                apr_pool_t *p, const char *spec);

#endif
