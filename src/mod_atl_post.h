/* SPDX-License-Identifier: Apache-2.0 */
/* AtlassianPreservePost: a form POST that meets a missing or expired login
 * is kept, sealed in the session, and sent again once, to the URL it was
 * made to, by a small page right after the login. */
#ifndef MOD_ATL_POST_H
#define MOD_ATL_POST_H

#include "mod_atl.h"
#include "mod_session.h"

#include "atl_keptpost.h"
#include "mod_atl_config.h"

/* Bytes of request body read at most; a larger one is never kept. */
#define ATL_POST_MAX ATL_KEPTPOST_MAX

/* Whether this request is a form POST that the location asks to keep:
 * AtlassianPreservePost On, POST, application/x-www-form-urlencoded, not
 * the callback, not a subrequest or internal redirect. */
int atl_post_wanted(request_rec *r, const atl_srv_conf *c, const atl_dir_conf *d);

/* Check a wanted POST and read its body before its login starts; url is
 * the URL the login would come back to (before atl_redirect_return_url).
 * Returns 1 when it can be kept (it then waits in the request for
 * atl_post_keep), 0 when not (not shown to be same-origin, its URL too
 * long for the pending login, its body too large, malformed or unreadable;
 * logged): the request then gets the 401 it would get without the
 * directive, and the session is not touched. */
int atl_post_take(request_rec *r, const atl_srv_conf *c, const char *url);

/* Store the body that atl_post_take read, bound to the state of the login
 * that was just started (nothing when there is none). */
void atl_post_keep(request_rec *r, session_rec *z, const atl_srv_conf *c,
                   const char *state);

/* The end of a login whose state is given: the kept POST leaves the
 * session whatever happens (used once); when it belongs to this login and
 * back is a local URL other than the callback, the answer is the page that
 * sends it again to back (DONE: the page was written); otherwise a 302 to
 * back. */
int atl_post_after_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                         const char *state, const char *back);

/* Remove a kept POST (logout). */
void atl_post_forget(request_rec *r, session_rec *z, const atl_srv_conf *c);

#endif
