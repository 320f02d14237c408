/* SPDX-License-Identifier: Apache-2.0 */
/* The outbound HTTP client (libcurl): atl_http.c and atl_http_multi.c, the
 * only files that include curl.h (through atl_http_private.h). */
#ifndef ATL_HTTP_H
#define ATL_HTTP_H

#include <apr_pools.h>
#include <apr_time.h>
#include "atl_status.h"

/* Calls made together: see atl_http_batch_make. */
typedef struct atl_http_batch_t atl_http_batch_t;

typedef struct {
    const char *ca_file;     /* CA bundle; NULL: the system store */
    long timeout_ms;         /* total time for one call */
    apr_size_t max_body;     /* larger answers fail with ATL_E_TOOBIG */
    atl_http_batch_t *batch; /* NULL: each call on its own, at once */
} atl_http_opts_t;

typedef struct {
    long status;      /* HTTP status code of the answer */
    const char *body; /* NUL-terminated (may contain NULs before) */
    apr_size_t body_len;
    const char *content_type; /* NULL when absent */
    apr_int64_t retry_after;  /* seconds from a Retry-After header (either
                                 form; a date is turned into seconds from
                                 now), at most ATL_HTTP_MAX_RETRY_AFTER;
                                 0 when absent, invalid or in the past */
    const char *redirect_url; /* where a 3xx pointed (not followed); or NULL */
} atl_http_response_t;

/* A Retry-After longer than a day is read as a day. */
#define ATL_HTTP_MAX_RETRY_AFTER 86400

/* s with every occurrence of secret replaced by "[hidden]": an answer
 * could quote what it was sent (a code, a token, the client secret), and
 * its words go into log lines. Values shorter than four bytes are left
 * alone: they are no secret, and replacing them would garble the text. */
const char *atl_http_hide(apr_pool_t *p, const char *s, const char *secret);

/* At startup, once per configuration cycle (curl_global_init). With pconf,
 * calls of this process then reuse connections and TLS sessions until
 * pconf is cleared; without it, each call has a connection of its own. */
apr_status_t atl_http_global_init(apr_pool_t *pconf);

/* The version of the libcurl the process runs with (for the startup log). */
const char *atl_http_library_version(void);

/* Perform one request. TLS peer and host verification are always on;
 * redirects are not followed; only http and https are allowed.
 * bearer (may be NULL) becomes "Authorization: Bearer <bearer>";
 * content_type and body (may be NULL) are sent with POST.
 * Returns APR_SUCCESS and *resp for any HTTP answer (whatever its status),
 * ATL_E_TIMEOUT when the timeout expired, ATL_E_TOOBIG when the answer
 * exceeds max_body, ATL_E_UPSTREAM for connection and TLS failures.
 * *errmsg (never NULL on failure) says what failed, without any token. */
apr_status_t atl_http_request(atl_http_response_t **resp, const char **errmsg,
                              apr_pool_t *p, const atl_http_opts_t *opts,
                              const char *method, const char *url, const char *bearer,
                              const char *content_type, const char *body);

/* Calls in waves. The code that makes calls (atl_oauth, atl_groups) stays
 * as it is, one call after the other: a batch only changes where their
 * answers come from. Calls with opts->batch set
 *   - while the batch plans (atl_http_batch_plan): are only noted, and
 *     answered ATL_E_DEFERRED at once (a call noted twice is made once);
 *   - after atl_http_batch_run: take the answer of the same call (method,
 *     URL, bearer and body) that the wave made, once; any other call is a
 *     wave of its own, made at once.
 * A wave makes its calls concurrently on one libcurl multi handle: each
 * is bounded by its own timeout, so the wave by the longest; over HTTP/2
 * the calls to one host share a connection. A batch borrows one of the
 * process's idle multi handles (with their open connections) and gives it
 * back when p is cleared; TLS sessions and DNS are shared with every other
 * call of the process. A batch serves one thread. */
atl_http_batch_t *atl_http_batch_make(apr_pool_t *p);

/* From now on calls through the batch are only noted (see above). */
void atl_http_batch_plan(atl_http_batch_t *b);

/* Make every noted call, together; returns when all have an answer or
 * failed. Returns the number of calls made. */
int atl_http_batch_run(atl_http_batch_t *b);

/* When the last wave began (0: none yet): a call whose answer a wave
 * brought took from then, for its latency. */
apr_time_t atl_http_batch_started(const atl_http_batch_t *b);

#endif
