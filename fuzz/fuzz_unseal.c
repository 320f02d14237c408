/* SPDX-License-Identifier: Apache-2.0 */
/* A session value as a browser may send it: atl_unseal under fixed keys,
 * for both purposes the module uses, then the decoder of what it holds.
 * Seeds are values sealed under these keys (see README.md), so mutations
 * reach the base64url and authentication checks. */

#include "fuzz_common.h"

#include "atl_identity.h"
#include "atl_seal.h"
#include "atl_state.h"

static atl_seal_keys_t *keys;

/* Two keys, as after a rotation: the first seals, both unseal. */
static const char *const secrets[] = {"fuzz-session-secret-0123456789abcdef-new",
                                      "fuzz-session-secret-0123456789abcdef-old"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *global;
    apr_array_header_t *arr;
    const char *errmsg = NULL;

    fuzz_apr_init();
    global = fuzz_pool();
    arr = apr_array_make(global, 2, sizeof(const char *));
    APR_ARRAY_PUSH(arr, const char *) = secrets[0];
    APR_ARRAY_PUSH(arr, const char *) = secrets[1];
    if (atl_seal_keys_make(&keys, &errmsg, global, arr) != APR_SUCCESS) {
        fprintf(stderr, "atl_seal_keys_make: %s\n", errmsg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *sealed = fuzz_cstr(p, data, size);
    const char *plain = NULL;
    apr_size_t len = 0;
    atl_identity_t *id = NULL;

    /* Purposes as in mod_auth_atlassian.c. */
    if (atl_unseal(&plain, &len, p, keys, "login", sealed) == APR_SUCCESS) {
        FUZZ_CHECK(plain != NULL && plain[len] == '\0');
        (void)atl_identity_decode(&id, p, plain, len);
    }
    else {
        FUZZ_CHECK(plain == NULL && len == 0);
    }
    plain = NULL;
    if (atl_unseal(&plain, &len, p, keys, "pending", sealed) == APR_SUCCESS) {
        FUZZ_CHECK(plain != NULL && plain[len] == '\0');
        (void)atl_state_decode(p, plain, len);
    }
    else {
        FUZZ_CHECK(plain == NULL && len == 0);
    }

    apr_pool_destroy(p);
    return 0;
}
