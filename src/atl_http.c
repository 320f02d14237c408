/* SPDX-License-Identifier: Apache-2.0 */
/* The outbound HTTP client (libcurl). With atl_http_multi.c (calls in
 * waves), through atl_http_private.h, the only file that includes
 * curl/curl.h, so that libcurl's result codes become apr_status_t values
 * (and a short message for the administrator) right here.
 *
 * Connections are reused within a process: a call borrows an idle easy
 * handle (its connection cache, kept alive, goes with it) and gives it back
 * afterwards, so consecutive logins talk to Atlassian over one connection
 * per host. A handle serves one thread at a time, as libcurl requires; TLS
 * sessions and the DNS cache are shared between all handles through a share
 * object whose locks make that safe across threads, so a second handle
 * resumes TLS instead of a full handshake. A batch's calls (atl_http_multi.c)
 * go through a multi handle instead, borrowed with its connections in the
 * same way, and use the same share. */

#include <string.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "atl_http.h"
#include "atl_http_private.h"

#include "atl_version.h"

#define ATL_HTTP_USER_AGENT "mod_auth_atlassian/" ATL_VERSION

/* Every other libcurl name used here exists in 7.66 (CURLINFO_RETRY_AFTER
 * is the newest); the protocol lists by name came in 7.85, which deprecates
 * the bitmask options, so older libcurl gets the bitmask. configure asks
 * for 7.74, the oldest whose headers tests/oldheaders/run compiles with. */
#if LIBCURL_VERSION_NUM >= 0x075500
#define ATL_HTTP_PROTOCOLS          CURLOPT_PROTOCOLS_STR
#define ATL_HTTP_REDIR_PROTOCOLS    CURLOPT_REDIR_PROTOCOLS_STR
#define ATL_HTTP_PROTOCOLS_HTTP_ANY "http,https"
#else
#define ATL_HTTP_PROTOCOLS          CURLOPT_PROTOCOLS
#define ATL_HTTP_REDIR_PROTOCOLS    CURLOPT_REDIR_PROTOCOLS
#define ATL_HTTP_PROTOCOLS_HTTP_ANY (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
#endif

/* Used when the configuration leaves the timeout unset (0 or negative). */
#define ATL_HTTP_DEFAULT_TIMEOUT_MS 10000L

static size_t atl_http_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    atl_http_sink_t *sink = userdata;
    apr_size_t n = size * nmemb;

    if (n == 0) {
        return 0;
    }
    if (n > sink->max - sink->len) {
        /* Returning less than n makes curl abort with CURLE_WRITE_ERROR;
         * the flag tells the caller why. */
        sink->too_big = 1;
        return 0;
    }
    if (sink->len + n + 1 > sink->cap) {
        apr_size_t cap = sink->cap ? sink->cap : 1024;
        char *buf;

        while (cap < sink->len + n + 1) {
            cap *= 2;
        }
        if (cap > sink->max + 1) {
            cap = sink->max + 1;
        }
        buf = apr_palloc(sink->pool, cap);
        if (sink->len) {
            memcpy(buf, sink->buf, sink->len);
        }
        sink->buf = buf;
        sink->cap = cap;
    }
    memcpy(sink->buf + sink->len, data, n);
    sink->len += n;
    sink->buf[sink->len] = '\0';
    return n;
}

/* A header value we put on the wire must not carry CR, LF or other control
 * characters: they would let a value inject headers of its own. */
static int atl_http_header_safe(const char *v)
{
    const unsigned char *s = (const unsigned char *)v;

    for (; *s; s++) {
        if (*s < 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* curl's messages are meant for a terminal; the log wants one clean line. */
static const char *atl_http_clean(apr_pool_t *p, const char *msg)
{
    char *out = apr_pstrdup(p, msg);
    char *s;
    apr_size_t len = strlen(out);

    while (len > 0
           && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' ')) {
        out[--len] = '\0';
    }
    for (s = out; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = ' ';
        }
    }
    return out;
}

/* Which step failed, so that the administrator knows where to look. */
static const char *atl_http_failed_step(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: return "TLS";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "resolve";
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return "URL";
    case CURLE_SEND_ERROR: return "send";
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return "receive";
    default: return "HTTP";
    }
}

atl_http_shared_t atl_http_shared;

static void atl_http_lock(CURL *handle, curl_lock_data data, curl_lock_access access,
                          void *userptr)
{
    if ((unsigned)data < CURL_LOCK_DATA_LAST && atl_http_shared.share_lock[data]) {
        apr_thread_mutex_lock(atl_http_shared.share_lock[data]);
    }
}

