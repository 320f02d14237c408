/* SPDX-License-Identifier: Apache-2.0 */
/* A per-process memo of verified logins.
 *
 * A fixed array of slots; a value's slot is given by its last characters
 * (the seal's authentication tag, so values spread evenly). A new
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

/* The last characters of a sealed value: base64url of at least its
 * 16-byte authentication tag, which atl_seal puts last. They choose the
 * slot, and are compared first, in constant time. */
#define LC_TAG_CHARS 22

typedef struct {
    const void *owner;
    const char *purpose;
    char *sealed; /* NULL: empty slot */
    apr_size_t len;
    atl_identity_t *id; /* when flat is NULL */
    char *flat;         /* else the identity laid out in one block */
    apr_size_t flat_size;
    apr_pool_t *pool; /* holds sealed, id and flat */
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
    apr_ssize_t n = (apr_ssize_t)(len < 8 ? len : 8);

    return &lc->entry[apr_hashfunc_default(sealed + len - n, &n) % (unsigned int)lc->slots];
}

/* Whether a (the stored value) and b, both len bytes, are the same. The
 * tag at the end is compared in constant time; the rest only once the
 * tag matched: how long a comparison takes says nothing about a stored
 * value to whoever does not already hold its tag. */
static int lc_same(const char *a, const char *b, apr_size_t len)
{
    apr_size_t t = len < LC_TAG_CHARS ? len : LC_TAG_CHARS;

    return CRYPTO_memcmp(a + len - t, b + len - t, t) == 0 && memcmp(a, b, len - t) == 0;
}

/* An identity in one block: the struct first, then its arrays, then its
 * strings, every pointer pointing into the block, so that a copy is one
 * memcpy and a shift of each pointer. Identities whose sites carry scopes
 * (never one that was decoded from a session) are copied field by field
 * instead. */
#define LC_ALIGN(n) (((n) + 7) & ~(apr_size_t)7)

static apr_size_t lc_str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static int lc_flattenable(const atl_identity_t *id)
{
    int i;

    for (i = 0; id->sites && i < id->sites->nelts; i++) {
        if (APR_ARRAY_IDX(id->sites, i, atl_site_t).scopes) {
            return 0;
        }
    }
    return 1;
}

static const char *lc_put_str(char **cur, const char *s)
{
    apr_size_t n;
    char *d = *cur;

    if (!s) {
        return NULL;
    }
    n = strlen(s) + 1;
    memcpy(d, s, n);
    *cur += n;
    return d;
}

static apr_array_header_t *lc_put_array(char **cur, apr_pool_t *p,
                                        const apr_array_header_t *a)
{
    apr_array_header_t *h = (apr_array_header_t *)*cur;
    apr_size_t body = (apr_size_t)a->elt_size * (apr_size_t)a->nelts;

    h->pool = p;
    h->elt_size = a->elt_size;
    h->nelts = h->nalloc = a->nelts;
    h->elts = *cur + LC_ALIGN(sizeof(*h));
    memcpy(h->elts, a->elts, body);
    *cur += LC_ALIGN(sizeof(*h)) + LC_ALIGN(body);
    return h;
}

