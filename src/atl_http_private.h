/* SPDX-License-Identifier: Apache-2.0 */
/* What atl_http.c and atl_http_multi.c share: the only files besides
 * this one that include curl.h. Not for other files. */
#ifndef ATL_HTTP_PRIVATE_H
#define ATL_HTTP_PRIVATE_H

#include <apr_pools.h>
#include <apr_thread_mutex.h>

#include <curl/curl.h>

#include "atl_http.h"

/* Where the write callback collects the answer. The buffer lives in the
 * request's pool and grows by doubling, so a large answer costs at most
 * twice its size, and never more than max_body + 1 bytes per copy. */
typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len;
    apr_size_t cap;
    apr_size_t max;
    int too_big;
} atl_http_sink_t;

/* Idle easy handles kept for reuse; more than this are closed. */
#define ATL_HTTP_MAX_IDLE 8

/* What the process shares between calls; set up by atl_http_global_init.
 * Without it (no pool given) every call has a handle of its own. */
typedef struct {
    apr_pool_t *pool;
    apr_thread_mutex_t *idle_lock;
    CURL *idle[ATL_HTTP_MAX_IDLE];
    int nidle;
    CURLSH *share;
    apr_thread_mutex_t *share_lock[CURL_LOCK_DATA_LAST];
    CURLM *idle_multi[ATL_HTTP_MAX_IDLE]; /* of batches, with their
                                             connections */
    int nidle_multi;
} atl_http_shared_t;

extern atl_http_shared_t atl_http_shared;

/* One call: what it sends and where its answer goes. A call on its own
 * lives on the stack of atl_http_request; a batch keeps one per call it
 * noted. */
typedef struct {
    apr_pool_t *p;
    atl_http_opts_t opts;
    const char *method, *url, *bearer, *content_type, *body;
    long timeout_ms;
    CURL *curl;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    atl_http_sink_t sink;
    int state; /* ATL_HTTP_NOTED, _DONE or _TAKEN (in a batch) */
    apr_status_t rv;
    const char *errmsg;
    atl_http_response_t *resp;
} atl_http_call_t;

/* Fill call with what it sends (opts without its batch). */
void atl_http_call_init(atl_http_call_t *call, apr_pool_t *p, const atl_http_opts_t *opts,
                        const char *method, const char *url, const char *bearer,
                        const char *content_type, const char *body);

/* Check what the call sends, borrow a handle and set it up. */
apr_status_t atl_http_setup(atl_http_call_t *call);

/* What a performed call (cc) came to: call->resp, or call->errmsg. */
apr_status_t atl_http_result(atl_http_call_t *call, CURLcode cc);

/* Give the handle back (kept when ok) and free the headers. */
void atl_http_release(atl_http_call_t *call, int ok);

/* Make the call at once, on its own: set up, perform, release. */
apr_status_t atl_http_perform(atl_http_call_t *call);

#endif
