/* SPDX-License-Identifier: Apache-2.0 */
/* The shared cache: mod_socache instances named by AtlassianCache, the
 * global mutex for providers that need one, and a best-effort lock. See
 * mod_atl_cache.h for the API and its limits. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include <apr_global_mutex.h>
#include <apr_strings.h>
#include <apr_lib.h>

#include "atl_state.h"
#include "mod_atl_cache.h"
#include "mod_atl_config.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_CACHE_DEFAULT  "shmcb"
#define ATL_CACHE_MUTEX    "atlassian-cache"
#define ATL_CACHE_PREFIX   "atl:"
#define ATL_CACHE_WARN_GAP apr_time_from_sec(30)

struct atl_cache_t {
    const char *spec; /* provider[:args] as configured */
    const ap_socache_provider_t *prov;
    ap_socache_instance_t *inst;
    server_rec *s;
    int needs_mutex;           /* AP_SOCACHE_FLAG_NOTMPSAFE */
    int dbd;                   /* AtlassianCache dbd: mod_atl_cache_dbd.c */
    struct atl_cache_t *local; /* shmcb behind a remote provider, or NULL */
    struct atl_cache_t *next;  /* the list of this configuration */
};

/* One mutex for every instance of the configuration: created in
 * post_config, reattached in child_init, read by requests only. */
static apr_global_mutex_t *atl_cache_mutex;
/* When this process last warned that a remote cache failed (a warning per
 * ATL_CACHE_WARN_GAP at most, so an outage does not flood the log). */
static apr_time_t atl_cache_warned;

static int atl_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    ap_mutex_register(pconf, ATL_CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
    return OK;
}

int atl_cache_usable(apr_pool_t *p, const char *spec, const char **name)
{
    const char *s = spec ? spec : ATL_CACHE_DEFAULT;
    const char *colon = ap_strchr_c(s, ':');

    *name = colon ? apr_pstrmemdup(p, s, colon - s) : s;
    /* dbd is the module's own store: it needs mod_dbd. */
    if (atl_cache_is_dbd(s)) {
        return atl_cache_dbd_available();
    }
    return ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, *name,
                              AP_SOCACHE_PROVIDER_VERSION)
           != NULL;
}

static apr_status_t atl_cache_destroy(void *data)
{
    struct atl_cache_t *k = data;

    k->prov->destroy(k->inst, k->s);
    return APR_SUCCESS;
}

/* Create and initialise one socache instance. */
static apr_status_t atl_cache_make(struct atl_cache_t **out, const char *spec, int n,
                                   server_rec *s, apr_pool_t *pconf, apr_pool_t *ptemp)
{
    static const struct ap_socache_hints hints = {64, 1024, 600};
    struct atl_cache_t *k = apr_pcalloc(pconf, sizeof(*k));
    const char *colon = ap_strchr_c(spec, ':');
    const char *name = colon ? apr_pstrmemdup(ptemp, spec, colon - spec) : spec;
    const char *err;
    apr_status_t rv;

    *out = NULL;
    k->spec = spec;
    k->s = s;
    if (atl_cache_is_dbd(spec)) {
        /* No instance: mod_dbd holds the connections. */
        k->dbd = atl_cache_dbd_available();
        *out = k;
        return k->dbd ? APR_SUCCESS : APR_ENOTIMPL;
    }
    k->prov =
        ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION);
    if (!k->prov) {
        return APR_ENOTIMPL;
    }
    err = k->prov->create(&k->inst, colon ? colon + 1 : NULL, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "ATL00200: AtlassianCache %s: %s",
                     spec, err);
        return APR_EINVAL;
    }
    /* Every node must use the same namespace for a shared cache; shmcb
     * instances (one machine's) get one each. */
    rv = k->prov->init(k->inst,
                       strcmp(k->prov->name, "shmcb")
                           ? "mod_auth_atlassian"
                           : apr_psprintf(ptemp, "mod_auth_atlassian-%d", n),
                       &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "ATL00201: AtlassianCache %s could not be initialised", spec);
        return rv;
    }
    apr_pool_cleanup_register(pconf, k, atl_cache_destroy, apr_pool_cleanup_null);
    k->needs_mutex = (k->prov->flags & AP_SOCACHE_FLAG_NOTMPSAFE) != 0;
    *out = k;
    return APR_SUCCESS;
}

