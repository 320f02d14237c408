/* The calls to Atlassian after the browser comes back: the code exchange
 * (and the refresh grant), the /me profile and accessible-resources. Each
 * failure comes back with one line for the administrator that names the
 * URL, the HTTP status and Atlassian's own error, and never a code, token or
 * secret: those values are only ever handed to atl_json and atl_http. */

#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>

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

/* Atlassian's error_description is its own text and could, in principle,
 * quote what it was sent. Every occurrence of a value that must never be
 * logged is replaced, so the reason stays safe whatever the answer says.
 * Values shorter than four bytes are left alone: they are no secret, and
 * replacing them would garble the message. */
static const char *atl_oauth_redact(apr_pool_t *p, const char *reason, const char *secret)
{
    const char *hit;
    apr_size_t slen;
    char *out = NULL;

    if (reason == NULL || secret == NULL || (slen = strlen(secret)) < 4) {
        return reason;
    }
    while ((hit = strstr(reason, secret)) != NULL) {
        out = apr_pstrcat(p, out ? out : "", apr_pstrmemdup(p, reason, hit - reason),
                          "[hidden]", NULL);
        reason = hit + slen;
    }
    return out ? apr_pstrcat(p, out, reason, NULL) : reason;
}

/* The reason for a non-2xx answer: "<what> <url> answered <status>", plus
 * " (error=<error>: <description>)" when the body says so. */
static const char *atl_oauth_status_reason(apr_pool_t *p, const char *what,
                                           const char *url,
                                           const atl_http_response_t *resp)
{
    const char *error, *description;
    const char *reason;

    reason = apr_psprintf(p, "%s %s answered %ld", what, atl_oauth_log_url(p, url),
                          resp->status);
    atl_json_parse_error(&error, &description, p, resp->body, resp->body_len);
    if (error || description) {
        reason = apr_psprintf(p, "%s (error=%s: %s)", reason, error ? error : "-",
                              description ? description : "-");
    }
    return reason;
}

/* One call to an endpoint. On APR_SUCCESS *resp holds a 2xx answer; on
 * failure *reason is set (transport errors and non-2xx answers alike). */
static apr_status_t atl_oauth_call(atl_http_response_t **resp, const char **reason,
                                   apr_pool_t *p, const atl_oauth_conf_t *c,
                                   const char *what, const char *method, const char *url,
                                   const char *bearer, const char *body, int refresh)
{
    const char *errmsg = NULL, *error = NULL, *description = NULL;
    apr_status_t rv;

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
        *reason = atl_oauth_status_reason(p, what, url, *resp);
        rv = ATL_E_UPSTREAM;
        /* A refused refresh token ends the login; any other failure of a
         * refresh may pass. */
        if (refresh && (*resp)->status >= 400 && (*resp)->status <= 499) {
            atl_json_parse_error(&error, &description, p, (*resp)->body,
                                 (*resp)->body_len);
            if (error && !strcmp(error, "invalid_grant")) {
                rv = ATL_E_DENIED;
            }
        }
        *resp = NULL;
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
                        body, !strcmp(grant_type, "refresh_token"));
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_token(tok, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "token endpoint %s: %s",
                                   atl_oauth_log_url(p, c->token_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_oauth_redact(p, *reason, code);
        *reason = atl_oauth_redact(p, *reason, c->client_secret);
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
    apr_status_t rv;

    *reason = NULL;
    rv = atl_oauth_call(&resp, reason, p, c, "profile endpoint", "GET", c->profile_url,
                        access_token, NULL, 0);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_profile(id, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "profile endpoint %s: %s",
                                   atl_oauth_log_url(p, c->profile_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_oauth_redact(p, *reason, access_token);
    }
    return rv;
}

apr_status_t atl_oauth_sites(apr_array_header_t **sites, const char **reason,
                             apr_pool_t *p, const atl_oauth_conf_t *c,
                             const char *access_token)
{
    atl_http_response_t *resp = NULL;
    const char *errmsg = NULL;
    apr_status_t rv;

    *sites = NULL;
    *reason = NULL;
    rv = atl_oauth_call(&resp, reason, p, c, "resources endpoint", "GET",
                        c->resources_url, access_token, NULL, 0);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_sites(sites, &errmsg, p, resp->body, resp->body_len);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "resources endpoint %s: %s",
                                   atl_oauth_log_url(p, c->resources_url), errmsg);
        }
    }
    if (rv != APR_SUCCESS) {
        *reason = atl_oauth_redact(p, *reason, access_token);
    }
    return rv;
}
