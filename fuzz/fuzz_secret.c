/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets in the configuration: atl_secret_resolve on "env:NAME" and
 * literal values. "file:" values are skipped: the fuzzer must not open
 * arbitrary paths. */

#include "fuzz_common.h"

#include "atl_secret.h"

#define FUZZ_ENV_NAME  "ATL_FUZZ_SECRET"
#define FUZZ_ENV_VALUE "fuzz-env-secret-0123456789abcdef"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    setenv(FUZZ_ENV_NAME, FUZZ_ENV_VALUE, 1);
    setenv("ATL_FUZZ_EMPTY", "", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *spec = fuzz_cstr(p, data, size);
    const char *value = NULL, *errmsg = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (strncmp(spec, "file:", 5) == 0) {
        goto out;
    }
    rv = atl_secret_resolve(&value, &len, &errmsg, p, spec);
    if (strncmp(spec, "env:", 4) == 0) {
        const char *env = getenv(spec + 4);
        if (spec[4] != '\0' && env != NULL && *env != '\0') {
            FUZZ_CHECK(rv == APR_SUCCESS && strcmp(value, env) == 0);
            FUZZ_CHECK(len == strlen(env) && errmsg == NULL);
        }
        else {
            FUZZ_CHECK(rv != APR_SUCCESS && value == NULL && errmsg != NULL);
        }
    }
    else {
        /* Anything else is the secret itself. */
        FUZZ_CHECK(rv == APR_SUCCESS && value == spec && len == strlen(spec));
        FUZZ_CHECK(errmsg == NULL);
    }

out:
    apr_pool_destroy(p);
    return 0;
}
