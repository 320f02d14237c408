/* SPDX-License-Identifier: Apache-2.0 */
/* The outcome of one refresh, as processes and nodes share it through the
 * cache (sealed by the caller): the new tokens and their expiry, or "the
 * refresh token was refused". */
#ifndef ATL_REFRESH_H
#define ATL_REFRESH_H

#include <apr_pools.h>
#include "atl_status.h"

/* Refresh when the access token expires within this many seconds. */
#define ATL_REFRESH_MARGIN 60
/* How long an outcome is kept: Atlassian lets a rotated refresh token be
 * presented again for 10 minutes; a request that still carries it within
 * that time gets the outcome instead of refreshing again. A copy of the
 * session cookie used later than that presents the rotated token to
 * Atlassian, which then revokes every refresh token of the login (the
 * current one too): the login ends at its next refresh. Kept no longer on
 * purpose: a refresh token lives for months, longer than a cache entry. */
#define ATL_REFRESH_KEEP 600

typedef struct {
    int ended;                 /* the refresh token was refused */
    const char *access_token;  /* NULL when ended */
    const char *refresh_token; /* NULL: the answer had none, keep the old one */
    apr_int64_t expiry;        /* seconds since the epoch, 0: unknown */
} atl_refresh_t;

/* Serialise for sealing, and back. decode fails with ATL_E_MALFORMED on
 * anything it does not recognise; tokens with control characters are
 * refused by encode (ATL_E_BADINPUT). */
apr_status_t atl_refresh_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                const atl_refresh_t *rf);
apr_status_t atl_refresh_decode(atl_refresh_t **rf, apr_pool_t *p, const char *s,
                                apr_size_t len);

/* Whether a login whose access token expires at expiry (0: unknown)
 * should be refreshed at now: within ATL_REFRESH_MARGIN of it or past. */
int atl_refresh_due(apr_int64_t expiry, apr_int64_t now);

/* When an access token of a token answer expires, in seconds since the
 * epoch: now + expires_in, or now when the answer gave no lifetime
 * (expires_in 0 or absent). A token of unknown lifetime is treated as
 * expiring at once: it is never passed on later, and with AtlassianRefresh
 * On the next request refreshes it. */
apr_int64_t atl_refresh_expiry(apr_int64_t expires_in, apr_int64_t now);

#endif
