/* SPDX-License-Identifier: Apache-2.0 */
/* Seal the input, unseal it: the same bytes come back, and only for the
 * purpose they were sealed for. Sealing again gives the same value
 * (AES-SIV), of the length the format says. Then the decoders on what was
 * unsealed must agree with the decoders on the input itself. */

#include "fuzz_common.h"

#include "atl_identity.h"
#include "atl_seal.h"
#include "atl_state.h"

static atl_seal_keys_t *keys;
static atl_seal_keys_t *old_keys; /* only the second key of keys */

static atl_seal_keys_t *make_keys(apr_pool_t *p, const char *a, const char *b)
{
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(const char *));
    atl_seal_keys_t *k = NULL;
    const char *errmsg = NULL;

    APR_ARRAY_PUSH(arr, const char *) = a;
    if (b) {
        APR_ARRAY_PUSH(arr, const char *) = b;
    }
    if (atl_seal_keys_make(&k, &errmsg, p, arr) != APR_SUCCESS) {
        fprintf(stderr, "atl_seal_keys_make: %s\n", errmsg);
        abort();
    }
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *global;

    fuzz_apr_init();
    global = fuzz_pool();
    keys = make_keys(global, "fuzz-session-secret-0123456789abcdef-new",
                     "fuzz-session-secret-0123456789abcdef-old");
    old_keys = make_keys(global, "fuzz-session-secret-0123456789abcdef-old", NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = fuzz_bytes(p, data, size);
    const char *sealed = NULL, *plain = NULL;
    apr_size_t len = 0;
    atl_identity_t *id1 = NULL, *id2 = NULL;
    apr_status_t rv1, rv2;

    if (atl_seal(&sealed, p, keys, "login", in, size) != APR_SUCCESS) {
        /* Only an empty value or one too long is refused. */
        FUZZ_CHECK(sealed == NULL && (size == 0 || size > ATL_SEAL_MAX_PLAIN));
        goto out;
    }
    FUZZ_CHECK(sealed != NULL);
    FUZZ_CHECK(atl_unseal(&plain, &len, p, keys, "login", sealed) == APR_SUCCESS);
    FUZZ_CHECK(len == size && memcmp(plain, in, size) == 0 && plain[len] == '\0');

    /* Deterministic, 17 bytes added. */
    {
        const char *again = NULL;

        FUZZ_CHECK(atl_seal(&again, p, keys, "login", in, size) == APR_SUCCESS);
        FUZZ_CHECK(strcmp(again, sealed) == 0);
        FUZZ_CHECK(strlen(sealed) == ((size + ATL_SEAL_OVERHEAD) * 4 + 2) / 3);
    }

    /* Bound to its purpose and to the sealing key. */
    FUZZ_CHECK(atl_unseal(&plain, &len, p, keys, "pending", sealed) == ATL_E_UNSEAL);
    FUZZ_CHECK(atl_unseal(&plain, &len, p, old_keys, "login", sealed) == ATL_E_UNSEAL);

    /* The decoders see the same bytes either way. */
    FUZZ_CHECK(atl_unseal(&plain, &len, p, keys, "login", sealed) == APR_SUCCESS);
    rv1 = atl_identity_decode(&id1, p, in, size);
    rv2 = atl_identity_decode(&id2, p, plain, len);
    FUZZ_CHECK(rv1 == rv2);
    if (rv1 == APR_SUCCESS) {
        FUZZ_CHECK(strcmp(id1->f[ATL_F_ACCOUNT_ID], id2->f[ATL_F_ACCOUNT_ID]) == 0);
    }
    FUZZ_CHECK(atl_state_decode(p, in, size)->nelts
               == atl_state_decode(p, plain, len)->nelts);

out:
    apr_pool_destroy(p);
    return 0;
}