static char *lc_flatten(apr_pool_t *p, const atl_identity_t *id, apr_size_t *sizep)
{
    apr_size_t size = LC_ALIGN(sizeof(*id));
    atl_identity_t *c;
    char *block, *cur;
    int i;

    for (i = 0; i < ATL_F_COUNT; i++) {
        size += lc_str_size(id->f[i]);
    }
    size += lc_str_size(id->refresh_token);
    if (id->groups) {
        size += LC_ALIGN(sizeof(apr_array_header_t))
                + LC_ALIGN(sizeof(const char *) * (apr_size_t)id->groups->nelts);
        for (i = 0; i < id->groups->nelts; i++) {
            size += lc_str_size(APR_ARRAY_IDX(id->groups, i, const char *));
        }
    }
    if (id->sites) {
        size += LC_ALIGN(sizeof(apr_array_header_t))
                + LC_ALIGN(sizeof(atl_site_t) * (apr_size_t)id->sites->nelts);
        for (i = 0; i < id->sites->nelts; i++) {
            const atl_site_t *s = &APR_ARRAY_IDX(id->sites, i, atl_site_t);

            size += lc_str_size(s->id) + lc_str_size(s->name) + lc_str_size(s->host);
        }
    }
    block = apr_palloc(p, size);
    c = (atl_identity_t *)block;
    *c = *id;
    cur = block + LC_ALIGN(sizeof(*id));
    if (id->groups) {
        c->groups = lc_put_array(&cur, p, id->groups);
    }
    if (id->sites) {
        c->sites = lc_put_array(&cur, p, id->sites);
    }
    for (i = 0; i < ATL_F_COUNT; i++) {
        c->f[i] = lc_put_str(&cur, id->f[i]);
    }
    c->refresh_token = lc_put_str(&cur, id->refresh_token);
    for (i = 0; c->groups && i < c->groups->nelts; i++) {
        const char **g = &APR_ARRAY_IDX(c->groups, i, const char *);

        *g = lc_put_str(&cur, *g);
    }
    for (i = 0; c->sites && i < c->sites->nelts; i++) {
        atl_site_t *s = &APR_ARRAY_IDX(c->sites, i, atl_site_t);

        s->id = lc_put_str(&cur, s->id);
        s->name = lc_put_str(&cur, s->name);
        s->host = lc_put_str(&cur, s->host);
    }
    *sizep = size;
    return block;
}

/* Where ptr, which points into from, lands in the copy at to. */
static void *lc_shift(const char *from, char *to, const void *ptr)
{
    return ptr ? to + ((const char *)ptr - from) : NULL;
}

static atl_identity_t *lc_unflatten(apr_pool_t *p, const char *flat, apr_size_t size)
{
    char *b = apr_pmemdup(p, flat, size);
    atl_identity_t *c = (atl_identity_t *)b;
    int i;

    for (i = 0; i < ATL_F_COUNT; i++) {
        c->f[i] = lc_shift(flat, b, c->f[i]);
    }
    c->refresh_token = lc_shift(flat, b, c->refresh_token);
    if (c->groups) {
        c->groups = lc_shift(flat, b, c->groups);
        c->groups->pool = p;
        c->groups->elts = lc_shift(flat, b, c->groups->elts);
        for (i = 0; i < c->groups->nelts; i++) {
            const char **g = &APR_ARRAY_IDX(c->groups, i, const char *);

            *g = lc_shift(flat, b, *g);
        }
    }
    if (c->sites) {
        c->sites = lc_shift(flat, b, c->sites);
        c->sites->pool = p;
        c->sites->elts = lc_shift(flat, b, c->sites->elts);
        for (i = 0; i < c->sites->nelts; i++) {
            atl_site_t *s = &APR_ARRAY_IDX(c->sites, i, atl_site_t);

            s->id = lc_shift(flat, b, s->id);
            s->name = lc_shift(flat, b, s->name);
            s->host = lc_shift(flat, b, s->host);
        }
    }
    return c;
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
    /* The length and owner say nothing secret. */
    if (e->sealed && e->len == len && e->owner == owner && e->purpose == purpose
        && lc_same(e->sealed, sealed, len)) {
        /* A copy, since the slot may be reused while the request runs. */
        id = e->flat ? lc_unflatten(p, e->flat, e->flat_size) : atl_identity_copy(p, e->id);
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
    e->id = NULL;
    e->flat = NULL;
    if (lc_flattenable(id)) {
        e->flat = lc_flatten(ep, id, &e->flat_size);
    }
    else {
        e->id = atl_identity_copy(ep, id);
    }
    lc_unlock(lc);
}
