/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership checked again once it is older than
 * AtlassianGroupCheckInterval, once per login across threads, processes
 * and nodes (through AtlassianCache); and a login's failed check shared the
 * same way. */
#ifndef MOD_ATL_RECHECK_H
#define MOD_ATL_RECHECK_H

#include "mod_atl.h"
#include "mod_session.h"

#include "atl_gcheck.h"
#include "atl_identity.h"
#include "mod_atl_config.h"

/* check_authn, for a login in a location with a Require atlassian-group:
 * when the membership is older than AtlassianGroupCheckInterval, check it
 * again (or take the check another request made) and write it into the
 * session. A site whose membership cannot be read is noted for the Require
 * provider (see atl_groups_failure) and does not grant. Returns the
 * identity, or NULL when the login is over (its token is refused or gone:
 * the user must log in again; the login is removed from the session). */
atl_identity_t *atl_groups_recheck(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                   const atl_dir_conf *d, atl_identity_t *id);

/* A login whose group check failed on a site (atl_groups_login): the
 * failure is shared, so that the next request answers it without calling
 * Atlassian before it may (Retry-After). */
void atl_groups_share_failure(request_rec *r, const atl_srv_conf *c,
                              const atl_identity_t *id, const atl_gcheck_t *g);

#endif
