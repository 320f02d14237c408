/* SPDX-License-Identifier: Apache-2.0 */
/* AtlassianPreservePost: a form POST that needs a login is kept, sealed in
 * the session beside its pending login, and after that login the callback
 * answers a small page whose form sends the same fields again, once, to
 * the URL the POST was made to. The page submits itself with a script
 * allowed by a CSP nonce; without JavaScript, one click on its (focused)
 * button does it. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_session.h"

#include <apr_strings.h>
#include <apr_uri.h>

#include "atl_keptpost.h"
#include "atl_redirect.h"
#include "atl_seal.h"
#include "atl_state.h"
#include "mod_atl_pages.h"
#include "mod_atl_post.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

/* The body read by atl_post_take, waiting for the state of its login. */
#define ATL_NOTE_POST "atlassian-post-body"

#define ATL_FORM_TYPE "application/x-www-form-urlencoded"

/* The length of the sealed value for plain bytes (see atl_seal.h:
 * ATL_SEAL_OVERHEAD bytes are added, then base64url without padding). */
#define ATL_SEALED_LEN(n) ((((n) + ATL_SEAL_OVERHEAD) * 4 + 2) / 3)

static int atl_post_is_form(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n = sizeof(ATL_FORM_TYPE) - 1;

    return ct && !strncasecmp(ct, ATL_FORM_TYPE, n)
           && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* Whether a path (percent-decoded, query cut) is the callback's. */
static int atl_post_is_callback(apr_pool_t *p, const char *url, const atl_srv_conf *c)
{
    char *path = apr_pstrndup(p, url, strcspn(url, "?#"));

    if (ap_unescape_url(path) != OK) {
        return 1; /* not a path anyone can be sent to */
    }
    return c->redirect_path && !strcmp(path, c->redirect_path);
}

int atl_post_wanted(request_rec *r, const atl_srv_conf *c, const atl_dir_conf *d)
{
    return d->preserve_post == 1 && r->method_number == M_POST && !r->main && !r->prev
           && atl_post_is_form(r)
           && !(c->redirect_path && !strcmp(r->uri, c->redirect_path));
}

/* Whether an absolute URL (an Origin, a Referer) has this request's own
 * origin: scheme, host and port as httpd sees them (behind a TLS proxy,
 * the scheme and port that "ServerName https://..." gives). */
static int atl_post_is_own_origin(request_rec *r, const char *url)
{
    apr_uri_t u;
    apr_port_t port;
    const char *host;
    apr_size_t len;

    if (apr_uri_parse(r->pool, url, &u) != APR_SUCCESS || !u.scheme || !u.hostname
        || !*u.hostname) {
        return 0; /* "null", a relative or a malformed URL */
    }
    port = u.port_str && *u.port_str ? u.port : apr_uri_port_of_scheme(u.scheme);
    host = ap_get_server_name(r);
    if (host[0] == '[' && (len = strlen(host)) > 2 && host[len - 1] == ']') {
        host = apr_pstrmemdup(r->pool, host + 1, len - 2); /* an IPv6 address */
    }
    return !strcasecmp(u.scheme, ap_http_scheme(r)) && !strcasecmp(u.hostname, host)
           && port && port == ap_get_server_port(r);
}

/* Why this POST cannot be shown to come from this site's own pages (NULL:
 * it does). Another site's form must never become a POST made from this
 * origin with the user's login, so no evidence at all counts as
 * cross-site. The first header present decides: Sec-Fetch-Site (a
 * browser's own word), Origin, then the origin of the Referer. */
static const char *atl_post_cross_site(request_rec *r)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *referer = apr_table_get(r->headers_in, "Referer");

    if (site) {
        if (!strcasecmp(site, "same-origin")) {
            return NULL;
        }
        return apr_pstrcat(r->pool, "Sec-Fetch-Site is ",
                           ap_escape_logitem(r->pool, site), NULL);
    }
    if (origin) {
        return atl_post_is_own_origin(r, origin)
                   ? NULL
                   : apr_pstrcat(r->pool, "its Origin ",
                                 ap_escape_logitem(r->pool, origin),
                                 " is not this site's", NULL);
    }
    if (referer) {
        return atl_post_is_own_origin(r, referer)
                   ? NULL
                   : "its Referer is not a page of this site";
    }
    return "it has no Sec-Fetch-Site, Origin or Referer to show that it comes "
           "from this site";
}

/* Why the pending login of this POST would not keep its URL (NULL: it
 * would): one too long for the pending login, or that does not fit in the
 * session, comes back to "/" (and the form would be sent there). */
