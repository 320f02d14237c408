/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_atlassian: "Sign in with Atlassian" (OAuth 2.0 authorization code
 * grant, 3LO) for Apache httpd 2.4.
 *
 * This file holds the module record, the hooks and the request flow:
 * check_authn decides between the callback, a login carried by the session
 * and the start of a new login. Each concern of the glue has its own file
 * under src/: mod_atl_config.c (directives, create/merge), mod_atl_check.c
 * (the startup checks), mod_atl_layout.c (where the callback and protected
 * locations lie), mod_atl_req.c (what a request learnt of its login: the
 * per-request record), mod_atl_session.c (the module's values in
 * mod_session), mod_atl_callback.c (the endpoints on the callback URL),
 * mod_atl_login.c (a login's calls to Atlassian), mod_atl_export.c
 * (variables and headers for the application), mod_atl_pages.c (error
 * pages, 401, redirects), mod_atl_post.c (AtlassianPreservePost),
 * mod_atl_authz.c (the Require providers), mod_atl_groups.c (Require
 * atlassian-group: the check of a site's groups), mod_atl_recheck.c (that
 * check again, shared across processes and nodes), mod_atl_refresh.c
 * (AtlassianRefresh), mod_atl_cache.c (AtlassianCache and its lock),
 * mod_atl_cache_dbd.c (its dbd store), mod_atl_spent.c (states already
 * used), mod_atl_limit.c (the bound on callbacks waiting on Atlassian),
 * mod_atl_metrics.c (the counters) and mod_atl_proxy.c (the check for a
 * TLS-terminating proxy). The core (src/atl_*.c) knows nothing of
 * request_rec. docs/contributing.md describes the layout.
 */

/* First: with offsetof defined, APR_OFFSETOF (and so APR_BRIGADE_SENTINEL)
 * uses it instead of a member access through a null pointer, which is
 * undefined behaviour that UBSan reports. */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_auth.h"
#include "mod_session.h"

#include <apr_strings.h>

#include "atl_authorize.h"
#include "atl_http.h"
#include "atl_redirect.h"
#include "atl_state.h"
#include "atl_version.h"
#include "mod_atl.h"
#include "mod_atl_authz.h"
#include "mod_atl_cache.h"
#include "mod_atl_callback.h"
#include "mod_atl_check.h"
#include "mod_atl_config.h"
#include "mod_atl_export.h"
#include "mod_atl_layout.h"
#include "mod_atl_login.h"
#include "mod_atl_metrics.h"
#include "mod_atl_pages.h"
#include "mod_atl_post.h"
#include "mod_atl_recheck.h"
#include "mod_atl_refresh.h"
#include "mod_atl_req.h"
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
    if (atl_http_global_init(pconf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ATL00003: libcurl could not be initialised");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Once per start or restart: not on the first of the two configuration
     * passes httpd makes at startup. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "ATL00680: mod_auth_atlassian " ATL_VERSION " (libcurl %s)",
                     atl_http_library_version());
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

    if (r->method_number != M_GET /* HEAD is M_GET too */
        && !atl_post_wanted(r, atl_srv(r->server), atl_dir(r))) {
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

/* The URL the browser asked for (the first request of the chain, before
 * any rewrite, DirectoryIndex or CGI-local redirect), for the login to
 * come back to: local path and query only (atl_redirect_return_url makes
 * sure of it), never another host. */
static const char *atl_asked_url(request_rec *r)
{
    request_rec *ini = atl_initial(r);

    return ini->unparsed_uri && ini->unparsed_uri[0] == '/'
               ? ini->unparsed_uri
               : apr_pstrcat(r->pool, ap_escape_uri(r->pool, ini->uri),
                             ini->args ? "?" : "", ini->args, NULL);
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
    uri = atl_asked_url(r);
    pending = &APR_ARRAY_PUSH(list, atl_pending_t);
    pending->state = state;
    pending->return_url = atl_redirect_return_url(r->pool, uri, ATL_STATE_MAX_URL);
    pending->created = atl_now();
    pending->flags = (d->fetch_sites == 1 || d->require_sites == 1 || c->groups->nelts
                          ? ATL_PENDING_SITES
                          : 0)
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
    atl_post_keep(r, z, c, state); /* a form POST read by atl_post_take */
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
    atl_metric_inc(ATL_M_LOGIN_STARTED);
    return atl_redirect(r, url);
}

/* On a server that uses the module, a client's X-Atlassian-* headers are
 * removed as the request is read, before anything can see them (<If>,
 * SetEnvIf, RewriteCond, other modules). Subrequests and internal redirects
 * start from these headers. */
static int atl_post_read_request(request_rec *r)
{
    if (atl_srv(r->server)->client_id) {
        atl_scrub_headers(r);
    }
    return DECLINED;
}

/* The first request of a chain loads the session before anything else
 * (mod_session's own fixups, with SessionCookieRemove On, would remove the
 * cookie): an ErrorDocument, a per-directory rewrite or a FallbackResource
 * into a protected location later finds the login of that session. */
static int atl_header_parser(request_rec *r)
{
    if (!r->prev && !r->main && atl_srv(r->server)->client_id) {
        atl_load_session(r);
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
    atl_req_set_login(r, id);
    atl_export(r, id, d);
    if (r->main) {
        /* mod_dir may make this subrequest the request itself. */
        atl_req_note_subrequest(r, id);
    }
    /* The application decides how its own pages are cached. */
    if (rc != ATL_INFO_READY) {
        apr_table_unset(r->err_headers_out, "Cache-Control");
    }
    return OK;
}

/* An ErrorDocument: the request that failed comes before it. */
static int atl_is_error_document(request_rec *r)
{
    return r->prev && ap_is_HTTP_ERROR(r->prev->status);
}

/* Whether an anonymous subrequest may start a login: one that mod_dir makes
 * for a GET (DirectoryIndex, FallbackResource) before the main request has
 * a handler, from a location the module does not protect, so that its
 * redirect becomes the answer. An SSI include (in the handler) never does. */
static int atl_may_start_in_subrequest(request_rec *r)
{
    request_rec *m = r->main;

    return !m->main && m->method_number == M_GET && !atl_req_reached_handler(m)
           && !atl_is_ours(m) && !atl_is_error_document(m);
}

/* The browser sent the session cookie twice, with the logins of two
 * different accounts: which one is the user's cannot be told. Say so, and
 * leave the session alone: a new login now would overwrite the real one. */
static int atl_cookie_tossed(request_rec *r, const char *name)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00100: the browser sent the session cookie %s twice, with "
                  "the logins of two different accounts (one was planted from "
                  "another subdomain or over plain http?): no login started, the "
                  "session is left as it is; a __Host- cookie name prevents this",
                  ap_escape_logitem(r->pool, name));
    return atl_error_page(r, HTTP_BAD_REQUEST,
                          "Your browser sent this site's sign-in cookie twice, so "
                          "the sign-in cannot go on. Please delete this site's "
                          "cookies in your browser and try again.");
}

static int atl_check_authn(request_rec *r)
{
    const atl_srv_conf *c;
    const atl_dir_conf *d;
    atl_identity_t *id;
    session_rec *z;
    const char *tossed;
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
    if (!c->client_id || !c->client_secret || !c->redirect_uri || !c->keys) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00061: AuthType Atlassian needs AtlassianClientID, "
                      "AtlassianClientSecret, AtlassianRedirectURI and "
                      "AtlassianSessionSecret for this virtual host");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The sign-in is not configured.");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");

    /* The session is loaded once per chain of requests: with
     * SessionCookieRemove On, httpd reads the cookie once and removes it. */
    rc = DECLINED;
    if (!r->main && !strcmp(r->uri, c->redirect_path)) {
        z = atl_load_session(r);
        if (z && (tossed = atl_session_cookie_tossed(r)) != NULL) {
            apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
            return atl_cookie_tossed(r, tossed);
        }
        rc = atl_callback(r, c, d, z);
        if (rc != ATL_INFO_READY) {
            return atl_commit(r, rc);
        }
        /* ?info=json for a logged-in user: the handler answers. */
    }
    else if ((r->main || r->prev) && (id = atl_get_identity(r->main ? r->main : r->prev))
             && !atl_login_expired(r, id, d)) {
        /* A subrequest or internal redirect of a logged-in request is
         * that login, within the AtlassianSessionLifetime of its own
         * location (an older login goes the way of a request without
         * one, below). Its group membership is checked again here when the
         * first request (in a location without Require atlassian-group)
         * did not; a subrequest's own answer headers never reach the
         * browser, so only an internal redirect saves the session (the
         * shared cache keeps the check for the next request anyway). */
        if (d->require_groups == 1 && (z = atl_load_session(r)) != NULL) {
            id = atl_groups_recheck(r, z, c, d, id);
            if (!id) {
                return r->main ? atl_unauthorized(r) : atl_commit(r, atl_unauthorized(r));
            }
            if (!r->main) {
                return atl_commit(r, atl_logged_in(r, d, id, DECLINED));
            }
        }
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
    id = rc == ATL_INFO_READY ? atl_req_identity(r) : atl_load_identity(r, z, c, d);
    if (id && d->require_groups == 1 && rc != ATL_INFO_READY) {
        /* A membership older than AtlassianGroupCheckInterval is checked
         * again; a login whose token is refused is over. */
        id = atl_groups_recheck(r, z, c, d, id);
    }
    if (id) {
        /* Saved now what the refresh or the group check wrote into the
         * session: mod_session saves a session once per request. */
        return atl_commit(r, atl_logged_in(r, d, id, rc));
    }

    unauth = d->unauth == -1 ? ATL_UNAUTH_AUTH : d->unauth;
    if (unauth == ATL_UNAUTH_PASS) {
        /* Anonymous: an empty user, no ATLASSIAN_* variables. */
        r->user = "";
        r->ap_auth_type = (char *)ATL_AUTH_TYPE;
        atl_req_set_login(r, NULL);
        atl_export(r, NULL, d);
        apr_table_unset(r->err_headers_out, "Cache-Control");
        return OK;
    }
    if (unauth == ATL_UNAUTH_401 || !atl_is_browser(r) || atl_is_error_document(r)
        || (r->main && !atl_may_start_in_subrequest(r))) {
        return atl_unauthorized(r);
    }
    if ((tossed = atl_session_cookie_tossed(r)) != NULL) {
        return atl_cookie_tossed(r, tossed);
    }
    if (r->method_number == M_POST && !atl_post_take(r, c, atl_asked_url(r))) {
        return atl_unauthorized(r);
    }
    return atl_commit(r, atl_start_login(r, z, c, d));
}

/* Sets Cache-Control: private on an authenticated answer that has none of
 * its own, so that no shared cache hands one user's page to another. */
/* Added by its handle: no search of the registered filters by name on
 * every request. */
static ap_filter_rec_t *atl_private_handle;

static apr_status_t atl_private_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    if (!apr_table_get(r->headers_out, "Cache-Control")
        && !apr_table_get(r->err_headers_out, "Cache-Control")) {
        apr_table_setn(r->headers_out, "Cache-Control", "private");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Right before the handler, on every request, subrequest and internal
 * redirect that reaches one in a protected location, whether or not
 * authentication ran for it: the variables and headers become exactly the
 * login's. httpd runs no authentication for an internal redirect within
 * the same configuration (it copies the user, not the variables), for a
 * location whose Require lines grant without a login, or for a request
 * that mod_dir turned into its own subrequest (ap_internal_fast_redirect
 * keeps the request's headers and no user). And it runs after every fixup,
 * so nothing planted by SetEnv, SSI or RewriteRule [E=] survives. */
static void atl_insert_identity(request_rec *r)
{
    atl_identity_t *id = NULL;
    const char *sub_user;
    apr_table_t *sub_headers;

    if (!atl_srv(r->server)->client_id) {
        return;
    }
    atl_req_mark_handler(r);
    if (!atl_is_ours(r)) {
        return;
    }
    if (atl_req_decided(r)) {
        id = atl_req_identity(r);
    }
    else if ((id = atl_req_subrequest_login(r, &sub_user, &sub_headers)) != NULL) {
        /* mod_dir made the protected subrequest this request. */
        r->user = (char *)sub_user;
        r->ap_auth_type = (char *)ATL_AUTH_TYPE;
        r->headers_in = sub_headers;
    }
    else if (r->user && *r->user && (r->prev || r->main)) {
        /* httpd copied the user of the request this one comes from. */
        id = atl_get_identity(r->prev ? r->prev : r->main);
    }
    atl_req_set_identity(r, id);
    atl_export(r, id, atl_dir(r));
    atl_metric_request(r, id != NULL);
    if (id && !r->main) {
        ap_add_output_filter_handle(atl_private_handle, NULL, r, r->connection);
    }
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
    atl_cache_register_hooks(p);
    atl_metrics_register(p);
    ap_hook_check_config(atl_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(atl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(atl_session_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(atl_post_read_request, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(atl_header_parser, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_authn(atl_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(atl_note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(atl_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(atl_info_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(atl_insert_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(atl_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(atl_insert_identity, NULL, NULL, APR_HOOK_REALLY_LAST);
    atl_private_handle = ap_register_output_filter("ATL_PRIVATE", atl_private_filter,
                                                   NULL, AP_FTYPE_CONTENT_SET);
}

AP_DECLARE_MODULE(auth_atlassian) = {
    STANDARD20_MODULE_STUFF, atl_create_dir, atl_merge_dir,     atl_create_srv,
    atl_merge_srv,           atl_cmds,       atl_register_hooks};