static void atl_http_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
    if ((unsigned)data < CURL_LOCK_DATA_LAST && atl_http_shared.share_lock[data]) {
        apr_thread_mutex_unlock(atl_http_shared.share_lock[data]);
    }
}

/* At the end of a configuration cycle (pconf's cleanup; httpd may unload
 * the module right after, and a graceful restart starts a new cycle): the
 * idle handles and the share go, so nothing is left behind unreachable. */
static apr_status_t atl_http_share_cleanup(void *data)
{
    int i;

    /* The mutexes (of the same pool) went first: libcurl's lock calls
     * during the cleanup below must not reach them. */
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        atl_http_shared.share_lock[i] = NULL;
    }
    atl_http_shared.idle_lock = NULL;
    for (i = 0; i < atl_http_shared.nidle; i++) {
        curl_easy_cleanup(atl_http_shared.idle[i]);
    }
    for (i = 0; i < atl_http_shared.nidle_multi; i++) {
        curl_multi_cleanup(atl_http_shared.idle_multi[i]);
    }
    if (atl_http_shared.share) {
        curl_share_cleanup(atl_http_shared.share);
    }
    memset(&atl_http_shared, 0, sizeof(atl_http_shared));
    return APR_SUCCESS;
}

/* The share object for TLS sessions and DNS, with a lock per kind of data,
 * and the lock of the idle handles; they live as long as pconf. Failure
 * leaves calls without them, which only costs speed. */
static void atl_http_share_init(apr_pool_t *pconf)
{
    CURLSH *sh;
    int i;

    if (atl_http_shared.pool) {
        return;
    }
    if (apr_pool_create(&atl_http_shared.pool, pconf) != APR_SUCCESS) {
        atl_http_shared.pool = NULL;
        return;
    }
    apr_pool_cleanup_register(atl_http_shared.pool, NULL, atl_http_share_cleanup,
                              apr_pool_cleanup_null);
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        if (apr_thread_mutex_create(&atl_http_shared.share_lock[i],
                                    APR_THREAD_MUTEX_DEFAULT, atl_http_shared.pool)
            != APR_SUCCESS) {
            return;
        }
    }
    if (apr_thread_mutex_create(&atl_http_shared.idle_lock, APR_THREAD_MUTEX_DEFAULT,
                                atl_http_shared.pool)
        != APR_SUCCESS) {
        atl_http_shared.idle_lock = NULL;
        return;
    }
    sh = curl_share_init();
    if (sh == NULL
        || curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, atl_http_lock) != CURLSHE_OK
        || curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, atl_http_unlock) != CURLSHE_OK
        || curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)
               != CURLSHE_OK
        || curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        if (sh) {
            curl_share_cleanup(sh);
        }
        return;
    }
    atl_http_shared.share = sh;
}

/* An idle handle (reset: no option of an earlier call is left), or a new
 * one. */
static CURL *atl_http_borrow(void)
{
    CURL *curl = NULL;

    if (atl_http_shared.idle_lock) {
        apr_thread_mutex_lock(atl_http_shared.idle_lock);
        if (atl_http_shared.nidle > 0) {
            curl = atl_http_shared.idle[--atl_http_shared.nidle];
        }
        apr_thread_mutex_unlock(atl_http_shared.idle_lock);
    }
    if (curl) {
        curl_easy_reset(curl);
        return curl;
    }
    return curl_easy_init();
}

/* Give a handle back after a call that went well; one that failed (its
 * connection may be in any state) or one too many is closed. */
static void atl_http_give_back(CURL *curl, int ok)
{
    if (ok && atl_http_shared.idle_lock) {
        /* Nothing of this call (its error buffer and sink on the stack, its
         * header list) may stay attached to an idle handle. */
        curl_easy_reset(curl);
        apr_thread_mutex_lock(atl_http_shared.idle_lock);
        if (atl_http_shared.nidle < ATL_HTTP_MAX_IDLE) {
            atl_http_shared.idle[atl_http_shared.nidle++] = curl;
            curl = NULL;
        }
        apr_thread_mutex_unlock(atl_http_shared.idle_lock);
    }
    if (curl) {
        curl_easy_cleanup(curl);
    }
}

const char *atl_http_hide(apr_pool_t *p, const char *s, const char *secret)
{
    const char *hit;
    apr_size_t slen;
    char *out = NULL;

    if (s == NULL || secret == NULL || (slen = strlen(secret)) < 4) {
        return s;
    }
    while ((hit = strstr(s, secret)) != NULL) {
        out = apr_pstrcat(p, out ? out : "", apr_pstrmemdup(p, s, hit - s), "[hidden]",
                          NULL);
        s = hit + slen;
    }
    return out ? apr_pstrcat(p, out, s, NULL) : s;
}

