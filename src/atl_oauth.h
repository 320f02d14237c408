/* SPDX-License-Identifier: Apache-2.0 */
/* The calls to Atlassian after the browser comes back: code exchange,
 * profile, accessible-resources. Built on atl_http and atl_json. */
#ifndef ATL_OAUTH_H
#define ATL_OAUTH_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"
#include "atl_http.h"
#include "atl_json.h"
#include "atl_identity.h"

typedef struct {
    const char *token_url;
    const char *profile_url;
    const char *resources_url;
    const char *client_id;
    const char *client_secret;
    atl_http_opts_t http;
} atl_oauth_conf_t;

/* Every function returns APR_SUCCESS, ATL_E_TIMEOUT, ATL_E_UPSTREAM (not
 * reached, TLS, non-2xx answer), ATL_E_GRANT (a 4xx answer with
 * error=invalid_grant: the code or refresh token was refused),
 * ATL_E_TOOBIG or ATL_E_MALFORMED, and on
 * failure sets *reason: one line for the administrator (the URL called,
 * the HTTP status, Atlassian's "error" and "error_description"), never a
 * token, code or secret. */

/* POST the code to the token URL (JSON body). */
apr_status_t atl_oauth_exchange_code(atl_token_t **tok, const char **reason,
                                     apr_pool_t *p, const atl_oauth_conf_t *c,
                                     const char *code, const char *redirect_uri);

/* POST a refresh_token grant to the token URL (JSON body). Also
 * ATL_E_DENIED: the token URL answered 4xx with error "invalid_grant"
 * (the refresh token is unknown, used or revoked: the login is over). */
apr_status_t atl_oauth_refresh(atl_token_t **tok, const char **reason, apr_pool_t *p,
                               const atl_oauth_conf_t *c, const char *refresh_token);

/* GET the profile URL with the bearer token; fills id->f[]. */
apr_status_t atl_oauth_profile(atl_identity_t *id, const char **reason, apr_pool_t *p,
                               const atl_oauth_conf_t *c, const char *access_token);

/* GET the resources URL with the bearer token. */
apr_status_t atl_oauth_sites(apr_array_header_t **sites, const char **reason,
                             apr_pool_t *p, const atl_oauth_conf_t *c,
                             const char *access_token);

#endif