static const char *atl_post_url_unfit(request_rec *r, const atl_srv_conf *c,
                                      const char *url)
{
    const char *back = atl_redirect_return_url(r->pool, url, ATL_STATE_MAX_URL);
    apr_array_header_t *list;
    atl_pending_t *one;
    const char *plain, *sealed;
    apr_size_t len;

    if (!strcmp(back, "/") && strcmp(url, "/")) {
        return apr_psprintf(r->pool,
                            "its URL is longer than %d characters (or not a local "
                            "path), so the login could not come back to it",
                            ATL_STATE_MAX_URL);
    }
    /* The newest pending login is stored whatever the older ones take, so
     * this one alone must fit (with the longest fields it is stored with). */
    list = apr_array_make(r->pool, 1, sizeof(atl_pending_t));
    one = &APR_ARRAY_PUSH(list, atl_pending_t);
    one->state = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    one->return_url = back;
    one->created = atl_now();
    one->flags = ATL_PENDING_SITES | ATL_PENDING_TOKEN | ATL_PENDING_REFRESH;
    if (atl_state_encode(&plain, &len, r->pool, list) != APR_SUCCESS
        || atl_seal(&sealed, r->pool, c->keys, c->purpose_pending, plain, len)
               != APR_SUCCESS
        || strlen(sealed) > ATL_BUDGET_PENDING) {
        return "its URL does not fit in the session, so the login could not "
               "come back to it";
    }
    return NULL;
}

/* Whether s is well-formed UTF-8 (no overlong form, no surrogate, nothing
 * past U+10FFFF): the replay page is UTF-8, and a browser would replace
 * anything else, so such a value could not be sent again byte for byte. */
static int atl_post_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s++, n, min, cp;

        if (c < 0x80) {
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        }
        else {
            return 0;
        }
        for (; n; n--, s++) {
            if ((*s & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (*s & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }
    return 1;
}

/* Every field must decode (no bad escape, no NUL, UTF-8 only): the page
 * sends the decoded values again, so what cannot be decoded cannot be
 * kept. */
static int atl_post_decodes(apr_pool_t *p, const char *body)
{
    char *copy = apr_pstrdup(p, body), *last, *pair;

    if (ap_strcasestr(body, "%00")) {
        return 0;
    }
    for (pair = apr_strtok(copy, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        if (ap_unescape_urlencoded(pair) != OK
            || !atl_post_utf8((const unsigned char *)pair)) {
            return 0;
        }
    }
    return 1;
}

/* Read at most ATL_POST_MAX bytes of body; NULL with *why set when the
 * body is larger or cannot be read. */
static const char *atl_post_read(request_rec *r, const char **why)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf;
    apr_size_t total = 0;
    int eos = 0;

    if (cl) {
        apr_off_t n;
        char *end;

        if (apr_strtoff(&n, cl, &end, 10) != APR_SUCCESS || *end || n < 0
            || n > ATL_POST_MAX) {
            *why = "its body is larger than " APR_STRINGIFY(ATL_POST_MAX) " bytes";
            return NULL;
        }
    }
    buf = apr_palloc(r->pool, ATL_POST_MAX + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        apr_bucket *e;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                                         APR_BLOCK_READ, ATL_POST_MAX + 1 - total);

        if (rv != APR_SUCCESS) {
            apr_brigade_destroy(bb);
            *why = "its body could not be read";
            return NULL;
        }
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
             e = APR_BUCKET_NEXT(e)) {
            const char *data;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(e)) {
                eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                continue;
            }
            if (apr_bucket_read(e, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) {
                apr_brigade_destroy(bb);
                *why = "its body could not be read";
                return NULL;
            }
            if (len > ATL_POST_MAX - total) {
                apr_brigade_destroy(bb);
                *why = "its body is larger than " APR_STRINGIFY(ATL_POST_MAX) " bytes";
                return NULL;
            }
            memcpy(buf + total, data, len);
            total += len;
        }
        apr_brigade_cleanup(bb);
    }
    apr_brigade_destroy(bb);
    buf[total] = '\0';
    if (memchr(buf, '\0', total)) {
        *why = "its body holds a NUL byte";
        return NULL;
    }
    return buf;
}

int atl_post_take(request_rec *r, const atl_srv_conf *c, const char *url)
{
    const char *why = atl_post_cross_site(r);
    const char *body, *plain;
    apr_size_t len;

    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00620: a form POST that needs a login is not kept "
                      "(AtlassianPreservePost): it is not a same-origin POST (%s); "
                      "401, the session is left as it is",
                      why);
        return 0;
    }
    why = atl_post_url_unfit(r, c, url);
    body = why ? NULL : atl_post_read(r, &why);

    if (body && !atl_post_decodes(r->pool, body)) {
        why = "its body is not well-formed form data in UTF-8";
        body = NULL;
    }
    /* The record as it will be stored, with a state of the same length. */
    if (body
        && atl_keptpost_encode(&plain, &len, r->pool,
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body)
               != APR_SUCCESS) {
        why = "its body is not well-formed form data in UTF-8";
        body = NULL;
    }
    if (body && ATL_SEALED_LEN(len) > ATL_BUDGET_POST) {
        why = "its body does not fit in the session (a session cookie holds "
              "about 1 KB of form data beside the pending logins)";
        body = NULL;
    }
    if (!body) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00451: a form POST that needs a login is not kept "
                      "(AtlassianPreservePost): %s; 401",
                      why);
        return 0;
    }
    apr_table_setn(r->notes, ATL_NOTE_POST, body);
    return 1;
}

