/* SPDX-License-Identifier: Apache-2.0 */
/* What a request learnt about its login, shared with the Require
 * providers, subrequests and internal redirects through the request
 * config. This file's functions are the only way to it: the record itself
 * is private to mod_atl_req.c. "The chain" is the first request of a chain
 * of subrequests and internal redirects (atl_initial): what is kept there
 * is seen by every request of the chain. */
#ifndef MOD_ATL_REQ_H
#define MOD_ATL_REQ_H

#include "mod_atl.h"
#include "mod_session.h"
#include <apr_tables.h>

#include "atl_identity.h"

/* The first request of a chain of subrequests and internal redirects. */
request_rec *atl_initial(request_rec *r);

/* -- the login of this request ---------------------------------------------- */

/* check_authn decided this request: logged in as id (NULL: anonymous). */
void atl_req_set_login(request_rec *r, atl_identity_t *id);
/* The login of this request, without deciding it (?info=json keeps the
 * identity it read for check_authn; the handler sets what it exports). */
void atl_req_set_identity(request_rec *r, atl_identity_t *id);
atl_identity_t *atl_req_identity(request_rec *r);
/* Whether check_authn decided this request (atl_req_set_login). */
int atl_req_decided(request_rec *r);
/* The identity of this request, or of the request it derives from. */
atl_identity_t *atl_get_identity(request_rec *r);

/* -- the handler, and mod_dir's subrequests ---------------------------------- */

/* The request reached its handler (right before it). */
void atl_req_mark_handler(request_rec *r);
/* Whether it did (false for a request the module never saw). */
int atl_req_reached_handler(request_rec *r);
/* A subrequest logged in as id: kept on its main request, which mod_dir
 * (DirectoryIndex, FallbackResource) may turn into the subrequest itself
 * (ap_internal_fast_redirect). */
void atl_req_note_subrequest(request_rec *r, atl_identity_t *id);
/* On a main request that mod_dir turned into its protected subrequest:
 * that subrequest's login, user and request headers; NULL otherwise. */
atl_identity_t *atl_req_subrequest_login(request_rec *r, const char **user,
                                         apr_table_t **headers_in);

/* -- the session (mod_atl_session.c) ------------------------------------------ */

/* The session loaded for the chain (NULL: not loaded yet), and keeping it. */
session_rec *atl_req_session(request_rec *r);
void atl_req_keep_session(request_rec *r, session_rec *z);
/* The login read from the chain's session z, once per chain: 1 and *id
 * when it was read already; keep it; forget it (the login was stored). */
int atl_req_session_login(atl_identity_t **id, request_rec *r, session_rec *z);
void atl_req_keep_session_login(request_rec *r, session_rec *z, atl_identity_t *id);
void atl_req_forget_session_login(request_rec *r);
/* The session cookie's name when it came with the logins of two different
 * accounts (see atl_session_cookie_tossed), or NULL. */
void atl_req_note_tossed(request_rec *r, const char *cookie_name);
const char *atl_req_tossed(request_rec *r);
/* This request set a value in session z; taken (and cleared) to save it. */
void atl_req_note_changed(request_rec *r, session_rec *z);
session_rec *atl_req_take_changed(request_rec *r);

/* -- the group check (noted by mod_atl_recheck.c, read by mod_atl_groups.c) -- */

/* The sites whose group membership could not be read for this chain. */
void atl_req_note_group_fails(request_rec *r, apr_array_header_t *fails);
const apr_array_header_t *atl_req_group_fails(request_rec *r);

/* -- the export (mod_atl_export.c) ---------------------------------------------- */

/* What atl_export left in this request's tables (NULL: nothing yet). */
struct atl_export_snap_t;
struct atl_export_snap_t *atl_req_export_snap(request_rec *r);
void atl_req_keep_export_snap(request_rec *r, struct atl_export_snap_t *snap);

#endif
