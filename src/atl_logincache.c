/* A per-process memo of verified logins.
 *
 * A fixed array of slots; a value's slot is given by a hash of its first
 * characters (the random IV of the seal, so values spread evenly). A new
 * value replaces the one in its slot: no chains, no growth, and the memory
 * held is at most one small pool per slot. Only values that unsealed and
 * decoded are ever stored, so a client cannot fill the memo with values of
 * its own making; at worst a valid login evicts another, which then costs
 * one unseal again. */

#include <string.h>

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include <openssl/crypto.h>

#include "atl_logincache.h"

/* Characters of the sealed value that choose its slot. */
#define LC_HASH_PREFIX 24

typedef struct {
    const void *owner;
    const char *purpose;
    char *sealed; /* NULL: empty slot */
    apr_size_t len;
    atl_identity_t *id;
    apr_pool_t *pool; /* holds sealed and id */
} lc_entry_t;

struct atl_logincache_t {
    /* The parent of the entries' pools, with an allocator of its own:
     * entries come and go while requests run, in any thread, always under
     * the mutex, and never touch an allocator that other code uses. */
    apr_pool_t *pool;
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex;
#endif
    int slots;
    lc_entry_t *entry;
};

apr_status_t atl_logincache_make(atl_logincache_t **lcp, apr_pool_t *p, int slots)
{
    atl_logincache_t *lc;
    apr_allocator_t *alloc;
    apr_status_t rv = APR_SUCCESS;

    *lcp = NULL;
    if (slots < 1) {
        return APR_EINVAL;
    }
    lc = apr_pcalloc(p, sizeof(*lc));
    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_pool_create_ex(&lc->pool, p, NULL, alloc)) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, lc->pool);
    lc->slots = slots;
    lc->entry = apr_pcalloc(p, sizeof(lc_entry_t) * (apr_size_t)slots);
#if APR_HAS_THREADS
    rv = apr_thread_mutex_create(&lc->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
#endif
    *lcp = lc;
    return rv;
}

static void lc_lock(atl_logincache_t *lc)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(lc->mutex);
#endif
}

static void lc_unlock(atl_logincache_t *lc)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(lc->mutex);
#endif
}

static lc_entry_t *lc_slot(atl_logincache_t *lc, const char *sealed, apr_size_t len)
{
    apr_ssize_t n = (apr_ssize_t)(len < LC_HASH_PREFIX ? len : LC_HASH_PREFIX);

    return &lc->entry[apr_hashfunc_default(sealed, &n) % (unsigned int)lc->slots];
}

atl_identity_t *atl_logincache_get(atl_logincache_t *lc, apr_pool_t *p, const void *owner,
                                   const char *purpose, const char *sealed)
{
    atl_identity_t *id = NULL;
    lc_entry_t *e;
    apr_size_t len;

    if (lc == NULL || sealed == NULL) {
        return NULL;
    }
    len = strlen(sealed);
    lc_lock(lc);
    e = lc_slot(lc, sealed, len);
    /* The length and owner say nothing secret; the content is compared
     * in constant time, since it is what a login is made of. */
    if (e->sealed && e->len == len && e->owner == owner && e->purpose == purpose
        && CRYPTO_memcmp(e->sealed, sealed, len) == 0) {
        /* A copy, since the slot may be reused while the request runs. */
        id = atl_identity_copy(p, e->id);
    }
    lc_unlock(lc);
    return id;
}

void atl_logincache_put(atl_logincache_t *lc, const void *owner, const char *purpose,
                        const char *sealed, const atl_identity_t *id)
{
    lc_entry_t *e;
    apr_pool_t *ep;
    apr_size_t len;

    if (lc == NULL || sealed == NULL || id == NULL) {
        return;
    }
    len = strlen(sealed);
    lc_lock(lc);
    e = lc_slot(lc, sealed, len);
    if (e->pool) {
        apr_pool_clear(e->pool);
        ep = e->pool;
    }
    else if (apr_pool_create(&ep, lc->pool) != APR_SUCCESS) {
        lc_unlock(lc);
        return;
    }
    e->pool = ep;
    e->owner = owner;
    e->purpose = purpose;
    e->len = len;
    e->sealed = apr_pstrmemdup(ep, sealed, len);
    e->id = atl_identity_copy(ep, id);
    lc_unlock(lc);
}
