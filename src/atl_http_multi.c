/* SPDX-License-Identifier: Apache-2.0 */
/* Calls in waves: a login's calls that need no answer of one another,
 * made together on one libcurl multi handle (see atl_http_batch_make),
 * and atl_http_request, the client's entry, which sends a call to its
 * batch or has atl_http.c make it at once: this file uses atl_http.c,
 * never the other way round. With atl_http.c the only files that include
 * curl.h. */

#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_http_private.h"

/* ---- calls in waves (see atl_http_batch_make) ---- */

enum { ATL_HTTP_NOTED = 1, ATL_HTTP_DONE, ATL_HTTP_TAKEN };

struct atl_http_batch_t {
    apr_pool_t *p;
    CURLM *multi;
    apr_array_header_t *calls; /* of atl_http_call_t * */
    int planning;
    apr_time_t started; /* of the last wave; 0: none yet */
};

/* Whether two calls send the same request (a NULL equals only NULL). */
static int atl_http_same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static atl_http_call_t *atl_http_batch_find(atl_http_batch_t *b, int state,
                                            const char *method, const char *url,
                                            const char *bearer, const char *body)
{
    int i;

    for (i = 0; i < b->calls->nelts; i++) {
        atl_http_call_t *call = APR_ARRAY_IDX(b->calls, i, atl_http_call_t *);

        if (call->state == state && atl_http_same(call->method, method)
            && atl_http_same(call->url, url) && atl_http_same(call->bearer, bearer)
            && atl_http_same(call->body, body)) {
            return call;
        }
    }
    return NULL;
}

/* The multi handle goes back to the idle ones, with its connections;
 * calls still on it (the pool went before the wave ended) are dropped. */
static apr_status_t atl_http_batch_cleanup(void *data)
{
    atl_http_batch_t *b = data;
    CURLM *multi = b->multi;
    int i;

    for (i = 0; i < b->calls->nelts; i++) {
        atl_http_call_t *call = APR_ARRAY_IDX(b->calls, i, atl_http_call_t *);

        if (call->curl) {
            curl_multi_remove_handle(multi, call->curl);
            atl_http_release(call, 0);
        }
    }
    b->multi = NULL;
    if (multi == NULL) {
        return APR_SUCCESS;
    }
    if (atl_http_shared.idle_lock) {
        apr_thread_mutex_lock(atl_http_shared.idle_lock);
        if (atl_http_shared.nidle_multi < ATL_HTTP_MAX_IDLE) {
            atl_http_shared.idle_multi[atl_http_shared.nidle_multi++] = multi;
            multi = NULL;
        }
        apr_thread_mutex_unlock(atl_http_shared.idle_lock);
    }
    if (multi) {
        curl_multi_cleanup(multi);
    }
    return APR_SUCCESS;
}

