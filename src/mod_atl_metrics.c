/* SPDX-License-Identifier: Apache-2.0 */
/* The module's counters in shared memory, and the two ways to read them:
 * mod_status's page and the Prometheus handler "atlassian-metrics".
 *
 * One anonymous shared memory segment (apr_shm) is created by the parent
 * process in post_config and inherited by every child it forks. Its
 * apr_shm_t is kept as user data of the process pool, which lives as long
 * as the parent: a graceful restart (a new generation of children, a new
 * configuration, the module's file loaded again) finds the same segment
 * and the counters go on from where they were. Every update is one atomic
 * add on that memory: no lock, nothing to wait for on the request path. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "scoreboard.h"
#include "mod_status.h"

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "atl_version.h"
#include "mod_atl_metrics.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_METRICS_HANDLER "atlassian-metrics"
#define ATL_METRICS_KEY     "mod_auth_atlassian:metrics"
#define ATL_NOTE_METRIC     "atl-metric-auth"

/* Upper bounds of the latency buckets, in microseconds, and as Prometheus
 * writes them in the le label. Calls slower than the last one count only
 * in le="+Inf". */
#define ATL_NB 7
static const apr_interval_time_t atl_bounds[ATL_NB] = {100000,  250000,  500000,  1000000,
                                                       2500000, 5000000, 10000000};
static const char *const atl_le[ATL_NB] = {"0.1", "0.25", "0.5", "1", "2.5", "5", "10"};

/* The shared segment. size is the size of this struct when it was made: a
 * module built with another layout (an upgrade and a graceful restart)
 * starts a segment of its own instead of misreading this one. */
typedef struct {
    apr_uint64_t size;
    apr_uint64_t c[ATL_M_COUNT];
    struct {
        apr_uint64_t count;
        apr_uint64_t sum_us;
        apr_uint64_t b[ATL_NB + 1]; /* per bucket, not cumulative; last: slower */
    } ep[ATL_EP_COUNT];
} atl_metrics_shm_t;

/* Set in the parent by post_config (before any child exists); requests only
 * follow the pointer. */
static atl_metrics_shm_t *atl_shm;

typedef struct {
    const char *family;
    const char *labels;
    const char *help;
} atl_counter_desc_t;

static const atl_counter_desc_t atl_counters[ATL_M_COUNT] = {
    {"atlassian_logins_started_total", NULL,
     "Logins started: browsers sent to the authorize URL."},
    {"atlassian_logins_completed_total", NULL,
     "Logins completed: callbacks that stored a login in the session."},
    {"atlassian_logins_failed_total", "reason=\"state\"",
     "Logins that failed, by reason."},
    {"atlassian_logins_failed_total", "reason=\"consent\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"authorize\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"token\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"profile\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"sites\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"groups\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"timeout\"", NULL},
    {"atlassian_logins_failed_total", "reason=\"refused\"", NULL},
    {"atlassian_refreshes_total", "result=\"done\"",
     "Access token refreshes, by result."},
    {"atlassian_refreshes_total", "result=\"failed\"", NULL},
    {"atlassian_requests_total", "auth=\"logged_in\"",
     "Requests in AuthType Atlassian locations that reached their handler, "
     "by whether a login came with them."},
    {"atlassian_requests_total", "auth=\"anonymous\"", NULL},
};

static const char *const atl_endpoints[ATL_EP_COUNT] = {"token", "profile", "resources",
                                                        "groups"};

#define ATL_UPSTREAM      "atlassian_upstream_seconds"
#define ATL_UPSTREAM_HELP "Time the calls to Atlassian took, by endpoint."

void atl_metric_inc(atl_metric_e m)
{
    if (atl_shm && m < ATL_M_COUNT) {
        apr_atomic_inc64(&atl_shm->c[m]);
    }
}

void atl_metric_observe(atl_endpoint_e ep, apr_time_t start)
{
    apr_interval_time_t took = apr_time_now() - start;
    int i;

    if (!atl_shm || ep >= ATL_EP_COUNT) {
        return;
    }
    if (took < 0) {
        took = 0; /* the clock was set back */
    }
    for (i = 0; i < ATL_NB && took > atl_bounds[i]; i++) {
        continue;
    }
    apr_atomic_inc64(&atl_shm->ep[ep].b[i]);
    apr_atomic_add64(&atl_shm->ep[ep].sum_us, (apr_uint64_t)took);
    apr_atomic_inc64(&atl_shm->ep[ep].count);
}

void atl_metric_request(request_rec *r, int logged_in)
{
    if (r->main) {
        return;
    }
    /* The first request of the chain is the one httpd logs. */
    while (r->prev) {
        r = r->prev;
    }
    apr_table_setn(r->notes, ATL_NOTE_METRIC, logged_in ? "1" : "0");
}

static int atl_metrics_log_transaction(request_rec *r)
{
    const char *auth = apr_table_get(r->notes, ATL_NOTE_METRIC);

    if (auth) {
        atl_metric_inc(*auth == '1' ? ATL_M_REQ_LOGGED_IN : ATL_M_REQ_ANONYMOUS);
    }
    return DECLINED;
}

/* -- reading ----------------------------------------------------------- */

/* One line of output: a sample of a family (HELP and TYPE go with the
 * first sample of each family). */
typedef void (*atl_emit_fn)(request_rec *r, const char *family, const char *help,
                            const char *type, const char *name, const char *labels,
                            const char *value);

static const char *atl_u64(request_rec *r, apr_uint64_t v)
{
    return apr_psprintf(r->pool, "%" APR_UINT64_T_FMT, v);
}