const char *atl_http_library_version(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    return v && v->version ? v->version : "unknown";
}

apr_status_t atl_http_global_init(apr_pool_t *pconf)
{
    /* httpd runs post_config twice, and a graceful restart may run it
     * again; curl_global_init counts its calls, and the share is made
     * anew for each configuration cycle. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return APR_EGENERAL;
    }
    if (pconf) {
        atl_http_share_init(pconf);
    }
    return APR_SUCCESS;
}

/* Check what the call sends, take a handle and set it up. On failure
 * call->errmsg says why; the handle, if any, stays in call->curl for
 * atl_http_release. */
apr_status_t atl_http_setup(atl_http_call_t *call)
{
    apr_pool_t *p = call->p;
    const atl_http_opts_t *opts = &call->opts;
    const char *method = call->method, *url = call->url, *bearer = call->bearer;
    const char *content_type = call->content_type, *body = call->body;
    const char **errmsg = &call->errmsg;
    char *errbuf = call->errbuf;
    struct curl_slist *headers = NULL, *h;
    CURL *curl;
    CURLcode cc = CURLE_OK;
    apr_status_t rv = APR_SUCCESS;
    long timeout_ms;
    int post;

    errbuf[0] = '\0';
    memset(&call->sink, 0, sizeof(call->sink));
    call->sink.pool = p;
    call->sink.max = opts->max_body;

    if (url == NULL || !atl_http_header_safe(url)) {
        *errmsg = "URL: missing or has control characters";
        rv = ATL_E_BADINPUT;
        goto done;
    }
    if (method == NULL || (strcmp(method, "GET") && strcmp(method, "POST"))) {
        *errmsg = "only GET and POST are supported";
        rv = ATL_E_BADINPUT;
        goto done;
    }
    post = !strcmp(method, "POST");
    /* Neither the token nor the content type may smuggle in a header. The
     * message deliberately does not show the offending value. */
    if ((bearer && !atl_http_header_safe(bearer))
        || (content_type && !atl_http_header_safe(content_type))) {
        *errmsg = "request header value has control characters";
        rv = ATL_E_BADINPUT;
        goto done;
    }

    curl = call->curl = atl_http_borrow();
    if (curl == NULL) {
        *errmsg = "cannot create a curl handle";
        rv = APR_ENOMEM;
        goto done;
    }

    h = curl_slist_append(headers, "Accept: application/json");
    if (h) {
        headers = h;
        /* curl would otherwise wait for "100 Continue" before sending a
         * large POST body; the token endpoint has no use for that. */
        h = curl_slist_append(headers, "Expect:");
    }
    if (h && bearer) {
        headers = h;
        h = curl_slist_append(headers,
                              apr_pstrcat(p, "Authorization: Bearer ", bearer, NULL));
    }
    if (h && post && content_type) {
        headers = h;
        h = curl_slist_append(headers,
                              apr_pstrcat(p, "Content-Type: ", content_type, NULL));
    }
    if (h == NULL) {
        *errmsg = "cannot build the request headers";
        rv = APR_ENOMEM;
        goto done;
    }
    headers = h;

    timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : ATL_HTTP_DEFAULT_TIMEOUT_MS;

    /* Each setopt below can only fail for an unknown option or out of
     * memory; the first failure is kept and reported. */
    cc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
#define ATL_SETOPT(opt, val)                                                             \
    do {                                                                                 \
        if (cc == CURLE_OK) {                                                            \
            cc = curl_easy_setopt(curl, opt, val);                                       \
        }                                                                                \
    } while (0)
    /* Signals would interfere with httpd's own handling of them, and are
     * not safe in threaded MPMs. */
    ATL_SETOPT(CURLOPT_NOSIGNAL, 1L);
    if (atl_http_shared.share) {
        ATL_SETOPT(CURLOPT_SHARE, atl_http_shared.share);
    }
    ATL_SETOPT(CURLOPT_URL, url);
    ATL_SETOPT(ATL_HTTP_PROTOCOLS, ATL_HTTP_PROTOCOLS_HTTP_ANY);
    ATL_SETOPT(ATL_HTTP_REDIR_PROTOCOLS, ATL_HTTP_PROTOCOLS_HTTP_ANY);
    /* A redirect from an OAuth endpoint is never expected; following one
     * could carry the bearer token or the client secret elsewhere. */
    ATL_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    ATL_SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    ATL_SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    if (opts->ca_file) {
        ATL_SETOPT(CURLOPT_CAINFO, opts->ca_file);
    }
    ATL_SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
    ATL_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    ATL_SETOPT(CURLOPT_USERAGENT, ATL_HTTP_USER_AGENT);
    ATL_SETOPT(CURLOPT_HTTPHEADER, headers);
    ATL_SETOPT(CURLOPT_WRITEFUNCTION, atl_http_write);
    ATL_SETOPT(CURLOPT_WRITEDATA, &call->sink);
    /* When the server announces a Content-Length, an answer that is too
     * large fails before any of it is read. */
    ATL_SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opts->max_body);
    if (post) {
        const char *data = body ? body : "";

        ATL_SETOPT(CURLOPT_POST, 1L);
        ATL_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(data));
        ATL_SETOPT(CURLOPT_POSTFIELDS, data);
    }
    else {
        ATL_SETOPT(CURLOPT_HTTPGET, 1L);
    }
