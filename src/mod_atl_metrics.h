/* SPDX-License-Identifier: Apache-2.0 */
/* The module's counters: logins, refreshes, requests and the time the
 * calls to Atlassian take. They live in one shared memory segment that
 * every child process of httpd updates with atomic operations (no lock),
 * and that outlives graceful restarts. They are shown on mod_status's page
 * (ExtendedStatus On) and as Prometheus text by the handler
 * "atlassian-metrics". */
#ifndef MOD_ATL_METRICS_H
#define MOD_ATL_METRICS_H

#include "mod_atl.h"

#include <apr_time.h>

/* What can be counted. The order is the order of the exposition. */
typedef enum {
    ATL_M_LOGIN_STARTED,    /* a browser was sent to Atlassian's authorize URL */
    ATL_M_LOGIN_COMPLETED,  /* a callback stored a login */
    ATL_M_FAILED_STATE,     /* a callback without code, or its state unknown/spent */
    ATL_M_FAILED_CONSENT,   /* the user declined consent (error=access_denied) */
    ATL_M_FAILED_AUTHORIZE, /* any other error= from Atlassian's authorize step */
    ATL_M_FAILED_TOKEN,     /* the code exchange failed (invalid_grant included) */
    ATL_M_FAILED_PROFILE,   /* the profile call failed or was malformed */
    ATL_M_FAILED_SITES,     /* the accessible-resources call failed */
    ATL_M_FAILED_GROUPS,    /* the group check at login could not be done */
    ATL_M_FAILED_TIMEOUT,   /* any call to Atlassian ran out of time */
    ATL_M_FAILED_REFUSED,   /* the account is not active */
    ATL_M_REFRESH_DONE,     /* an access token was refreshed */
    ATL_M_REFRESH_FAILED,   /* a refresh failed or its login ended */
    ATL_M_REQ_LOGGED_IN,    /* a request reached its handler with a login */
    ATL_M_REQ_ANONYMOUS,    /* ... without one (a protected location still) */
    ATL_M_COUNT
} atl_metric_e;

/* The endpoints whose latency is observed. */
typedef enum {
    ATL_EP_TOKEN,
    ATL_EP_PROFILE,
    ATL_EP_RESOURCES,
    ATL_EP_GROUPS,
    ATL_EP_COUNT
} atl_endpoint_e;

/* Count one. Safe from any thread; a no-op before post_config. */
void atl_metric_inc(atl_metric_e m);

/* Record a call to endpoint ep that began at start (apr_time_now()). */
void atl_metric_observe(atl_endpoint_e ep, apr_time_t start);

/* A request (not a subrequest) in a protected location reaches its
 * handler, with a login or not; it is counted once, when it is logged. */
void atl_metric_request(request_rec *r, int logged_in);

/* post_config, the status hook, the handler, the logging hook. */
void atl_metrics_register(apr_pool_t *p);

#endif