static void atl_metrics_walk(request_rec *r, atl_emit_fn emit)
{
    int m, e, i;

    /* The build-info convention: a constant 1 that carries the version. */
    emit(r, "atlassian_build_info", "The module's version.", "gauge",
         "atlassian_build_info", "version=\"" ATL_VERSION "\"", "1");
    for (m = 0; m < ATL_M_COUNT; m++) {
        const atl_counter_desc_t *d = &atl_counters[m];

        emit(r, d->family, d->help, "counter", d->family, d->labels,
             atl_u64(r, apr_atomic_read64(&atl_shm->c[m])));
    }
    for (e = 0; e < ATL_EP_COUNT; e++) {
        apr_uint64_t cum = 0, count, sum;
        const char *ep = atl_endpoints[e];

        /* Read the count first: the buckets, read after it, hold at least
         * as many calls, so +Inf (the count) is never below a bucket. */
        count = apr_atomic_read64(&atl_shm->ep[e].count);
        sum = apr_atomic_read64(&atl_shm->ep[e].sum_us);
        for (i = 0; i < ATL_NB; i++) {
            cum += apr_atomic_read64(&atl_shm->ep[e].b[i]);
            emit(r, ATL_UPSTREAM, e == 0 && i == 0 ? ATL_UPSTREAM_HELP : NULL,
                 "histogram", ATL_UPSTREAM "_bucket",
                 apr_psprintf(r->pool, "endpoint=\"%s\",le=\"%s\"", ep, atl_le[i]),
                 atl_u64(r, cum < count ? cum : count));
        }
        emit(r, ATL_UPSTREAM, NULL, "histogram", ATL_UPSTREAM "_bucket",
             apr_psprintf(r->pool, "endpoint=\"%s\",le=\"+Inf\"", ep), atl_u64(r, count));
        emit(r, ATL_UPSTREAM, NULL, "histogram", ATL_UPSTREAM "_sum",
             apr_psprintf(r->pool, "endpoint=\"%s\"", ep),
             apr_psprintf(r->pool, "%" APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT,
                          sum / APR_USEC_PER_SEC, sum % APR_USEC_PER_SEC));
        emit(r, ATL_UPSTREAM, NULL, "histogram", ATL_UPSTREAM "_count",
             apr_psprintf(r->pool, "endpoint=\"%s\"", ep), atl_u64(r, count));
    }
}

static void atl_emit_prometheus(request_rec *r, const char *family, const char *help,
                                const char *type, const char *name, const char *labels,
                                const char *value)
{
    if (help) {
        ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", family, help, family, type);
    }
    ap_rprintf(r, "%s%s%s%s %s\n", name, labels ? "{" : "", labels ? labels : "",
               labels ? "}" : "", value);
}

/* mod_status's ?auto form: "name{labels}: value", one a line. */
static void atl_emit_auto(request_rec *r, const char *family, const char *help,
                          const char *type, const char *name, const char *labels,
                          const char *value)
{
    ap_rprintf(r, "%s%s%s%s: %s\n", name, labels ? "{" : "", labels ? labels : "",
               labels ? "}" : "", value);
}

static void atl_emit_html(request_rec *r, const char *family, const char *help,
                          const char *type, const char *name, const char *labels,
                          const char *value)
{
    ap_rprintf(r, "<tr><td>%s%s%s%s</td><td>%s</td></tr>\n", name, labels ? "{" : "",
               labels ? ap_escape_html(r->pool, labels) : "", labels ? "}" : "", value);
}

static int atl_metrics_status(request_rec *r, int flags)
{
    if (!atl_shm || !ap_extended_status) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        atl_metrics_walk(r, atl_emit_auto);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_auth_atlassian</h2>\n"
             "<table border=\"0\"><tr><th>metric</th><th>value</th></tr>\n",
             r);
    atl_metrics_walk(r, atl_emit_html);
    ap_rputs("</table>\n", r);
    return OK;
}

static int atl_metrics_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, ATL_METRICS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!atl_shm) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00401: no metrics: their shared memory could not be "
                      "set up at startup (see ATL00400)");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        atl_metrics_walk(r, atl_emit_prometheus);
    }
    return OK;
}

/* -- the segment -------------------------------------------------------- */

static int atl_metrics_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                   server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    atl_metrics_shm_t *base;
    apr_shm_t *shm;
    void *data = NULL;
    apr_status_t rv;

    apr_pool_userdata_get(&data, ATL_METRICS_KEY, pp);
    if (data) {
        shm = data;
        base = apr_shm_baseaddr_get(shm);
        if (apr_shm_size_get(shm) >= sizeof(*base) && base->size == sizeof(*base)) {
            atl_shm = base; /* a restart: the counters go on */
            return OK;
        }
    }
    rv = apr_shm_create(&shm, sizeof(*base), NULL, pp);
    if (rv == APR_ENOTIMPL) {
        /* No anonymous shared memory here: a file-backed one, new each
         * time the parent starts. */
        const char *file = ap_runtime_dir_relative(pp, "atl-metrics.shm");

        apr_shm_remove(file, ptemp);
        rv = apr_shm_create(&shm, sizeof(*base), file, pp);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "ATL00400: no shared memory for the module's metrics: they "
                     "are not counted, and the atlassian-metrics handler answers "
                     "503");
        atl_shm = NULL;
        return OK;
    }
    base = apr_shm_baseaddr_get(shm);
    memset(base, 0, sizeof(*base));
    base->size = sizeof(*base);
    /* The cleanup must not live in this module's file: it is unloaded and
     * loaded again on every restart, the process pool stays. */
    apr_pool_userdata_set(shm, ATL_METRICS_KEY, apr_pool_cleanup_null, pp);
    atl_shm = base;
    return OK;
}

void atl_metrics_register(apr_pool_t *p)
{
    ap_hook_post_config(atl_metrics_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(atl_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(atl_metrics_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, atl_metrics_status, NULL, NULL, APR_HOOK_MIDDLE);
}