#undef ATL_SETOPT
    if (cc != CURLE_OK) {
        *errmsg =
            apr_psprintf(p, "cannot set up the request: %s", curl_easy_strerror(cc));
        rv = APR_EGENERAL;
        goto done;
    }

    call->timeout_ms = timeout_ms;

done:
    call->headers = headers;
    return rv;
}

/* What a performed call (cc) came to: *call->resp, or a failure with
 * call->errmsg. */
apr_status_t atl_http_result(atl_http_call_t *call, CURLcode cc)
{
    apr_pool_t *p = call->p;
    const atl_http_opts_t *opts = &call->opts;
    const char **errmsg = &call->errmsg;
    const char *errbuf = call->errbuf;
    atl_http_sink_t sink = call->sink;
    long timeout_ms = call->timeout_ms;
    CURL *curl = call->curl;
    atl_http_response_t **resp = &call->resp;
    atl_http_response_t *r;
    apr_status_t rv = APR_SUCCESS;

    if (cc != CURLE_OK) {
        const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(cc);

        if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            *errmsg = apr_psprintf(p, "answer too large (over %" APR_SIZE_T_FMT " bytes)",
                                   opts->max_body);
            rv = ATL_E_TOOBIG;
        }
        else if (cc == CURLE_OPERATION_TIMEDOUT) {
            *errmsg = apr_psprintf(p, "timeout after %ld ms: %s", timeout_ms,
                                   atl_http_clean(p, msg));
            rv = ATL_E_TIMEOUT;
        }
        else {
            *errmsg = apr_psprintf(p, "%s: %s", atl_http_failed_step(cc),
                                   atl_http_clean(p, msg));
            rv = ATL_E_UPSTREAM;
        }
        goto done;
    }

    r = apr_pcalloc(p, sizeof(*r));
    {
        long status = 0;
        char *ctype = NULL, *location = NULL;
        curl_off_t wait = 0;

        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        /* The strings belong to the handle, which goes away below. */
        if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK
            && ctype != NULL) {
            r->content_type = apr_pstrdup(p, ctype);
        }
        /* libcurl works out the redirect target without following it. */
        if (status >= 300 && status <= 399
            && curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK
            && location != NULL) {
            r->redirect_url = atl_http_clean(p, location);
        }
        r->status = status;
        /* libcurl reads both forms of the header (delta seconds and an
         * HTTP date) and answers 0 when there is none. */
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &wait) == CURLE_OK
            && wait > 0) {
            r->retry_after = wait > ATL_HTTP_MAX_RETRY_AFTER ? ATL_HTTP_MAX_RETRY_AFTER
                                                             : (apr_int64_t)wait;
        }
    }
    r->body = sink.buf ? sink.buf : "";
    r->body_len = sink.len;
    *resp = r;

done:
    return rv;
}

/* The handle goes back (kept when the call went well) and the headers. */
void atl_http_release(atl_http_call_t *call, int ok)
{
    if (call->curl) {
        atl_http_give_back(call->curl, ok);
        call->curl = NULL;
    }
    if (call->headers) {
        curl_slist_free_all(call->headers);
        call->headers = NULL;
    }
}

void atl_http_call_init(atl_http_call_t *call, apr_pool_t *p, const atl_http_opts_t *opts,
                        const char *method, const char *url, const char *bearer,
                        const char *content_type, const char *body)
{
    memset(call, 0, sizeof(*call));
    call->p = p;
    call->opts = *opts;
    call->opts.batch = NULL;
    call->method = method;
    call->url = url;
    call->bearer = bearer;
    call->content_type = content_type;
    call->body = body;
}

apr_status_t atl_http_perform(atl_http_call_t *call)
{
    apr_status_t rv = atl_http_setup(call);

    if (rv == APR_SUCCESS) {
        rv = atl_http_result(call, curl_easy_perform(call->curl));
    }
    atl_http_release(call, rv == APR_SUCCESS);
    return rv;
}
