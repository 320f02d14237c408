/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MOD_ATL_CHECK_H
#define MOD_ATL_CHECK_H

#include "httpd.h"

/* check_config: refuse to start when the configuration is incomplete. */
int atl_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s);

#endif
