/* SPDX-License-Identifier: Apache-2.0 */
/* The /authorize URL and the extra parameters of AtlassianAuthorizeParams. */
#ifndef ATL_AUTHORIZE_H
#define ATL_AUTHORIZE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

typedef struct {
    const char *key;
    const char *value;
} atl_param_t;

/* Parse "k=v&k=v" (values taken literally; a value may be empty, "k" alone
 * means an empty value; %XX sequences are decoded). Fails with
 * ATL_E_BADINPUT and *errmsg for an empty key or one of the parameters the
 * module sets itself (audience, client_id, scope, redirect_uri, state,
 * response_type). */
apr_status_t atl_authorize_parse_params(apr_array_header_t **params, const char **errmsg,
                                        apr_pool_t *p, const char *spec);

/* base + "?" (or "&" when base has a query already) + audience,
 * client_id, scope, redirect_uri, state, response_type=code and params,
 * each key and value URL-encoded (space as %20). */
apr_status_t atl_authorize_url(const char **url, apr_pool_t *p, const char *base,
                               const char *client_id, const char *scope,
                               const char *redirect_uri, const char *state,
                               const apr_array_header_t *params);

#endif
