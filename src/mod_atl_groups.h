/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership for `Require atlassian-group site group...`: checked at
 * login for the groups this server's Require lines name, kept in the
 * sealed login, and checked again with the user's token once the
 * membership is older than AtlassianGroupCheckInterval (once per login
 * across threads, processes and nodes, through AtlassianCache). */
#ifndef MOD_ATL_GROUPS_H
#define MOD_ATL_GROUPS_H

#include "mod_atl.h"
#include "mod_session.h"
#include <apr_tables.h>

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
 */
void atl_groups_login(request_rec *r, const atl_srv_conf *c, atl_identity_t *id,
                      apr_array_header_t *sites, const char *access_token,
                      atl_http_batch_t *batch);

/* How the product calls of a group check are made (AtlassianAPIURL,
 * AtlassianTimeout, the answer's size); through batch when one is given:
 * a wave notes its calls with the same settings as the check makes them. */
void atl_groups_conf(atl_groups_conf_t *gc, const atl_srv_conf *c,
                     atl_http_batch_t *batch);

/* check_authn, for a login in a location with a Require atlassian-group:
 * when the membership is older than AtlassianGroupCheckInterval, check it
 * again (or take the check another request made) and write it into the
 * session. A site whose membership cannot be read is noted for the Require
 * provider (see atl_groups_failure) and does not grant. Returns the
 * identity, or NULL when the login is over (its token is refused or gone:
 * the user must log in again; the login is removed from the session). */
atl_identity_t *atl_groups_recheck(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                   const atl_dir_conf *d, atl_identity_t *id);

/* Why the membership on site (as configured) is not known for this
 * request: NULL when it is known. *status is 502, 503 or 504; *retry_after
 * the seconds left before Atlassian may be asked again (503), else 0. */
const char *atl_groups_failure(request_rec *r, const char *site, int *status,
                               apr_int64_t *retry_after);

#endif
