/* SPDX-License-Identifier: Apache-2.0 */
/* What processes and nodes share: a small key/value API over the mod_socache
 * provider named by AtlassianCache (shmcb on one machine, memcache or redis
 * across machines) or in mod_dbd's database (dbd, across machines), and a
 * lock for "one refresh per login".
 *
 * The instance is created per distinct AtlassianCache value in post_config
 * (servers with the same value share it) and reattached in child_init. A
 * provider that is not safe across processes (shmcb) is used under a
 * global mutex. A remote provider (memcache, redis) is backed by a local
 * shmcb instance (when mod_socache_shmcb is loaded): while the remote one
 * does not answer, the API uses the local one and logs a warning, so
 * sharing degrades to one machine, never to a failed request.
 *
 * Keys: printable ASCII without spaces, at most ATL_CACHE_MAX_KEY bytes
 * (memcached takes keys of up to 250 bytes, and mod_socache_memcache
 * writes them in hex after its namespace); the module prefixes them with
 * "atl:" and the namespace "mod_auth_atlassian", so they do not meet other
 * users of a shared memcached or redis. Values: at most ATL_CACHE_MAX_VALUE bytes.
 * Callers put nothing in the cache that is readable or forgeable by
 * whoever can read or write the cache: seal values (atl_seal) and derive
 * keys from secrets with a keyed hash (atl_seal_hash). */
#ifndef MOD_ATL_CACHE_H
#define MOD_ATL_CACHE_H

#include "mod_atl.h"
#include <apr_time.h>

#define ATL_CACHE_MAX_KEY   96
#define ATL_CACHE_MAX_VALUE 8192

/* Whether the cache named by spec (an AtlassianCache value; NULL: the
 * default, shmcb) can be used in this configuration: its provider is
 * loaded. *name is the provider's name, for the message. Checked in
 * check_config: single use of the state, one refresh per login and shared
 * group re-checks all depend on the cache, so a server that uses the
 * module does not start without one. */
int atl_cache_usable(apr_pool_t *p, const char *spec, const char **name);

/* Register the cache's hooks (pre_config: the mutex type "atlassian-cache"
 * for the Mutex directive; post_config; child_init). */
void atl_cache_register_hooks(apr_pool_t *p);

/* The purpose to seal a value with that is stored under key: what the
 * value is, and where it belongs. Whoever can write to the cache
 * (memcached and redis have no per-key rights) can move a value to
 * another key, but it then no longer unseals: one login's group check or
 * refreshed tokens never serve another login. */
const char *atl_cache_purpose(request_rec *r, const char *what, const char *key);

/* The value of key: APR_SUCCESS (*value NUL-terminated, allocated from
 * r->pool, *len its length; len may be NULL), APR_NOTFOUND (absent or
 * expired), APR_ENOTIMPL (no cache configured), APR_EINVAL (a bad key) or
 * another error (the cache is unreachable; logged). */
apr_status_t atl_cache_get(request_rec *r, const char *key, const char **value,
                           apr_size_t *len);

/* Store len bytes of value under key until expiry (absolute). Same codes;
 * APR_ENOSPC for a value over ATL_CACHE_MAX_VALUE. */
apr_status_t atl_cache_put(request_rec *r, const char *key, const char *value,
                           apr_size_t len, apr_time_t expiry);

/* Remove key (APR_SUCCESS also when it was absent, where the provider
 * says so). */
apr_status_t atl_cache_remove(request_rec *r, const char *key);

/* A lock named name, held for at most hold (then it lapses, so a process
 * that died holding it blocks nobody for long).
 *
 * APR_SUCCESS: this request owns it (*token identifies the ownership; pass
 * it to atl_cache_unlock). APR_EBUSY: someone else owns it. Another error:
 * no lock could be had (no cache, cache unreachable); the caller decides.
 *
 * Exact within one machine: the check and the claim happen under the
 * global mutex, and a shmcb cache is one machine's. Exact across machines
 * with dbd: the claim is one INSERT that fails when the key is held.
 * Across machines through mod_socache
 * (memcache, redis) it is best effort: mod_socache has no "add if absent",
 * so the claim is a random nonce written when no lock entry was seen, read
 * back after a short delay (ATL_CACHE_SETTLE); the node whose nonce
 * survived owns the lock. Two nodes can both believe they own it only when
 * one node's read and write of the lock lie further apart than that delay
 * (a stalled node, a cache slower than the delay); callers must make a
 * double owner harmless where they can. */
#define ATL_CACHE_SETTLE apr_time_from_msec(100)
apr_status_t atl_cache_lock(request_rec *r, const char *name, apr_interval_time_t hold,
                            const char **token);

/* Release a lock this request owns (only while the entry still holds
 * token: a lapsed lock taken over by someone else stays theirs). */
void atl_cache_unlock(request_rec *r, const char *name, const char *token);

/* AtlassianCache dbd (mod_atl_cache_dbd.c): the same keys and values in a
 * table of mod_dbd's database, used by the functions above where they
 * would use a mod_socache provider. id is the stored key ("atl:" + key).
 * atl_cache_dbd_add stores only when no unexpired row holds id, in one
 * statement (APR_EBUSY when one does): exact across nodes. Errors other
 * than APR_NOTFOUND and APR_EBUSY mean that the database is unreachable
 * or refused the statement (ATL00661 says why). */
#define ATL_CACHE_DBD "dbd"
int atl_cache_is_dbd(const char *spec);
/* Whether mod_dbd is loaded (its ap_dbd_acquire); called in post_config. */
int atl_cache_dbd_available(void);
apr_status_t atl_cache_dbd_get(request_rec *r, const char *id, const char **value,
                               apr_size_t *len);
apr_status_t atl_cache_dbd_put(request_rec *r, const char *id, const char *value,
                               apr_size_t len, apr_time_t expiry);
apr_status_t atl_cache_dbd_add(request_rec *r, const char *id, const char *value,
                               apr_time_t expiry);
apr_status_t atl_cache_dbd_remove(request_rec *r, const char *id);

#endif
