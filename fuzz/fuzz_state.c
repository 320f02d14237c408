/* SPDX-License-Identifier: Apache-2.0 */
/* The pending-login list, after unsealing: atl_state_decode on any bytes,
 * then atl_state_prune, atl_state_encode and atl_state_decode again, which
 * must give back the pruned list. */

#include "fuzz_common.h"

#include "atl_state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static const atl_pending_t *at(const apr_array_header_t *list, int i)
{
    return &APR_ARRAY_IDX(list, i, atl_pending_t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    apr_array_header_t *list, *orig, *back;
    const char *enc = NULL;
    apr_size_t len = 0;
    apr_int64_t now;
    int i, j, from;

    list = atl_state_decode(p, (const char *)data, size);
    FUZZ_CHECK(list != NULL && list->nelts <= 2 * ATL_STATE_MAX_PENDING);
    for (i = 0; i < list->nelts; i++) {
        const atl_pending_t *e = at(list, i);
        FUZZ_CHECK(atl_state_well_formed(e->state));
        FUZZ_CHECK(e->created >= 0);
        FUZZ_CHECK((e->flags & ~7u) == 0);
        FUZZ_CHECK(e->return_url != NULL && *e->return_url != '\0');
        /* Every entry can be found by its state: the first one that has it. */
        j = atl_state_find(list, e->state);
        FUZZ_CHECK(j >= 0 && j <= i && strcmp(at(list, j)->state, e->state) == 0);
    }

    /* A clock near the entries, so that pruning keeps some and drops some. */
    now = list->nelts > 0 ? at(list, 0)->created + 300 : 1700000000;
    orig = apr_array_copy(p, list);
    atl_state_prune(list, now, ATL_STATE_MAX_AGE, ATL_STATE_MAX_PENDING);
    FUZZ_CHECK(list->nelts <= ATL_STATE_MAX_PENDING);
    from = 0;
    for (i = 0; i < list->nelts; i++) {
        const atl_pending_t *e = at(list, i);
        FUZZ_CHECK(e->created <= now + 60 && now - e->created <= ATL_STATE_MAX_AGE);
        /* What is left keeps its order: a subsequence of the original. */
        while (from < orig->nelts && at(orig, from)->state != e->state) {
            from++;
        }
        FUZZ_CHECK(from < orig->nelts);
        from++;
    }

    FUZZ_CHECK(atl_state_encode(&enc, &len, p, list) == APR_SUCCESS);
    FUZZ_CHECK(len == strlen(enc));
    back = atl_state_decode(p, enc, len);
    FUZZ_CHECK(back->nelts == list->nelts);
    for (i = 0; i < list->nelts; i++) {
        const atl_pending_t *a = at(list, i), *b = at(back, i);
        const char *url = strlen(a->return_url) > ATL_STATE_MAX_URL ? "/" : a->return_url;
        FUZZ_CHECK(strcmp(a->state, b->state) == 0);
        FUZZ_CHECK(a->created == b->created && a->flags == b->flags);
        FUZZ_CHECK(strcmp(url, b->return_url) == 0);
    }

    apr_pool_destroy(p);
    return 0;
}
