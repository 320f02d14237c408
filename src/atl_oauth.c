/* SPDX-License-Identifier: Apache-2.0 */
/* The calls to Atlassian after the browser comes back: the code exchange
 * (and the refresh grant), the /me profile and accessible-resources. Each
 * failure comes back with one line for the administrator that names the
 * URL, the HTTP status and Atlassian's own error, and never a code, token or
 * secret: those values are only ever handed to atl_json and atl_http. */

#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>

#include "atl_json_groups.h"
#include "atl_oauth.h"

/* The URL as it may appear in a log line: user info (which could hold a
 * password) is left out. */
static const char *atl_oauth_log_url(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;

    if (url == NULL) {
        return "(unset)";
    }
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.hostname == NULL) {
        return url;
    }
    uri.user = NULL;
    uri.password = NULL;
    return apr_uri_unparse(p, &uri, APR_URI_UNP_OMITUSERINFO);
}

/* Only the scheme, host and port of a redirect target: its path and query
 * are the other server's and could carry anything. */
static const char *atl_oauth_log_site(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;

    if (url == NULL) {
        return "nowhere";
    }
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.hostname == NULL) {
        return "an unparsable URL";
    }
    return apr_uri_unparse(p, &uri, APR_URI_UNP_OMITUSERINFO | APR_URI_UNP_OMITPATHINFO);
}

/* Atlassian's own words in a log line are cut to this many bytes, after
 * the values that must never be logged were hidden (so a cut cannot leave
 * half of a secret behind). */
#define ATL_OAUTH_MAX_WORDS 128

/* What the API gateway says when the token lacks the scope a call needs. */
#define ATL_OAUTH_SCOPE_MESSAGE "scope does not match"

/* Hide every value of hide (NULL-terminated, entries may be NULL) in s,
 * then cut it to ATL_OAUTH_MAX_WORDS bytes. */
static const char *atl_oauth_words(apr_pool_t *p, const char *s, const char *const *hide)
{
    for (; s && hide && *hide; hide++) {
        s = atl_http_hide(p, s, *hide);
    }
    if (s && strlen(s) > ATL_OAUTH_MAX_WORDS) {
        s = apr_pstrcat(p, apr_pstrmemdup(p, s, ATL_OAUTH_MAX_WORDS), "...", NULL);
    }
    return s;
}

/* The reason for a non-2xx answer: "<what> <url> answered <status>", plus
 * " (error=<error>: <description>)" when the body says so. *grant_refused
 * tells an invalid_grant answer apart. */
static const char *atl_oauth_status_reason(int *grant_refused, apr_pool_t *p,
                                           const char *what, const char *url,
                                           const atl_http_response_t *resp,
                                           const char *const *hide)
{
    const char *error, *description, *message;
    const char *reason;

    reason = apr_psprintf(p, "%s %s answered %ld", what, atl_oauth_log_url(p, url),
                          resp->status);
    if (resp->status == 429) {
        reason = resp->retry_after > 0
                     ? apr_psprintf(
                         p, "%s (rate limited; Retry-After: %" APR_INT64_T_FMT " s)",
                         reason, resp->retry_after)
                     : apr_pstrcat(p, reason, " (rate limited; no Retry-After)", NULL);
    }
    else if (resp->status >= 300 && resp->status <= 399) {
        reason = apr_pstrcat(p, reason, " (a redirect to ",
                             atl_oauth_log_site(p, resp->redirect_url),
                             ", not followed: check the URL)", NULL);
    }
    atl_json_parse_error(&error, &description, p, resp->body, resp->body_len);
    *grant_refused = error && !strcmp(error, "invalid_grant") && resp->status >= 400
                     && resp->status < 500;
    if (error || description) {
        reason = apr_psprintf(p, "%s (error=%s: %s)", reason,
                              error ? atl_oauth_words(p, error, hide) : "-",
                              description ? atl_oauth_words(p, description, hide) : "-");
    }
    else if ((message = atl_json_product_message(p, resp->body, resp->body_len))) {
        /* The API gateway's own refusal of /me or accessible-resources:
         * {"code":401,"message":"Unauthorized; scope does not match"}. */
        reason = apr_psprintf(p, "%s (message: %s)", reason,
                              atl_oauth_words(p, message, hide));
        if (resp->status == 401 && strstr(message, ATL_OAUTH_SCOPE_MESSAGE)) {
            reason = apr_pstrcat(p, reason,
                                 ": the token lacks a scope this call needs; check "
                                 "AtlassianScope (read:me for the profile) and the "
                                 "app's permissions in the developer console",
                                 NULL);
        }
    }
    return reason;
}

/* One call to an endpoint. On APR_SUCCESS *resp holds a 2xx answer; on
 * failure *reason is set (transport errors and non-2xx answers alike), with
 * the values of hide left out of Atlassian's words. */
