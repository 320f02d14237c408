/*
 * mod_auth_atlassian: "Sign in with Atlassian" (OAuth 2.0 authorization code
 * grant, 3LO) for Apache httpd 2.4.
 *
 * This file holds the module record, the hooks and the request flow:
 * check_authn decides between the callback, a login carried by the session
 * and the start of a new login. Each concern of the glue has its own file
 * under src/ (mod_atl_config.c, mod_atl_session.c, mod_atl_callback.c,
 * mod_atl_export.c, mod_atl_pages.c, mod_atl_authz.c); the core (src/atl_*.c)
 * knows nothing of request_rec.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "mod_session.h"

#include <apr_strings.h>

#include "atl_authorize.h"
#include "atl_http.h"
#include "atl_redirect.h"
#include "atl_state.h"
#include "mod_atl.h"
#include "mod_atl_authz.h"
#include "mod_atl_callback.h"
#include "mod_atl_config.h"
#include "mod_atl_export.h"
#include "mod_atl_layout.h"
#include "mod_atl_pages.h"
#include "mod_atl_session.h"

static int atl_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s)
{
    if (!atl_session_init()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ATL00005: mod_session does not offer ap_session_load, "
                     "ap_session_get, ap_session_set and ap_session_save: is it "
                     "the mod_session of httpd 2.4?");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (atl_http_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ATL00003: libcurl could not be initialised");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int atl_is_ours(request_rec *r)
{
    const char *type = ap_auth_type(r);

    return type && !strcasecmp(type, ATL_AUTH_TYPE);
}

/* Whether the request can follow a redirect to a login page. */
static int atl_is_browser(request_rec *r)
{
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");
    const char *accept = apr_table_get(r->headers_in, "Accept");

    if (r->method_number != M_GET) { /* HEAD is M_GET too */
        return 0;
    }
    if (xrw && !strcasecmp(xrw, "XMLHttpRequest")) {
        return 0;
    }
    if (accept && !ap_strcasestr(accept, "text/html")) {
        return 0;
    }
    return 1;
}

static int atl_start_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                           const atl_dir_conf *d)
{
    apr_array_header_t *list = atl_load_pending(r, z, c);
    atl_pending_t *pending;
    const char *state, *url, *uri;
    int rc;

    /* Never send a browser to Atlassian for a callback that cannot work. */
    if ((rc = atl_layout_callback_ok(r, c)) != OK) {
        return rc;
    }
    if (atl_state_generate(&state, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00020: no random bytes for a login state");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    /* The original URL, local path and query only: never another host. */
    uri = r->unparsed_uri && r->unparsed_uri[0] == '/'
              ? r->unparsed_uri
              : apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), r->args ? "?" : "",
                            r->args, NULL);
    pending = &APR_ARRAY_PUSH(list, atl_pending_t);
    pending->state = state;
    pending->return_url = atl_redirect_return_url(r->pool, uri, ATL_STATE_MAX_URL);
    pending->created = atl_now();
    pending->flags =
        (d->fetch_sites == 1 || d->require_sites == 1 ? ATL_PENDING_SITES : 0)
        | (d->pass_token == 1 ? ATL_PENDING_TOKEN : 0)
        | (d->refresh == 1 ? ATL_PENDING_REFRESH : 0);
    atl_state_prune(list, pending->created, ATL_STATE_MAX_AGE, ATL_STATE_MAX_PENDING);

    /* A login value that did not pass (expired, unreadable) goes: it only
     * takes room in the cookie. */
    atl_store_login(r, z, NULL);
    if (atl_store_pending(r, z, c, list, ATL_BUDGET_PENDING) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00021: the pending login could not be stored in the "
                      "session");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    if (atl_authorize_url(&url, r->pool, atl_or(c->authorize_url, ATL_DEFAULT_AUTHORIZE),
                          c->client_id, atl_or(c->scope, ATL_DEFAULT_SCOPE),
                          atl_redirect_uri(r, c), state, c->params)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00022: the authorize URL could not be built");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ATL00023: no login: redirecting to Atlassian to sign in");
    return atl_redirect(r, url);
}

/* Every request in a location with AuthType Atlassian loses the incoming
 * X-Atlassian-* headers, logged in or not, before anything reads them;
 * only the headers the module set itself (for an earlier request of the
 * same chain) stay. httpd runs this hook for main requests and internal
 * redirects; check_authn cleans subrequests. */
static int atl_header_parser(request_rec *r)
{
    if (atl_is_ours(r) && !apr_table_get(atl_initial(r)->notes, ATL_NOTE_SET)) {
        atl_scrub_headers(r);
    }
    return DECLINED;
}

