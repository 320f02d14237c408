/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping a login's access token fresh (AtlassianRefresh), once per login
 * across threads, processes and nodes, through the shared cache. */
#ifndef MOD_ATL_REFRESH_H
#define MOD_ATL_REFRESH_H

#include "mod_atl.h"
#include "mod_session.h"

#include "atl_identity.h"
#include "mod_atl_config.h"

/* For a login that atl_load_identity accepted: when the login keeps a
 * refresh token and its access token expires within ATL_REFRESH_MARGIN
 * seconds (or has expired), refresh it (or take the outcome another
 * request already shared) and write the new tokens into the session.
 * Returns the identity to use, or NULL when Atlassian refused the refresh
 * token (the login is over and removed from the session). An access token
 * that has expired and could not be refreshed is left out of the returned
 * identity, so it is never passed on. */
atl_identity_t *atl_refresh_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  atl_identity_t *id);

/* The login of this request: read from the session (atl_read_login),
 * held to the AtlassianSessionLifetime of the location d, and with
 * AtlassianRefresh fresh tokens or none that has expired. NULL: a new
 * login is needed. */
atl_identity_t *atl_load_identity(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  const atl_dir_conf *d);

#endif