/* One instance per distinct AtlassianCache value among the servers that
 * use the module; a remote provider gets a local shmcb instance behind it. */
static int atl_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s)
{
    struct atl_cache_t *list = NULL, *k;
    server_rec *vs;
    int n = 0;
    apr_status_t rv;

    atl_cache_mutex = NULL;
    for (vs = s; vs; vs = vs->next) {
        atl_srv_conf *c = atl_srv(vs);
        const char *spec = c->cache ? c->cache : ATL_CACHE_DEFAULT;

        c->cache_rt = NULL;
        if (!c->keys) {
            continue; /* the module is idle here */
        }
        for (k = list; k && strcmp(k->spec, spec); k = k->next) {
        }
        if (!k) {
            /* check_config made sure the provider is loaded
             * (atl_cache_usable). */
            rv = atl_cache_make(&k, spec, n++, s, pconf, ptemp);
            if (rv != APR_SUCCESS) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            if ((k->dbd || strcmp(k->prov->name, "shmcb"))
                && atl_cache_make(&k->local, ATL_CACHE_DEFAULT, n++, s, pconf, ptemp)
                       != APR_SUCCESS) {
                k->local = NULL;
                ap_log_error(APLOG_MARK, APLOG_INFO, 0, vs,
                             "ATL00203: mod_socache_shmcb is not loaded: while "
                             "AtlassianCache %s is unreachable, each process "
                             "refreshes tokens on its own",
                             spec);
            }
            k->next = list;
            list = k;
        }
        c->cache_rt = k;
    }
    if (list) {
        rv = ap_global_mutex_create(&atl_cache_mutex, NULL, ATL_CACHE_MUTEX, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         "ATL00204: the \"%s\" mutex could not be created",
                         ATL_CACHE_MUTEX);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static void atl_cache_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!atl_cache_mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&atl_cache_mutex,
                                     apr_global_mutex_lockfile(atl_cache_mutex), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "ATL00205: the \"%s\" mutex could not be reattached in a child",
                     ATL_CACHE_MUTEX);
    }
}

