/* SPDX-License-Identifier: Apache-2.0 */
/* The accessible-resources answer: atl_json_parse_sites. What it accepts
 * must store and read back unchanged (atl_identity_encode/decode). */

#include "fuzz_common.h"

#include "atl_identity.h"
#include "atl_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void check_value(const char *v)
{
    if (v) {
        size_t n = strlen(v);
        FUZZ_CHECK(n > 0 && n <= ATL_IDENTITY_MAX_FIELD);
        FUZZ_CHECK(!fuzz_has_ctl(v, n));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    apr_array_header_t *sites = NULL;
    atl_identity_t *id, *back = NULL;
    const char *errmsg = NULL, *enc = NULL;
    apr_size_t len = 0;
    int i, j;

    if (atl_json_parse_sites(&sites, &errmsg, p, (const char *)data, size)
        != APR_SUCCESS) {
        FUZZ_CHECK(sites == NULL && errmsg != NULL);
        goto out;
    }
    FUZZ_CHECK(sites != NULL && sites->nelts <= ATL_IDENTITY_MAX_SITES);
    for (i = 0; i < sites->nelts; i++) {
        const atl_site_t *s = &APR_ARRAY_IDX(sites, i, atl_site_t);
        const char *c;

        FUZZ_CHECK(s->id != NULL);
        check_value(s->id);
        check_value(s->name);
        check_value(s->host);
        for (c = s->host; c && *c; c++) {
            FUZZ_CHECK(!(*c >= 'A' && *c <= 'Z'));
        }
        /* No site twice (same id and host). */
        for (j = 0; j < i; j++) {
            const atl_site_t *o = &APR_ARRAY_IDX(sites, j, atl_site_t);
            FUZZ_CHECK(!(strcmp(o->id, s->id) == 0 && same(o->host, s->host)));
        }
    }

    /* Stored with an identity and read back: the same sites. */
    id = atl_identity_make(p);
    id->f[ATL_F_ACCOUNT_ID] = "acct";
    id->sites = sites;
    atl_identity_join_sites(id, p);
    FUZZ_CHECK(atl_identity_encode(&enc, &len, p, id) == APR_SUCCESS);
    FUZZ_CHECK(atl_identity_decode(&back, p, enc, len) == APR_SUCCESS);
    FUZZ_CHECK(back->sites != NULL && back->sites->nelts == sites->nelts);
    for (i = 0; i < sites->nelts; i++) {
        const atl_site_t *a = &APR_ARRAY_IDX(sites, i, atl_site_t);
        const atl_site_t *b = &APR_ARRAY_IDX(back->sites, i, atl_site_t);
        FUZZ_CHECK(same(a->id, b->id) && same(a->name, b->name)
                   && same(a->host, b->host));
    }
    FUZZ_CHECK(same(id->f[ATL_F_SITES], back->f[ATL_F_SITES]));
    FUZZ_CHECK(same(id->f[ATL_F_SITE_IDS], back->f[ATL_F_SITE_IDS]));

out:
    apr_pool_destroy(p);
    return 0;
}
