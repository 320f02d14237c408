/* SPDX-License-Identifier: Apache-2.0 */
/* What the application receives: the identity as variables and headers,
 * and the removal of every other value under those names. */
#ifndef MOD_ATL_EXPORT_H
#define MOD_ATL_EXPORT_H

#include "mod_atl.h"
#include "atl_identity.h"
#include "mod_atl_config.h"

/* Remove every X-Atlassian-* request header (any case, '-' or '_'): what
 * a client sent, as the request is read. */
void atl_scrub_headers(request_rec *r);

/* Make the request's ATLASSIAN_* variables and X-Atlassian-* headers the
 * login's (id; NULL: none at all), as d says (AtlassianPassIdentityAs,
 * AtlassianPassAccessToken). Values the module set for this login stay,
 * anything else under those names goes, missing ones are set. */
void atl_export(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d);

#endif
