/* SPDX-License-Identifier: Apache-2.0 */
/* The query string of a request to the callback URL: code, state, error,
 * logout and info, each checked before the glue acts on it. */
#ifndef ATL_QUERY_H
#define ATL_QUERY_H

#include <apr_pools.h>
#include "atl_status.h"

/* Limits on what the callback accepts from the browser. */
#define ATL_QUERY_MAX       8192
#define ATL_QUERY_MAX_CODE  2048
#define ATL_QUERY_MAX_STATE 128
#define ATL_QUERY_MAX_ERROR 256
#define ATL_QUERY_MAX_INFO  16

typedef struct {
    const char *code, *state, *error, *logout, *info; /* NULL: absent */
} atl_query_t;

/* Split args (r->args, may be NULL) into q. Parameters the module does not
 * know are ignored; its own must appear at most once, be non-empty, be
 * properly %-escaped ('+' is a space) and carry no control character or
 * NUL once decoded. Returns APR_SUCCESS, or ATL_E_BADINPUT with *why set
 * to a sentence for the log (it names the parameter, never its value). */
apr_status_t atl_query_parse(atl_query_t *q, const char **why, apr_pool_t *p,
                             const char *args);

#endif
