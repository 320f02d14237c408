/* SPDX-License-Identifier: Apache-2.0 */
/* The endpoints on the callback URL (AtlassianRedirectURI): the code that
 * ends a login, error= from Atlassian, ?logout= and ?info=json. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_session.h"

#include <apr_strings.h>

#include "atl_json.h"
#include "atl_oauth.h"
#include "atl_query.h"
#include "atl_redirect.h"
#include "atl_refresh.h"
#include "atl_state.h"
#include "mod_atl_callback.h"
#include "mod_atl_groups.h"
#include "mod_atl_limit.h"
#include "mod_atl_login.h"
#include "mod_atl_metrics.h"
#include "mod_atl_pages.h"
#include "mod_atl_post.h"
#include "mod_atl_refresh.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"
#include "mod_atl_spent.h"

APLOG_USE_MODULE(auth_atlassian);

/* The callback location lacks what the module needs: say which. */
int atl_callback_misconfigured(request_rec *r, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ATL00030: the callback %s cannot work: %s. AtlassianRedirectURI "
                  "must lie inside a <Location> with \"AuthType Atlassian\", "
                  "\"Session On\" (mod_session_cookie or mod_session_dbd) and a "
                  "Require line",
                  r->uri, what);
    return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                          "The sign-in callback is not configured correctly. "
                          "The server's error log says what is missing.");
}

static int atl_callback_logout(request_rec *r, session_rec *z, const atl_srv_conf *c,
                               const char *target)
{
    if (!atl_redirect_allowed(target, c->logout_allowed)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00031: logout refused: the target is neither a local "
                      "path nor under an AtlassianLogoutRedirectAllowed prefix");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "The page to go to after signing out is not allowed.");
    }
    atl_store_login(r, z, NULL);
    atl_store_pending(r, z, c, apr_array_make(r->pool, 1, sizeof(atl_pending_t)), 0);
    atl_post_forget(r, z, c);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00032: logged out");
    return atl_redirect(r, target);
}

static int atl_callback_info(request_rec *r, session_rec *z, const atl_srv_conf *c,
                             const atl_dir_conf *d, const char *what)
{
    atl_identity_t *id;
    const char *json;

    if (strcmp(what, "json")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00033: ?info= supports only \"json\"");
        return atl_error_page(r, HTTP_BAD_REQUEST, "Only info=json is supported.");
    }
    id = atl_load_identity(r, z, c, d);
    if (!id) {
        return atl_unauthorized(r);
    }
    /* check_authn logs this identity in without reading it again. */
    atl_req_set_identity(r, id);
    if (atl_json_identity(&json, r->pool, id, d->pass_token == 1) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00034: the identity could not be written as JSON");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The identity could not be shown.");
    }
    apr_table_setn(r->notes, ATL_NOTE_INFO, json);
    return ATL_INFO_READY;
}

/* The pending login of this browser that the callback's state names, taken
 * out of the session: a state is spent by its first callback, whatever
 * happens next. Returns OK with *pending and *list (the others), or the
 * status of a bad callback (400): no state, a malformed one, or one that
 * matches no pending login of this browser. */
static int atl_callback_take_state(atl_pending_t *pending, apr_array_header_t **list,
                                   request_rec *r, session_rec *z, const atl_srv_conf *c,
                                   const char *state)
{
    int idx;

    *list = NULL;
    if (!state || !atl_state_well_formed(state)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00041: callback refused: %s",
                      !state ? "no state" : "the state is malformed");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "The sign-in answer is incomplete. Please start "
                              "again from the page you wanted.");
    }
    *list = atl_load_pending(r, z, c);
    idx = atl_state_find(*list, state);
    if (idx < 0) {
        /* Another browser's state (login CSRF), an old tab, a replay: the
         * session is left as it is, its own pending logins included. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00042: callback refused: its state matches no pending "
                      "login of this browser (expired, already used, or started "
                      "in another browser)");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "This sign-in was not started in this browser, has "
                              "expired or was already used. Please start again "
                              "from the page you wanted.");
    }
    *pending = APR_ARRAY_IDX(*list, idx, atl_pending_t);
    atl_state_remove(*list, idx);
    atl_store_pending(r, z, c, *list, ATL_BUDGET_PENDING);
    /* ... on every process and node (AtlassianCache): the browser keeps
     * its old cookie, so the session alone cannot spend a state. */
    return atl_spend_state(r, c, pending->state, pending->created);
}