void atl_cache_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(atl_cache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(atl_cache_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(atl_cache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

static struct atl_cache_t *atl_cache_of(request_rec *r)
{
    return atl_srv(r->server)->cache_rt;
}

/* The stored key ("atl:" + key), or NULL when key is not acceptable. */
static const char *atl_cache_key(request_rec *r, const char *key)
{
    const char *s;

    if (!key || !*key || strlen(key) > ATL_CACHE_MAX_KEY) {
        return NULL;
    }
    for (s = key; *s; s++) {
        if (!apr_isgraph(*s)) {
            return NULL;
        }
    }
    return apr_pstrcat(r->pool, ATL_CACHE_PREFIX, key, NULL);
}

static void atl_cache_lock_mutex(struct atl_cache_t *k, int *held)
{
    if (k->needs_mutex && !*held && atl_cache_mutex
        && apr_global_mutex_lock(atl_cache_mutex) == APR_SUCCESS) {
        *held = 2; /* taken here, released by atl_cache_unlock_mutex */
    }
}

static void atl_cache_unlock_mutex(int *held)
{
    if (*held == 2) {
        apr_global_mutex_unlock(atl_cache_mutex);
        *held = 0;
    }
}

/* A remote cache failed: warn now and then, and go on with the local one. */
static void atl_cache_failed(request_rec *r, struct atl_cache_t *k, const char *what,
                             apr_status_t rv)
{
    apr_time_t now = apr_time_now();

    if (now - atl_cache_warned >= ATL_CACHE_WARN_GAP) {
        atl_cache_warned = now;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ATL00206: AtlassianCache %s failed to %s: %s; check that "
                      "it is running and reachable",
                      k->spec, what,
                      k->local ? "this machine's cache stands in meanwhile"
                               : "nothing is shared meanwhile");
    }
}

/* The primitive operations on one instance; held says whether the caller
 * holds the global mutex already. */
static apr_status_t atl_cache_get1(request_rec *r, struct atl_cache_t *k, const char *id,
                                   const char **value, apr_size_t *len, int held)
{
    unsigned char *buf;
    unsigned int n = ATL_CACHE_MAX_VALUE;
    apr_pool_t *tmp;
    apr_status_t rv;

    if (k->dbd) {
        return atl_cache_dbd_get(r, id, value, len);
    }
    /* The buffer is big; only what was found stays in the request's pool
     * (a request polling for a result calls this many times). */
    if ((rv = apr_pool_create(&tmp, r->pool)) != APR_SUCCESS) {
        return rv;
    }
    buf = apr_palloc(tmp, ATL_CACHE_MAX_VALUE);
    atl_cache_lock_mutex(k, &held);
    rv = k->prov->retrieve(k->inst, r->server, (const unsigned char *)id,
                           (unsigned int)strlen(id), buf, &n, tmp);
    atl_cache_unlock_mutex(&held);
    if (rv == APR_SUCCESS) {
        *value = apr_pstrmemdup(r->pool, (const char *)buf, n);
        if (len) {
            *len = n;
        }
    }
    apr_pool_destroy(tmp);
    return rv;
}

static apr_status_t atl_cache_put1(request_rec *r, struct atl_cache_t *k, const char *id,
                                   const char *value, apr_size_t len, apr_time_t expiry,
                                   int held)
{
    apr_status_t rv;

    if (k->dbd) {
        return atl_cache_dbd_put(r, id, value, len, expiry);
    }
    atl_cache_lock_mutex(k, &held);
    rv = k->prov->store(k->inst, r->server, (const unsigned char *)id,
                        (unsigned int)strlen(id), expiry, (unsigned char *)value,
                        (unsigned int)len, r->pool);
    atl_cache_unlock_mutex(&held);
    return rv;
}

static apr_status_t atl_cache_remove1(request_rec *r, struct atl_cache_t *k,
                                      const char *id, int held)
{
    apr_status_t rv;

    if (k->dbd) {
        return atl_cache_dbd_remove(r, id);
    }
    atl_cache_lock_mutex(k, &held);
    rv = k->prov->remove(k->inst, r->server, (const unsigned char *)id,
                         (unsigned int)strlen(id), r->pool);
    atl_cache_unlock_mutex(&held);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

const char *atl_cache_purpose(request_rec *r, const char *what, const char *key)
{
    return apr_pstrcat(r->pool, what, " at ", key, NULL);
}

apr_status_t atl_cache_get(request_rec *r, const char *key, const char **value,
                           apr_size_t *len)
{
    struct atl_cache_t *k = atl_cache_of(r);
    const char *id = atl_cache_key(r, key);
    apr_status_t rv;

    *value = NULL;
    if (!k) {
        return APR_ENOTIMPL;
    }
    if (!id) {
        return APR_EINVAL;
    }
    rv = atl_cache_get1(r, k, id, value, len, 0);
    if (rv != APR_SUCCESS && k->local) {
        /* A down memcached answers "not found" to a get: what was put
         * while it was down is in the local cache. */
        if (rv != APR_NOTFOUND) {
            atl_cache_failed(r, k, "read", rv);
        }
        rv = atl_cache_get1(r, k->local, id, value, len, 0);
    }
    return rv;
}

apr_status_t atl_cache_put(request_rec *r, const char *key, const char *value,
                           apr_size_t len, apr_time_t expiry)
{
    struct atl_cache_t *k = atl_cache_of(r);
    const char *id = atl_cache_key(r, key);
    apr_status_t rv;

    if (!k) {
        return APR_ENOTIMPL;
    }
    if (!id) {
        return APR_EINVAL;
    }
    if (len > ATL_CACHE_MAX_VALUE) {
        return APR_ENOSPC;
    }
    rv = atl_cache_put1(r, k, id, value, len, expiry, 0);
    if (rv != APR_SUCCESS && k->local) {
        atl_cache_failed(r, k, "store", rv);
        rv = atl_cache_put1(r, k->local, id, value, len, expiry, 0);
    }
    return rv;
}

apr_status_t atl_cache_remove(request_rec *r, const char *key)
{
    struct atl_cache_t *k = atl_cache_of(r);
    const char *id = atl_cache_key(r, key);
    apr_status_t rv;

    if (!k) {
        return APR_ENOTIMPL;
    }
    if (!id) {
        return APR_EINVAL;
    }
    rv = atl_cache_remove1(r, k, id, 0);
    if (k->local) {
        if (rv != APR_SUCCESS) {
            atl_cache_failed(r, k, "remove", rv);
        }
        rv = atl_cache_remove1(r, k->local, id, 0);
    }
    return rv;
}

/* Claim the lock entry id in instance k, under the global mutex: exact
 * among the processes of this machine. */
static apr_status_t atl_cache_claim(request_rec *r, struct atl_cache_t *k, const char *id,
                                    const char *token, apr_interval_time_t hold)
{
    const char *seen = NULL;
    int held = 0;
    apr_status_t rv;

    if (k->dbd) {
        /* One statement that fails when the key is held: exact. */
        return atl_cache_dbd_add(r, id, token, apr_time_now() + hold);
    }
    if (atl_cache_mutex && apr_global_mutex_lock(atl_cache_mutex) == APR_SUCCESS) {
        held = 1;
    }
    rv = atl_cache_get1(r, k, id, &seen, NULL, held);
    if (rv == APR_SUCCESS) {
        rv = APR_EBUSY;
    }
    else if (rv == APR_NOTFOUND) {
        rv = atl_cache_put1(r, k, id, token, strlen(token), apr_time_now() + hold, held);
    }
    if (held) {
        apr_global_mutex_unlock(atl_cache_mutex);
    }
    return rv;
}

apr_status_t atl_cache_lock(request_rec *r, const char *name, apr_interval_time_t hold,
                            const char **token)
{
    struct atl_cache_t *k = atl_cache_of(r);
    const char *id =
        atl_cache_key(r, name ? apr_pstrcat(r->pool, "lock:", name, NULL) : NULL);
    const char *seen = NULL;
    apr_status_t rv;

    *token = NULL;
    if (!k) {
        return APR_ENOTIMPL;
    }
    if (!id) {
        return APR_EINVAL;
    }
    if ((rv = atl_state_generate(token, r->pool)) != APR_SUCCESS) {
        return rv;
    }
    rv = atl_cache_claim(r, k, id, *token, hold);
    if (rv != APR_SUCCESS && rv != APR_EBUSY && k->local) {
        atl_cache_failed(r, k, "store a lock", rv);
        return atl_cache_claim(r, k->local, id, *token, hold);
    }
    if (rv != APR_SUCCESS || k->dbd || !strcmp(k->prov->name, "shmcb")) {
        return rv;
    }
    /* Another node may have written its nonce in the same moment: the last
     * write wins, and everyone reads the winner after the delay. */
    apr_sleep(ATL_CACHE_SETTLE);
    rv = atl_cache_get1(r, k, id, &seen, NULL, 0);
    if (rv == APR_SUCCESS) {
        return strcmp(seen, *token) ? APR_EBUSY : APR_SUCCESS;
    }
    /* The entry vanished (evicted, or the cache went down): nobody else
     * holds it as far as this node can tell. */
    return APR_SUCCESS;
}

void atl_cache_unlock(request_rec *r, const char *name, const char *token)
{
    const char *seen = NULL;
    const char *key = apr_pstrcat(r->pool, "lock:", name, NULL);

    if (token && atl_cache_get(r, key, &seen, NULL) == APR_SUCCESS
        && !strcmp(seen, token)) {
        atl_cache_remove(r, key);
    }
}
