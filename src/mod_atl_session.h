/* SPDX-License-Identifier: Apache-2.0 */
/* The module's values in mod_session: loading, unsealing and storing the
 * login and the pending logins (what a request learnt about its login is
 * mod_atl_req.c's). */
#ifndef MOD_ATL_SESSION_H
#define MOD_ATL_SESSION_H

#include "mod_atl.h"
#include "mod_session.h"
#include <apr_tables.h>

#include "atl_identity.h"
#include "mod_atl_config.h"

/* Budget for the module's sealed values, so a session cookie (with its
 * name, attributes and the url-encoding of mod_session) stays under 4 KB. */
#define ATL_BUDGET_TOTAL   3400
#define ATL_BUDGET_PENDING 1800
/* A form POST kept across a login (AtlassianPreservePost) lives beside the
 * pending logins, while the session holds no login: it gets what they
 * leave of the total. */
#define ATL_BUDGET_POST (ATL_BUDGET_TOTAL - ATL_BUDGET_PENDING)

/* child_init: make this process's memo of verified logins. */
void atl_session_child_init(apr_pool_t *pchild, server_rec *s);

/* post_config: fetch mod_session's optional functions; 0 when missing. */
int atl_session_init(void);

apr_int64_t atl_now(void);

/* The session of this chain of requests, loaded once (NULL: no session
 * here: "Session On" or a store is missing). */
session_rec *atl_load_session(request_rec *r);

/* After atl_load_session: the name of the session cookie (SessionCookieName)
 * when the browser sent it with two values that both unseal as logins of
 * different accounts (one planted from a sibling domain or over plain
 * http), or NULL. Values that do not unseal are ignored, and one value
 * that holds the module's sealed values becomes the session; another
 * application's cookies never count. */
const char *atl_session_cookie_tossed(request_rec *r);
apr_status_t atl_store_login(request_rec *r, session_rec *z, const char *sealed);
int atl_commit(request_rec *r, int status);
/* Whether the login is older than the AtlassianSessionLifetime of the
 * location d (or from the future): each request, subrequests and internal
 * redirects included, is held to the lifetime of its own location. */
int atl_login_expired(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d);
/* The login the session holds, unsealed and decoded once per chain of
 * requests (NULL: none, or not readable); its lifetime is not checked
 * (atl_load_identity in mod_atl_refresh.c does that, and the refresh). */
atl_identity_t *atl_read_login(request_rec *r, session_rec *z, const atl_srv_conf *c);
/* Seal the changed login id and store it in session z (saved by
 * check_authn, once, with whatever else the request changes). */
apr_status_t atl_save_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                            atl_identity_t *id);
apr_status_t atl_seal_login(const char **sealed, request_rec *r, const atl_srv_conf *c,
                            atl_identity_t *id);

apr_array_header_t *atl_load_pending(request_rec *r, session_rec *z,
                                     const atl_srv_conf *c);
apr_status_t atl_store_pending(request_rec *r, session_rec *z, const atl_srv_conf *c,
                               apr_array_header_t *list, apr_size_t budget);

/* The kept form POST (see mod_atl_post.c), sealed with a purpose of its
 * own. store: plain NULL removes it; APR_ENOSPC when the sealed value
 * would be longer than budget (nothing is stored). load: NULL when there
 * is none or it does not unseal. */
apr_status_t atl_store_post(request_rec *r, session_rec *z, const atl_srv_conf *c,
                            const char *plain, apr_size_t len, apr_size_t budget);
const char *atl_load_post(apr_size_t *len, request_rec *r, session_rec *z,
                          const atl_srv_conf *c);

#endif