static int atl_callback_code(request_rec *r, session_rec *z, const atl_srv_conf *c,
                             const atl_query_t *cb)
{
    apr_array_header_t *list;
    atl_pending_t pending;
    atl_token_t *tok;
    atl_identity_t *id;
    const char *sealed, *back;
    int rc;

    /* Before anything changes: a callback turned away may come again. */
    if ((rc = atl_limit_enter(r, c)) != OK) {
        return rc;
    }
    if (!cb->code) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00900: callback refused: no code");
        atl_metric_inc(ATL_M_FAILED_STATE);
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "The sign-in answer is incomplete. Please start "
                              "again from the page you wanted.");
    }
    if ((rc = atl_callback_take_state(&pending, &list, r, z, c, cb->state)) != OK) {
        atl_metric_inc(ATL_M_FAILED_STATE);
        return rc;
    }

    /* The calls to Atlassian, in waves; then the login is sealed. */
    rc = atl_login_calls(&tok, &id, r, c, cb->code, pending.flags & ATL_PENDING_SITES);
    if (rc != OK) {
        return rc;
    }
    if ((pending.flags & ATL_PENDING_TOKEN) || c->groups->nelts) {
        id->f[ATL_F_ACCESS_TOKEN] = tok->access_token;
    }
    if ((pending.flags & ATL_PENDING_REFRESH) && tok->refresh_token) {
        id->refresh_token = tok->refresh_token;
    }
    /* The tokens' expiry matters only to a login that keeps a token (it is
     * never passed on, or refreshed, too late); without one it would only
     * lengthen every request's cookie. */
    if (id->f[ATL_F_ACCESS_TOKEN] || id->refresh_token) {
        /* No expires_in: expiring at once (atl_refresh_expiry). */
        id->token_expiry = atl_refresh_expiry(tok->expires_in, id->login_time);
        if (tok->expires_in <= 0) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "ATL00641: account %s: the token endpoint's answer "
                          "gave no expires_in: the access token is treated as "
                          "expiring at once (never passed on; refreshed on the "
                          "next request with AtlassianRefresh On)",
                          id->f[ATL_F_ACCOUNT_ID]);
        }
    }

    /* A login always writes its own sealed value: whatever the session
     * held before is replaced, so no fixation. */
    if (atl_seal_login(&sealed, r, c, id) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00044: the login could not be sealed into the session");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not complete the sign-in.");
    }
    if (strlen(sealed) > ATL_BUDGET_TOTAL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00045: the login takes %" APR_SIZE_T_FMT " bytes in the "
                      "session, more than a cookie holds: use mod_session_dbd or "
                      "turn off AtlassianPassAccessToken/AtlassianRefresh",
                      strlen(sealed));
    }
    atl_store_login(r, z, sealed);
    /* Other tabs' pending logins share what room is left. */
    if (list->nelts) {
        apr_size_t used = strlen(sealed);

        atl_store_pending(r, z, c, list,
                          used < ATL_BUDGET_TOTAL ? ATL_BUDGET_TOTAL - used : 0);
    }
    back = atl_redirect_is_local(pending.return_url) ? pending.return_url : "/";
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00046: account %s logged in",
                  id->f[ATL_F_ACCOUNT_ID]);
    atl_metric_inc(ATL_M_LOGIN_COMPLETED);
    /* A form POST kept for this login: the page that sends it again. */
    return atl_post_after_login(r, z, c, pending.state, back);
}

static int atl_callback_error(request_rec *r, session_rec *z, const atl_srv_conf *c,
                              const atl_query_t *cb)
{
    const char *error = ap_escape_logitem(r->pool, cb->error);
    apr_array_header_t *list;
    atl_pending_t pending;
    int rc;

    /* The state first: an error= that belongs to no pending login of this
     * browser says nothing about Atlassian and must not alarm anyone. */
    if ((rc = atl_callback_take_state(&pending, &list, r, z, c, cb->state)) != OK) {
        atl_metric_inc(ATL_M_FAILED_STATE);
        return rc;
    }
    if (!strcmp(cb->error, "access_denied")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00047: the user declined consent at Atlassian "
                      "(error=access_denied)");
        atl_metric_inc(ATL_M_FAILED_CONSENT);
        return atl_error_page(r, HTTP_FORBIDDEN,
                              "Access to your Atlassian account was not granted, "
                              "so you are not signed in.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00048: Atlassian refused the authorization request: "
                  "error=%s (check AtlassianClientID, AtlassianScope and the "
                  "app's permissions in the developer console)",
                  error);
    atl_metric_inc(ATL_M_FAILED_AUTHORIZE);
    return atl_error_page(r, HTTP_BAD_GATEWAY,
                          "Atlassian could not complete the sign-in.");
}

/* Handle a request to the callback path. Returns an HTTP status, or
 * ATL_INFO_READY when the request is an ?info=json of a logged-in user. */
int atl_callback(request_rec *r, const atl_srv_conf *c, const atl_dir_conf *d,
                 session_rec *z)
{
    atl_query_t cb;
    const char *why;

    apr_table_setn(r->notes, ATL_NOTE_HANDLED, "1");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    atl_no_store(r);
    if (r->method_number != M_GET) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00049: callback refused: method %s (only GET)",
                      ap_escape_logitem(r->pool, r->method));
        /* httpd writes Allow from the allowed methods (GET brings HEAD). */
        ap_allow_methods(r, REPLACE_ALLOW, "GET", NULL);
        return atl_error_page(r, HTTP_METHOD_NOT_ALLOWED,
                              "The sign-in callback accepts GET only.");
    }
    if (atl_query_parse(&cb, &why, r->pool, r->args) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00050: callback refused: %s",
                      why);
        return atl_error_page(r, HTTP_BAD_REQUEST, "The sign-in answer is not valid.");
    }
    if (!z) {
        return atl_callback_misconfigured(r, "no session (\"Session On\" and a "
                                             "session store are missing)");
    }
    if (cb.logout) {
        return atl_callback_logout(r, z, c, cb.logout);
    }
    if (cb.info) {
        return atl_callback_info(r, z, c, d, cb.info);
    }
    if (cb.error) {
        return atl_callback_error(r, z, c, &cb);
    }
    return atl_callback_code(r, z, c, &cb);
}

int atl_info_handler(request_rec *r)
{
    const char *json;

    if (!r->handler || strcmp(r->handler, ATL_INFO_HANDLER)) {
        return DECLINED;
    }
    json = apr_table_get(r->notes, ATL_NOTE_INFO);
    if (!json) {
        return DECLINED;
    }
    /* Cache-Control and Referrer-Policy are in err_headers_out already. */
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!r->header_only) {
        ap_rputs(json, r);
        ap_rputs("\n", r);
    }
    return OK;
}