static apr_status_t atl_oauth_call(atl_http_response_t **resp, const char **reason,
                                   apr_pool_t *p, const atl_oauth_conf_t *c,
                                   const char *what, const char *method, const char *url,
                                   const char *bearer, const char *body,
                                   const char *const *hide)
{
    const char *errmsg = NULL;
    apr_status_t rv;
    int grant_refused = 0;

    rv = atl_http_request(resp, &errmsg, p, &c->http, method, url, bearer,
                          body ? "application/json" : NULL, body);
    if (rv != APR_SUCCESS) {
        *reason = apr_psprintf(p, "%s %s: %s", what, atl_oauth_log_url(p, url),
                               errmsg ? errmsg : "request failed");
        *resp = NULL;
        /* The callers promise only these codes; anything else (a URL or
         * header atl_http refused, no memory) is a failed call as well. */
        if (rv != ATL_E_TIMEOUT && rv != ATL_E_TOOBIG) {
            rv = ATL_E_UPSTREAM;
        }
    }
    else if ((*resp)->status < 200 || (*resp)->status > 299) {
        *reason = atl_oauth_status_reason(&grant_refused, p, what, url, *resp, hide);
        *resp = NULL;
        rv = grant_refused ? ATL_E_GRANT : ATL_E_UPSTREAM;
    }
    return rv;
}

/* POST a grant to the token URL and read the token answer. */
static apr_status_t atl_oauth_token(atl_token_t **tok, const char **reason, apr_pool_t *p,
                                    const atl_oauth_conf_t *c, const char *grant_type,
                                    const char *code, const char *redirect_uri)
{
    atl_http_response_t *resp = NULL;
    const char *body = NULL, *errmsg = NULL;
    const char *hide[] = {code, c->client_secret, NULL};
    apr_status_t rv;

    *tok = NULL;
    *reason = NULL;
    rv = atl_json_token_request(&body, p, grant_type, c->client_id, c->client_secret,
                                code, redirect_uri);
    if (rv != APR_SUCCESS) {
        *reason = apr_psprintf(p,
                               "token endpoint %s: cannot build the %s request "
                               "(client id, secret or redirect URI missing)",
                               atl_oauth_log_url(p, c->token_url), grant_type);
        return ATL_E_UPSTREAM;
    }
    rv = atl_oauth_call(&resp, reason, p, c, "token endpoint", "POST", c->token_url, NULL,
                        body, hide);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_token(tok, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "token endpoint %s: %s",
                                   atl_oauth_log_url(p, c->token_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_http_hide(p, *reason, code);
        *reason = atl_http_hide(p, *reason, c->client_secret);
    }
    return rv;
}

apr_status_t atl_oauth_exchange_code(atl_token_t **tok, const char **reason,
                                     apr_pool_t *p, const atl_oauth_conf_t *c,
                                     const char *code, const char *redirect_uri)
{
    return atl_oauth_token(tok, reason, p, c, "authorization_code", code, redirect_uri);
}

apr_status_t atl_oauth_refresh(atl_token_t **tok, const char **reason, apr_pool_t *p,
                               const atl_oauth_conf_t *c, const char *refresh_token)
{
    return atl_oauth_token(tok, reason, p, c, "refresh_token", refresh_token, NULL);
}

apr_status_t atl_oauth_profile(atl_identity_t *id, const char **reason, apr_pool_t *p,
                               const atl_oauth_conf_t *c, const char *access_token)
{
    atl_http_response_t *resp = NULL;
    const char *errmsg = NULL;
    const char *hide[] = {access_token, c->client_secret, NULL};
    apr_status_t rv;

    *reason = NULL;
    rv = atl_oauth_call(&resp, reason, p, c, "profile endpoint", "GET", c->profile_url,
                        access_token, NULL, hide);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_profile(id, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "profile endpoint %s: %s",
                                   atl_oauth_log_url(p, c->profile_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_http_hide(p, *reason, access_token);
    }
    return rv;
}

apr_status_t atl_oauth_sites(apr_array_header_t **sites, const char **reason,
                             apr_pool_t *p, const atl_oauth_conf_t *c,
                             const char *access_token)
{
    atl_http_response_t *resp = NULL;
    const char *errmsg = NULL;
    const char *hide[] = {access_token, c->client_secret, NULL};
    apr_status_t rv;

    *sites = NULL;
    *reason = NULL;
    rv = atl_oauth_call(&resp, reason, p, c, "resources endpoint", "GET",
                        c->resources_url, access_token, NULL, hide);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_sites(sites, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "resources endpoint %s: %s",
                                   atl_oauth_log_url(p, c->resources_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_http_hide(p, *reason, access_token);
    }
    return rv;
}
