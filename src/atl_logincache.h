/* SPDX-License-Identifier: Apache-2.0 */
/* A per-process memo of logins already verified: the sealed value, exactly
 * as the session holds it, and what it unsealed and decoded to. A request
 * that brings a value seen before skips unsealing and decoding; everything
 * that depends on the time (the login's lifetime) is still checked by the
 * caller on every request. Bounded, thread-safe. */
#ifndef ATL_LOGINCACHE_H
#define ATL_LOGINCACHE_H

#include <apr_pools.h>
#include "atl_identity.h"

typedef struct atl_logincache_t atl_logincache_t;

/* A memo of slots entries (at least 1), living as long as p. */
apr_status_t atl_logincache_make(atl_logincache_t **lc, apr_pool_t *p, int slots);

/* A copy, allocated in p, of the identity stored for exactly this sealed
 * value under this owner (the keys and purpose it was unsealed with), or
 * NULL. The sealed value is compared in constant time. */
atl_identity_t *atl_logincache_get(atl_logincache_t *lc, apr_pool_t *p, const void *owner,
                                   const char *purpose, const char *sealed);

/* Remember id (copied) for this sealed value; it replaces whatever held
 * its slot. */
void atl_logincache_put(atl_logincache_t *lc, const void *owner, const char *purpose,
                        const char *sealed, const atl_identity_t *id);

#endif