void atl_post_keep(request_rec *r, session_rec *z, const atl_srv_conf *c,
                   const char *state)
{
    const char *body = apr_table_get(r->notes, ATL_NOTE_POST);
    const char *plain;
    apr_size_t len;

    if (!body || r->method_number != M_POST) {
        return;
    }
    if (atl_keptpost_encode(&plain, &len, r->pool, state, body) != APR_SUCCESS
        || atl_store_post(r, z, c, plain, len, ATL_BUDGET_POST) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00452: the form POST could not be kept in the session: "
                      "it will not be sent again after the login");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ATL00453: form POST of %" APR_SIZE_T_FMT " bytes kept until "
                  "the login",
                  strlen(body));
}

void atl_post_forget(request_rec *r, session_rec *z, const atl_srv_conf *c)
{
    atl_store_post(r, z, c, NULL, 0, 0);
}

/* One hidden field per pair of the body, decoded, escaped for HTML. */
static const char *atl_post_fields(apr_pool_t *p, const char *body)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    char *copy = apr_pstrdup(p, body), *last, *pair;

    for (pair = apr_strtok(copy, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair); /* writable "" */

        if (eq) {
            *eq = '\0';
        }
        if (ap_unescape_urlencoded(pair) != OK || ap_unescape_urlencoded(value) != OK) {
            continue;
        }
        APR_ARRAY_PUSH(out, const char *) =
            apr_pstrcat(p, "<input type=\"hidden\" name=\"", ap_escape_html2(p, pair, 0),
                        "\" value=\"", ap_escape_html2(p, value, 0), "\">\n", NULL);
    }
    return apr_array_pstrcat(p, out, 0);
}

/* The page that sends the kept fields again. The callback's
 * Referrer-Policy (no-referrer) would make the POST's Origin "null", which
 * applications that check Origin refuse: the page's own policy sends the
 * origin alone (never the callback's URL with its code). */
static int atl_post_page(request_rec *r, const char *back, const char *body)
{
    const char *nonce;

    if (atl_state_generate(&nonce, r->pool) != APR_SUCCESS) {
        return atl_redirect(r, back);
    }
    /* The session leaves with the page's headers, before the first byte. */
    atl_commit(r, OK);
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_pstrcat(r->pool, "default-src 'none'; script-src 'nonce-", nonce,
                               "'; base-uri 'none'; frame-ancestors 'none'", NULL));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ATL00454: the form POST kept during the login is sent again "
                  "to %s",
                  ap_escape_logitem(r->pool, back));
    if (r->header_only) {
        return DONE;
    }
    ap_rvputs(r,
              "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n"
              "<meta name=\"referrer\" content=\"origin\">\n"
              "<title>Signed in</title></head>\n<body>\n"
              "<form id=\"atl-replay\" method=\"post\" accept-charset=\"utf-8\" "
              "enctype=\"" ATL_FORM_TYPE "\" action=\"",
              ap_escape_html2(r->pool, back, 1), "\">\n", atl_post_fields(r->pool, body),
              "<p>You are signed in. Your form is being sent again.</p>\n"
              "<button type=\"submit\" autofocus>Continue</button>\n</form>\n"
              "<script nonce=\"",
              nonce,
              "\">HTMLFormElement.prototype.submit.call("
              "document.getElementById(\"atl-replay\"));</script>\n"
              "</body></html>\n",
              NULL);
    return DONE;
}

int atl_post_after_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                         const char *state, const char *back)
{
    apr_size_t len;
    const char *plain = atl_load_post(&len, r, z, c);
    const char *kept_state, *body;

    if (!plain) {
        atl_post_forget(r, z, c); /* an unreadable value goes too */
        return atl_redirect(r, back);
    }
    atl_post_forget(r, z, c);
    if (atl_keptpost_decode(&kept_state, &body, r->pool, plain, len) != APR_SUCCESS
        || !atl_seal_equal(kept_state, state)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00455: the kept form POST belongs to another login: "
                      "dropped");
        return atl_redirect(r, back);
    }
    if (!atl_redirect_is_local(back) || atl_post_is_callback(r->pool, back, c)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00456: the kept form POST is dropped: its URL is not "
                      "a local page");
        return atl_redirect(r, back);
    }
    return atl_post_page(r, back, body);
}
