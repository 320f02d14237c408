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

/* Every field must decode (no bad escape, no NUL): the page sends the
 * decoded values again, so what cannot be decoded cannot be kept. */
static int atl_post_decodes(apr_pool_t *p, const char *body)
{
    char *copy = apr_pstrdup(p, body), *last, *pair;

    if (ap_strcasestr(body, "%00")) {
        return 0;
    }
    for (pair = apr_strtok(copy, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        if (ap_unescape_urlencoded(pair) != OK) {
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

int atl_post_take(request_rec *r)
{
    const char *why = NULL;
    const char *body = atl_post_read(r, &why);

    if (body && !atl_post_decodes(r->pool, body)) {
        why = "its body is not well-formed form data";
        body = NULL;
    }
    /* The state (43 characters) and a newline come first. */
    if (body && ATL_SEALED_LEN(strlen(body) + 44) > ATL_BUDGET_POST) {
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

    if (!body || r->method_number != M_POST) {
        return;
    }
    plain = apr_pstrcat(r->pool, state, "\n", body, NULL);
    if (atl_store_post(r, z, c, plain, strlen(plain), ATL_BUDGET_POST) != APR_SUCCESS) {
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
            apr_pstrcat(p, "<input type=\"hidden\" name=\"", ap_escape_html2(p, pair, 1),
                        "\" value=\"", ap_escape_html2(p, value, 1), "\">\n", NULL);
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
    const char *nl;

    if (!plain) {
        atl_post_forget(r, z, c); /* an unreadable value goes too */
        return atl_redirect(r, back);
    }
    atl_post_forget(r, z, c);
    nl = memchr(plain, '\n', len);
    if (!nl || !atl_seal_equal(apr_pstrmemdup(r->pool, plain, nl - plain), state)) {
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
    return atl_post_page(r, back, nl + 1);
}