atl_http_batch_t *atl_http_batch_make(apr_pool_t *p)
{
    atl_http_batch_t *b = apr_pcalloc(p, sizeof(*b));

    b->p = p;
    b->calls = apr_array_make(p, 8, sizeof(atl_http_call_t *));
    if (atl_http_shared.idle_lock) {
        apr_thread_mutex_lock(atl_http_shared.idle_lock);
        if (atl_http_shared.nidle_multi > 0) {
            b->multi = atl_http_shared.idle_multi[--atl_http_shared.nidle_multi];
        }
        apr_thread_mutex_unlock(atl_http_shared.idle_lock);
    }
    if (b->multi == NULL) {
        b->multi = curl_multi_init();
        if (b->multi) {
            /* Calls to one host share a connection where the peer speaks
             * HTTP/2 (libcurl's default, said here); a few connections
             * stay open for the next login. */
            curl_multi_setopt(b->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
            curl_multi_setopt(b->multi, CURLMOPT_MAXCONNECTS, (long)ATL_HTTP_MAX_IDLE);
        }
    }
    apr_pool_cleanup_register(p, b, atl_http_batch_cleanup, apr_pool_cleanup_null);
    return b;
}

apr_time_t atl_http_batch_started(const atl_http_batch_t *b)
{
    return b->started;
}

void atl_http_batch_plan(atl_http_batch_t *b)
{
    b->planning = 1;
}

/* A call that could not start, or one the wave's deadline ended. */
static void atl_http_batch_fail(atl_http_batch_t *b, atl_http_call_t *call,
                                apr_status_t rv, const char *why)
{
    if (call->curl && b->multi) {
        curl_multi_remove_handle(b->multi, call->curl);
    }
    atl_http_release(call, 0);
    call->rv = rv;
    if (why) {
        call->errmsg = why;
    }
    call->state = ATL_HTTP_DONE;
}

int atl_http_batch_run(atl_http_batch_t *b)
{
    long longest = 0;
    int i, running = 0, started = 0;
    apr_time_t deadline;

    b->planning = 0;
    b->started = apr_time_now();
    for (i = 0; i < b->calls->nelts; i++) {
        atl_http_call_t *call = APR_ARRAY_IDX(b->calls, i, atl_http_call_t *);
        apr_status_t rv;

        if (call->state != ATL_HTTP_NOTED) {
            continue;
        }
        started++;
        rv = atl_http_setup(call);
        if (rv != APR_SUCCESS) {
            atl_http_batch_fail(b, call, rv, NULL);
            continue;
        }
        /* Over TLS, several calls to one host wait for the first
         * connection's handshake rather than open one each: ALPN then
         * says whether it carries them all (HTTP/2). Over plain HTTP that
         * shows only with the first answer, which would cost a wave. */
        if (!strncasecmp(call->url, "https:", 6)) {
            curl_easy_setopt(call->curl, CURLOPT_PIPEWAIT, 1L);
        }
        curl_easy_setopt(call->curl, CURLOPT_PRIVATE, (void *)call);
        if (b->multi == NULL || curl_multi_add_handle(b->multi, call->curl) != CURLM_OK) {
            atl_http_batch_fail(b, call, APR_EGENERAL,
                                "cannot start the call (curl multi handle)");
            continue;
        }
        if (call->timeout_ms > longest) {
            longest = call->timeout_ms;
        }
    }
    /* Each call ends at its own timeout; this only guards against a call
     * that libcurl would somehow keep beyond it. */
    deadline = apr_time_now() + apr_time_from_msec(longest + 1000);
    while (b->multi) {
        CURLMsg *msg;
        int left;

        if (curl_multi_perform(b->multi, &running) != CURLM_OK) {
            running = 0;
        }
        while ((msg = curl_multi_info_read(b->multi, &left)) != NULL) {
            atl_http_call_t *call = NULL;

            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
            if (call == NULL) {
                continue;
            }
            call->rv = atl_http_result(call, msg->data.result);
            curl_multi_remove_handle(b->multi, call->curl);
            atl_http_release(call, call->rv == APR_SUCCESS);
            call->state = ATL_HTTP_DONE;
        }
        if (!running || apr_time_now() > deadline) {
            break;
        }
        curl_multi_poll(b->multi, NULL, 0, 100, NULL);
    }
    /* Whatever has no answer now (the multi handle failed, the deadline
     * passed) failed. */
    for (i = 0; i < b->calls->nelts; i++) {
        atl_http_call_t *call = APR_ARRAY_IDX(b->calls, i, atl_http_call_t *);

        if (call->state == ATL_HTTP_NOTED) {
            atl_http_batch_fail(
                b, call, ATL_E_TIMEOUT,
                apr_psprintf(b->p, "timeout after %ld ms: no answer", call->timeout_ms));
        }
    }
    return started;
}

/* A call with opts->batch: noted, or taken from the wave that made it. */
static apr_status_t
atl_http_batch_request(atl_http_response_t **resp, const char **errmsg, apr_pool_t *p,
                       const atl_http_opts_t *opts, const char *method, const char *url,
                       const char *bearer, const char *content_type, const char *body)
{
    atl_http_batch_t *b = opts->batch;
    atl_http_call_t *call;

    call = atl_http_batch_find(b, ATL_HTTP_DONE, method, url, bearer, body);
    if (call && b->planning) {
        /* Made already: kept for the caller that takes it after the wave. */
        *errmsg = "noted for the next wave";
        return ATL_E_DEFERRED;
    }
    if (call == NULL) {
        call = atl_http_batch_find(b, ATL_HTTP_NOTED, method, url, bearer, body);
        if (call == NULL) {
            /* Noted in the batch's pool: the answer outlives p. */
            call = apr_palloc(b->p, sizeof(*call));
            atl_http_call_init(call, b->p, opts, apr_pstrdup(b->p, method),
                               apr_pstrdup(b->p, url), apr_pstrdup(b->p, bearer),
                               apr_pstrdup(b->p, content_type), apr_pstrdup(b->p, body));
            call->state = ATL_HTTP_NOTED;
            APR_ARRAY_PUSH(b->calls, atl_http_call_t *) = call;
        }
        if (b->planning) {
            *errmsg = "noted for the next wave";
            return ATL_E_DEFERRED;
        }
        /* Not made in a wave: a wave of its own (a further page). */
        atl_http_batch_run(b);
    }
    call->state = ATL_HTTP_TAKEN;
    *resp = call->resp;
    *errmsg = call->errmsg;
    return call->rv;
}

/* The one entry of the client: a call in a batch goes through the batch,
 * any other is made at once (atl_http.c), so that atl_http.c never calls
 * up into this file. */
apr_status_t atl_http_request(atl_http_response_t **resp, const char **errmsg,
                              apr_pool_t *p, const atl_http_opts_t *opts,
                              const char *method, const char *url, const char *bearer,
                              const char *content_type, const char *body)
{
    atl_http_call_t call;
    apr_status_t rv;

    *resp = NULL;
    *errmsg = NULL;
    if (opts->batch) {
        return atl_http_batch_request(resp, errmsg, p, opts, method, url, bearer,
                                      content_type, body);
    }
    atl_http_call_init(&call, p, opts, method, url, bearer, content_type, body);
    rv = atl_http_perform(&call);
    *resp = call.resp;
    *errmsg = call.errmsg;
    return rv;
}
