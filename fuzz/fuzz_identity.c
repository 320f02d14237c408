/* SPDX-License-Identifier: Apache-2.0 */
/* The stored identity, after unsealing: atl_identity_decode on any bytes
 * (docs/storage-format.md). What it accepts must encode again
 * (atl_identity_encode) and decode to the same identity. */

#include "fuzz_common.h"

#include "atl_identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check_same(const atl_identity_t *a, const atl_identity_t *b)
{
    int f, i;

    for (f = 0; f < ATL_F_COUNT; f++) {
        FUZZ_CHECK(same(a->f[f], b->f[f]));
    }
    FUZZ_CHECK(same(a->refresh_token, b->refresh_token));
    FUZZ_CHECK(a->login_time == b->login_time);
    FUZZ_CHECK(a->token_expiry == b->token_expiry);
    FUZZ_CHECK((a->sites == NULL) == (b->sites == NULL));
    if (a->sites) {
        FUZZ_CHECK(a->sites->nelts == b->sites->nelts);
        for (i = 0; i < a->sites->nelts; i++) {
            const atl_site_t *x = &APR_ARRAY_IDX(a->sites, i, atl_site_t);
            const atl_site_t *y = &APR_ARRAY_IDX(b->sites, i, atl_site_t);
            FUZZ_CHECK(same(x->id, y->id) && same(x->name, y->name)
                       && same(x->host, y->host));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    atl_identity_t *id = NULL, *back = NULL;
    const char *enc = NULL;
    apr_size_t len = 0;
    int f;

    if (atl_identity_decode(&id, p, (const char *)data, size) != APR_SUCCESS) {
        FUZZ_CHECK(id == NULL);
        goto out;
    }
    FUZZ_CHECK(id->f[ATL_F_ACCOUNT_ID] != NULL);
    for (f = 0; f < ATL_F_COUNT; f++) {
        if (id->f[f]) {
            FUZZ_CHECK(*id->f[f] && !fuzz_has_ctl(id->f[f], strlen(id->f[f])));
        }
    }
    FUZZ_CHECK(id->login_time >= 0 && id->token_expiry >= 0);
    FUZZ_CHECK(id->sites == NULL || id->sites->nelts <= ATL_IDENTITY_MAX_SITES);

    FUZZ_CHECK(atl_identity_encode(&enc, &len, p, id) == APR_SUCCESS);
    /* The format's byte first, the end record last. */
    FUZZ_CHECK(len >= 3 && (unsigned char)enc[0] == 0x01 && enc[len - 1] == '\0');
    FUZZ_CHECK(atl_identity_decode(&back, p, enc, len) == APR_SUCCESS);
    check_same(id, back);

out:
    apr_pool_destroy(p);
    return 0;
}
