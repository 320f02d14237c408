/* SPDX-License-Identifier: Apache-2.0 */
/* The /me answer: atl_json_parse_profile. What it accepts must store and
 * read back unchanged (atl_identity_encode/decode), and the ?info=json
 * document made from it must parse back to the same profile. */

#include "fuzz_common.h"

#include "atl_identity.h"
#include "atl_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static apr_size_t field_max(int f)
{
    if (f == ATL_F_PICTURE) {
        return ATL_IDENTITY_MAX_PICTURE;
    }
    if (f == ATL_F_ACCESS_TOKEN) {
        return ATL_IDENTITY_MAX_TOKEN;
    }
    return ATL_IDENTITY_MAX_FIELD;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The fields that ?info=json writes at the top level under the names
 * that /me uses (the extended_profile ones are flattened, so they are not
 * compared). */
static const atl_field_e top_level[] = {
    ATL_F_ACCOUNT_ID,     ATL_F_EMAIL,         ATL_F_NAME,   ATL_F_NICKNAME,
    ATL_F_PICTURE,        ATL_F_ACCOUNT_TYPE,  ATL_F_LOCALE, ATL_F_ZONEINFO,
    ATL_F_ACCOUNT_STATUS, ATL_F_EMAIL_VERIFIED};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    atl_identity_t *id = atl_identity_make(p), *back = NULL, *again;
    const char *errmsg = NULL, *enc = NULL, *json = NULL;
    apr_size_t len = 0;
    apr_status_t rv;
    size_t i;
    int f;

    rv = atl_json_parse_profile(id, &errmsg, p, (const char *)data, size);
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(errmsg != NULL);
        /* A refused profile leaves the identity untouched. */
        for (f = 0; f < ATL_F_COUNT; f++) {
            FUZZ_CHECK(id->f[f] == NULL);
        }
        goto out;
    }

    FUZZ_CHECK(id->f[ATL_F_ACCOUNT_ID] != NULL);
    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *v = id->f[f];
        if (v) {
            FUZZ_CHECK(*v != '\0');
            FUZZ_CHECK(strlen(v) <= field_max(f));
            FUZZ_CHECK(!fuzz_has_ctl(v, strlen(v)));
        }
    }
    if (id->f[ATL_F_EMAIL_VERIFIED]) {
        FUZZ_CHECK(strcmp(id->f[ATL_F_EMAIL_VERIFIED], "true") == 0
                   || strcmp(id->f[ATL_F_EMAIL_VERIFIED], "false") == 0);
    }

    /* Stored and read back: the same identity. */
    id->login_time = 1700000000;
    FUZZ_CHECK(atl_identity_encode(&enc, &len, p, id) == APR_SUCCESS);
    FUZZ_CHECK(atl_identity_decode(&back, p, enc, len) == APR_SUCCESS);
    for (f = 0; f < ATL_F_COUNT; f++) {
        if (f != ATL_F_LOGIN_TIME) {
            FUZZ_CHECK(same(id->f[f], back->f[f]));
        }
    }
    FUZZ_CHECK(back->login_time == id->login_time);

    /* ?info=json, parsed as a profile again. */
    FUZZ_CHECK(atl_json_identity(&json, p, back, 0) == APR_SUCCESS);
    again = atl_identity_make(p);
    FUZZ_CHECK(atl_json_parse_profile(again, &errmsg, p, json, strlen(json))
               == APR_SUCCESS);
    for (i = 0; i < sizeof(top_level) / sizeof(top_level[0]); i++) {
        FUZZ_CHECK(same(id->f[top_level[i]], again->f[top_level[i]]));
    }

out:
    apr_pool_destroy(p);
    return 0;
}
