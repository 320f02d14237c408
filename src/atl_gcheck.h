/* SPDX-License-Identifier: Apache-2.0 */
/* The outcome of one group check (Require atlassian-group), as requests,
 * processes and nodes share it through the cache (sealed by the caller):
 * the configured groups the user is in, and the sites whose membership is
 * not known. */
#ifndef ATL_GCHECK_H
#define ATL_GCHECK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

/* A site whose membership is not known. */
typedef struct {
    const char *site;        /* as configured */
    int status;              /* the answer: 502, 503 or 504 */
    apr_int64_t retry_until; /* 503: not before then */
    const char *why;         /* one line, for the log */
} atl_gfail_t;

/* The outcome of one check of all configured groups. */
typedef struct {
    apr_int64_t checked;
    int ended;                  /* the token was refused: log in again */
    apr_array_header_t *groups; /* "site/group" entries the user is in */
    apr_array_header_t *fails;  /* of atl_gfail_t */
} atl_gcheck_t;

/* An empty outcome, checked at now. */
atl_gcheck_t *atl_gcheck_make(apr_pool_t *p, apr_int64_t now);

/* Serialise for sealing, and back. Values are cut to 1024 bytes and
 * cleaned of control characters on the way (they only ever reach the log
 * and the comparison with configured groups, which have neither).
 * ATL_E_BADINPUT when the outcome has no check time or more entries than
 * a record holds; decode fails with ATL_E_MALFORMED on anything encode
 * would not have written. */
apr_status_t atl_gcheck_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                               const atl_gcheck_t *g);
apr_status_t atl_gcheck_decode(atl_gcheck_t **g, apr_pool_t *p, const char *s,
                               apr_size_t len);

#endif
