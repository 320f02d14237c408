/* SPDX-License-Identifier: Apache-2.0 */
/* A bound on the callbacks that wait on Atlassian at the same time, per
 * child process.
 *
 * The code of a callback is exchanged, and the profile fetched, while the
 * worker thread waits (up to AtlassianTimeout per call). Were Atlassian
 * slow, enough callbacks would hold every thread of a child, and logged-in
 * users, whose requests never call Atlassian, would wait behind them. So
 * only half of a child's threads (ThreadsPerChild, as the MPM reports it)
 * may wait on Atlassian at once; any callback beyond that share is answered
 * 503 with Retry-After before it calls anything or changes the session, so
 * the browser can simply load the same callback URL again. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "ap_mpm.h"

#include <apr_atomic.h>
#include <apr_strings.h>

#include "mod_atl_limit.h"
#include "mod_atl_pages.h"

APLOG_USE_MODULE(auth_atlassian);

/* The callbacks of this child that are in flight. The one value of the
 * module that all threads of a process share; it is only ever touched
 * with apr_atomic. */
static volatile apr_uint32_t atl_in_flight;

/* The threads a child runs (1 for a process-per-request MPM). */
static int atl_limit_threads(void)
{
    int threads = 0;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) {
        return 1;
    }
    return threads;
}

static apr_status_t atl_limit_leave(void *unused)
{
    apr_atomic_dec32(&atl_in_flight);
    return APR_SUCCESS;
}

int atl_limit_enter(request_rec *r, const atl_srv_conf *c)
{
    int threads = atl_limit_threads();
    /* Half of them, at least one: a single-threaded child still logs in. */
    apr_uint32_t share = threads < 2 ? 1 : (apr_uint32_t)threads / 2;
    apr_uint32_t before = apr_atomic_inc32(&atl_in_flight);
    int timeout = c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT;

    if (before < share) {
        /* Counted until the request ends, whatever way it ends. */
        apr_pool_cleanup_register(r->pool, NULL, atl_limit_leave, apr_pool_cleanup_null);
        return OK;
    }
    apr_atomic_dec32(&atl_in_flight);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00700: callback answered 503 before calling Atlassian: %u "
                  "callbacks of this process already wait on Atlassian, the most "
                  "allowed (half of its %d threads); Atlassian is slow or "
                  "unreachable (AtlassianTimeout %d s each call)",
                  before, threads, timeout);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%d", timeout));
    return atl_error_page(r, HTTP_SERVICE_UNAVAILABLE,
                          "Atlassian is answering slowly and the server is busy "
                          "finishing other sign-ins. Please reload this page in a "
                          "few seconds.");
}
