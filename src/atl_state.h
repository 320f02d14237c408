/* SPDX-License-Identifier: Apache-2.0 */
/* Pending logins: the list of (state, return URL, time, what the login
 * needs) kept in the session between the redirect to /authorize and the
 * callback. Several may exist (several tabs); the list is bounded. */
#ifndef ATL_STATE_H
#define ATL_STATE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

#define ATL_STATE_MAX_PENDING 4   /* oldest dropped past this */
#define ATL_STATE_MAX_AGE     600 /* seconds a pending login lives */
#define ATL_STATE_MAX_URL     512 /* longer return URLs are cut to "/" */

/* What the location that started the login asked for. */
#define ATL_PENDING_SITES   0x1 /* fetch accessible-resources */
#define ATL_PENDING_TOKEN   0x2 /* keep the access token */
#define ATL_PENDING_REFRESH 0x4 /* keep the refresh token */

typedef struct {
    const char *state;      /* 43 characters of base64url */
    const char *return_url; /* local path and query */
    apr_int64_t created;    /* seconds since the epoch */
    unsigned flags;         /* ATL_PENDING_* */
} atl_pending_t;

/* 32 random bytes, base64url without padding (43 characters). */
apr_status_t atl_state_generate(const char **state, apr_pool_t *p);

/* Whether s has the form atl_state_generate produces (43 base64url chars). */
int atl_state_well_formed(const char *s);

/* The list (of atl_pending_t) to a string, and back. decode drops entries
 * it cannot read and never fails on odd input: it returns an empty list. */
apr_status_t atl_state_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                              const apr_array_header_t *list);
apr_array_header_t *atl_state_decode(apr_pool_t *p, const char *s, apr_size_t len);

/* Drop entries older than max_age (or from the future), then the oldest
 * ones until at most max_count remain. */
void atl_state_prune(apr_array_header_t *list, apr_int64_t now, apr_int64_t max_age,
                     int max_count);

/* Index of the entry whose state equals state (compared in constant time
 * with every entry), or -1. */
int atl_state_find(const apr_array_header_t *list, const char *state);

/* Remove entry idx, keeping the order of the others. */
void atl_state_remove(apr_array_header_t *list, int idx);

#endif
