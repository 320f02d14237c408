/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership for `Require atlassian-group site group...`: the check
 * of the user's groups on the configured sites, at login and (for
 * mod_atl_recheck.c) again later, and the failures a request noted. */
#ifndef MOD_ATL_GROUPS_H
#define MOD_ATL_GROUPS_H

#include "mod_atl.h"
#include "mod_session.h"
#include <apr_tables.h>

#include "atl_gcheck.h"
#include "atl_groups.h"
#include "atl_http.h"
#include "atl_identity.h"
#include "mod_atl_config.h"

/* At login, with the sites just fetched (their scopes tell the product)
 * and the fresh access token (calls through batch, which may hold their
 * answers already; NULL: one call after the other): set id->groups and id->groups_checked
 * from this server's configured groups. A site whose membership could not be read leaves
 * the check due (groups_checked 0) and the failure shared, so that the next request
 * answers it without calling Atlassian before it may (Retry-After). Needs id->login_time.
 * Returns the check when a site failed, for atl_groups_share_failure; else NULL.
 */
const atl_gcheck_t *atl_groups_login(request_rec *r, const atl_srv_conf *c,
                                     atl_identity_t *id, apr_array_header_t *sites,
                                     const char *access_token, atl_http_batch_t *batch);

/* Check every configured group against the user's groups on sites, site by
 * site, into g; recheck: a refused token ends the login (g->ended). */
void atl_groups_check_sites(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                            const atl_identity_t *id, const apr_array_header_t *sites,
                            const char *token, int recheck, atl_http_batch_t *batch);

/* Every configured site fails alike (accessible-resources did not answer). */
void atl_groups_fail_all(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                         int status, apr_int64_t retry_after, const char *why);

/* A rate limit (HTTP status, Retry-After after seconds) on site, or on
 * every configured site of c when site is NULL (accessible-resources). */
void atl_groups_fail_rate(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                          const char *site, long status, apr_int64_t after);

/* The seconds before Atlassian may be asked again: given (a Retry-After
 * header), or a default when it gave none. */
apr_int64_t atl_groups_retry_after(apr_int64_t given);

/* The sites of the configured lines, each once, as configured. */
apr_array_header_t *atl_groups_config_sites(apr_pool_t *p, const atl_srv_conf *c);

/* AtlassianTimeout, in milliseconds. */
apr_interval_time_t atl_groups_timeout_ms(const atl_srv_conf *c);

/* How the product calls of a group check are made (AtlassianAPIURL,
 * AtlassianTimeout, the answer's size); through batch when one is given:
 * a wave notes its calls with the same settings as the check makes them. */
void atl_groups_conf(atl_groups_conf_t *gc, const atl_srv_conf *c,
                     atl_http_batch_t *batch);

/* Why the membership on site (as configured) is not known for this
 * request: NULL when it is known. *status is 502, 503 or 504; *retry_after
 * the seconds left before Atlassian may be asked again (503), else 0. */
const char *atl_groups_failure(request_rec *r, const char *site, int *status,
                               apr_int64_t *retry_after);

#endif
