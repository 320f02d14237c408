/* SPDX-License-Identifier: Apache-2.0 */
/* Everything JSON (json-c): the token request and answer, the /me profile,
 * accessible-resources, and the ?info=json document. The only file that
 * includes json-c. */
#ifndef ATL_JSON_H
#define ATL_JSON_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"
#include "atl_identity.h"

typedef struct {
    const char *access_token;
    const char *refresh_token; /* NULL when absent */
    const char *token_type;    /* "Bearer" (checked case-insensitively) */
    const char *scope;         /* NULL when absent */
    apr_int64_t expires_in;    /* seconds, 0 when absent */
} atl_token_t;

/* The token request body. grant_type "authorization_code" uses code and
 * redirect_uri; "refresh_token" uses refresh_token (passed as code). */
apr_status_t atl_json_token_request(const char **body, apr_pool_t *p,
                                    const char *grant_type, const char *client_id,
                                    const char *client_secret, const char *code,
                                    const char *redirect_uri);

/* A 2xx token answer. Fails with ATL_E_MALFORMED (and *errmsg) when it is
 * not a JSON object, when access_token is missing, empty, not a string or
 * has control characters, when token_type is present and not "bearer"
 * (any case), when expires_in is not a number. */
apr_status_t atl_json_parse_token(atl_token_t **tok, const char **errmsg, apr_pool_t *p,
                                  const char *body, apr_size_t len);

/* The "error" and "error_description" of an error answer, sanitised and
 * cut to 128 bytes, for the log. Both NULL when absent or not JSON. */
void atl_json_parse_error(const char **error, const char **description, apr_pool_t *p,
                          const char *body, apr_size_t len);

/* Fill id->f[] from a /me answer (sanitised, cut to the limits of
 * atl_identity.h). Fails with ATL_E_MALFORMED when it is not a JSON object
 * or account_id is not a non-empty string. A field of the wrong type is
 * skipped (never stringified). email_verified must be a JSON boolean. */
apr_status_t atl_json_parse_profile(atl_identity_t *id, const char **errmsg,
                                    apr_pool_t *p, const char *body, apr_size_t len);

/* An accessible-resources answer: an array of objects with "id", "name",
 * "url", "scopes". Entries without a string id are skipped; the host is
 * taken from the url (lower case). At most ATL_IDENTITY_MAX_SITES entries
 * are kept; an entry with the id and host of one already kept only adds its
 * scopes to it. scopes stays NULL for a site whose entries have no
 * "scopes" array; non-string and unclean scopes are skipped.
 * Fails with ATL_E_MALFORMED when it is not a JSON array. */
apr_status_t atl_json_parse_sites(apr_array_header_t **sites, const char **errmsg,
                                  apr_pool_t *p, const char *body, apr_size_t len);

/* The ?info=json document: every present field under its json name
 * (account_id, email, ..., "sites": [hosts], "site_ids": [ids],
 * "login_time": number, "email_verified": boolean), plus "access_token"
 * only when with_token is non-zero. */
apr_status_t atl_json_identity(const char **json, apr_pool_t *p, const atl_identity_t *id,
                               int with_token);

#endif
