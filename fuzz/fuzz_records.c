/* SPDX-License-Identifier: Apache-2.0 */
/* The module's own records after unsealing (atl_json_records.c): the
 * first byte picks the reader, modulo 3: 'r' the refresh outcome, 'g' the
 * group check, 'k' the kept POST (the pending logins have fuzz_state).
 * What a reader accepts is written again, and that text reads back to
 * the same values and writes again to the same bytes. */

#include "fuzz_common.h"

#include "atl_gcheck.h"
#include "atl_keptpost.h"
#include "atl_refresh.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void refresh(apr_pool_t *p, const char *in, size_t size)
{
    atl_refresh_t *rf, *back;
    const char *enc, *enc2;
    apr_size_t len, len2;

    if (atl_refresh_decode(&rf, p, in, size) != APR_SUCCESS) {
        FUZZ_CHECK(rf == NULL);
        return;
    }
    FUZZ_CHECK(rf->ended ? !rf->access_token && !rf->refresh_token && !rf->expiry
                         : rf->access_token && *rf->access_token && rf->expiry >= 0);
    FUZZ_CHECK(atl_refresh_encode(&enc, &len, p, rf) == APR_SUCCESS);
    FUZZ_CHECK(len == strlen(enc));
    FUZZ_CHECK(atl_refresh_decode(&back, p, enc, len) == APR_SUCCESS);
    FUZZ_CHECK(back->ended == rf->ended && back->expiry == rf->expiry);
    FUZZ_CHECK(same(back->access_token, rf->access_token));
    FUZZ_CHECK(same(back->refresh_token, rf->refresh_token));
    FUZZ_CHECK(atl_refresh_encode(&enc2, &len2, p, back) == APR_SUCCESS);
    FUZZ_CHECK(len2 == len && memcmp(enc, enc2, len) == 0);
}

static void gcheck(apr_pool_t *p, const char *in, size_t size)
{
    atl_gcheck_t *g, *back, *again;
    const char *enc, *enc2;
    apr_size_t len, len2;
    int i;

    if (atl_gcheck_decode(&g, p, in, size) != APR_SUCCESS) {
        FUZZ_CHECK(g == NULL);
        return;
    }
    FUZZ_CHECK(g->checked > 0 && (g->ended == 0 || g->ended == 1));
    for (i = 0; i < g->fails->nelts; i++) {
        const atl_gfail_t *f = &APR_ARRAY_IDX(g->fails, i, atl_gfail_t);

        FUZZ_CHECK(f->site && f->why && f->status >= 0 && f->status < 600);
        FUZZ_CHECK(f->retry_until >= 0);
    }
    /* Writing cleans values (control characters, empty ones): after one
     * write, a record reads back and writes again unchanged. */
    FUZZ_CHECK(atl_gcheck_encode(&enc, &len, p, g) == APR_SUCCESS);
    FUZZ_CHECK(atl_gcheck_decode(&back, p, enc, len) == APR_SUCCESS);
    FUZZ_CHECK(back->checked == g->checked && back->ended == g->ended);
    FUZZ_CHECK(back->groups->nelts == g->groups->nelts);
    FUZZ_CHECK(back->fails->nelts == g->fails->nelts);
    FUZZ_CHECK(atl_gcheck_encode(&enc2, &len2, p, back) == APR_SUCCESS);
    FUZZ_CHECK(atl_gcheck_decode(&again, p, enc2, len2) == APR_SUCCESS);
    FUZZ_CHECK(len2 == len && memcmp(enc, enc2, len) == 0);
    for (i = 0; i < back->groups->nelts; i++) {
        FUZZ_CHECK(strcmp(APR_ARRAY_IDX(back->groups, i, const char *),
                          APR_ARRAY_IDX(again->groups, i, const char *))
                   == 0);
    }
}

static void keptpost(apr_pool_t *p, const char *in, size_t size)
{
    const char *state, *body, *state2, *body2, *enc;
    apr_size_t len;

    if (atl_keptpost_decode(&state, &body, p, in, size) != APR_SUCCESS) {
        FUZZ_CHECK(state == NULL && body == NULL);
        return;
    }
    FUZZ_CHECK(strlen(state) == 43 && strlen(body) <= ATL_KEPTPOST_MAX);
    FUZZ_CHECK(atl_keptpost_encode(&enc, &len, p, state, body) == APR_SUCCESS);
    FUZZ_CHECK(atl_keptpost_decode(&state2, &body2, p, enc, len) == APR_SUCCESS);
    FUZZ_CHECK(strcmp(state, state2) == 0 && strcmp(body, body2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *in;

    if (size < 1) {
        return 0;
    }
    p = fuzz_pool();
    in = fuzz_bytes(p, data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: refresh(p, in, size - 1); break;
    case 1: gcheck(p, in, size - 1); break;
    default: keptpost(p, in, size - 1); break;
    }
    apr_pool_destroy(p);
    return 0;
}
