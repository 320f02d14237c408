/* SPDX-License-Identifier: Apache-2.0 */
/* The calls to Atlassian that end a login, in as few waves as their data
 * allows (see atl_login_calls). */
#ifndef MOD_ATL_LOGIN_H
#define MOD_ATL_LOGIN_H

#include "mod_atl.h"

#include "atl_identity.h"
#include "atl_oauth.h"
#include "mod_atl_config.h"

/* Exchange code for a token and read the identity: the profile, the sites
 * when want_sites or a Require atlassian-group needs them, and the groups
 * of this server's Require atlassian-group lines (id->login_time is set).
 * Returns OK with *tok and *id, or the status of the page already made
 * for a failure (logged and counted). */
/* The redirect URI sent to Atlassian for this request. */
const char *atl_redirect_uri(request_rec *r, const atl_srv_conf *c);

int atl_login_calls(atl_token_t **tok, atl_identity_t **id, request_rec *r,
                    const atl_srv_conf *c, const char *code, int want_sites);

#endif