/* The request belongs to this login: user, variables, headers. */
static int atl_logged_in(request_rec *r, const atl_dir_conf *d, atl_identity_t *id,
                         int rc)
{
    int field = d->remote_user == -1 ? ATL_F_ACCOUNT_ID : d->remote_user;

    if (!id->f[field]) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00063: account %s refused: its profile has no %s "
                      "for REMOTE_USER (AtlassianRemoteUser)",
                      id->f[ATL_F_ACCOUNT_ID], atl_identity_json_name(field));
        return atl_error_page(r, HTTP_FORBIDDEN,
                              "Your Atlassian profile lacks the information "
                              "this site needs.");
    }
    r->user = (char *)id->f[field];
    r->ap_auth_type = (char *)ATL_AUTH_TYPE;
    atl_set_req(r, id);
    atl_pass_identity(r, id, d);
    /* The application decides how its own pages are cached. */
    if (rc != ATL_INFO_READY) {
        apr_table_unset(r->err_headers_out, "Cache-Control");
    }
    return OK;
}

static int atl_check_authn(request_rec *r)
{
    const atl_srv_conf *c;
    const atl_dir_conf *d;
    atl_identity_t *id;
    session_rec *z;
    int rc, unauth;

    if (!atl_is_ours(r)) {
        return DECLINED;
    }
    c = atl_srv(r->server);
    d = atl_dir(r);
    if (r->proxyreq == PROXYREQ_PROXY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00060: AuthType Atlassian cannot protect forward-proxy "
                      "requests");
        return HTTP_FORBIDDEN;
    }
    /* Whatever identity this request carries is set again below. */
    atl_scrub_headers(r);
    if (!c->client_id || !c->client_secret || !c->redirect_uri || !c->keys) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00061: AuthType Atlassian needs AtlassianClientID, "
                      "AtlassianClientSecret, AtlassianRedirectURI and "
                      "AtlassianSessionSecret for this virtual host");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The sign-in is not configured.");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");

    /* The session is loaded once per request: with SessionCookieRemove On,
     * httpd reads the cookie once and removes it. */
    rc = DECLINED;
    if (!r->main && !strcmp(r->uri, c->redirect_path)) {
        z = atl_load_session(r);
        rc = atl_callback(r, c, d, z);
        if (rc != ATL_INFO_READY) {
            return atl_commit(r, rc);
        }
        /* ?info=json for a logged-in user: the handler answers. */
    }
    else if ((r->main || r->prev)
             && (id = atl_get_identity(r->main ? r->main : r->prev))) {
        /* A subrequest or internal redirect of a logged-in request is
         * that login: the session is not read again (for the same reason). */
        return atl_logged_in(r, d, id, DECLINED);
    }
    else {
        z = atl_load_session(r);
    }
    if (!z) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00062: AuthType Atlassian needs a session here: add "
                      "\"Session On\" and a session store (mod_session_cookie's "
                      "SessionCookieName, or mod_session_dbd) to this location");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The sign-in is not configured correctly.");
    }
    id = rc == ATL_INFO_READY ? atl_req(r)->id : atl_load_identity(r, z, c, d);
    if (id) {
        return atl_logged_in(r, d, id, rc);
    }

    unauth = d->unauth == -1 ? ATL_UNAUTH_AUTH : d->unauth;
    if (unauth == ATL_UNAUTH_PASS) {
        /* Anonymous: an empty user, no ATLASSIAN_* variables. */
        r->user = "";
        r->ap_auth_type = (char *)ATL_AUTH_TYPE;
        atl_set_req(r, NULL);
        apr_table_unset(r->err_headers_out, "Cache-Control");
        return OK;
    }
    if (unauth == ATL_UNAUTH_401 || !atl_is_browser(r) || r->main) {
        return atl_unauthorized(r);
    }
    return atl_commit(r, atl_start_login(r, z, c, d));
}

/* Callback requests that check_authn never saw: the location lacks what
 * the module needs. ?info=json answers through the handler. */
static int atl_fixups(request_rec *r)
{
    const atl_srv_conf *c = atl_srv(r->server);

    if (apr_table_get(r->notes, ATL_NOTE_INFO) && !r->main) {
        r->handler = ATL_INFO_HANDLER;
        return DECLINED;
    }
    if (!r->main && c->redirect_path && !apr_table_get(r->notes, ATL_NOTE_HANDLED)
        && !strcmp(r->uri, c->redirect_path)) {
        apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        return atl_callback_misconfigured(
            r, !atl_is_ours(r) ? "its location has no \"AuthType Atlassian\""
                               : "its location has no Require line, so no "
                                 "authentication runs there");
    }
    return DECLINED;
}

static void atl_register_hooks(apr_pool_t *p)
{
    atl_authz_register(p);
    atl_pages_register(p);
    atl_layout_register(p);
    ap_hook_check_config(atl_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(atl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(atl_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(atl_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(atl_note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(atl_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(atl_info_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(atl_insert_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(atl_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(auth_atlassian) = {
    STANDARD20_MODULE_STUFF, atl_create_dir, atl_merge_dir,     atl_create_srv,
    atl_merge_srv,           atl_cmds,       atl_register_hooks};
