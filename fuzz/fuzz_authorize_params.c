/* SPDX-License-Identifier: Apache-2.0 */
/* AtlassianAuthorizeParams: atl_authorize_parse_params on any value. What
 * it accepts must survive atl_authorize_url: the query it builds, parsed
 * again, gives back the same parameters after the module's own. */

#include <strings.h>

#include "fuzz_common.h"

#include "atl_authorize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static const char *const reserved[] = {
    "audience", "client_id", "scope", "redirect_uri", "state", "response_type", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *spec = fuzz_cstr(p, data, size);
    apr_array_header_t *params = NULL, *back = NULL;
    const char *errmsg = NULL, *url = NULL, *tail;
    int i, j;

    if (atl_authorize_parse_params(&params, &errmsg, p, spec) != APR_SUCCESS) {
        FUZZ_CHECK(params == NULL && errmsg != NULL);
        goto out;
    }
    FUZZ_CHECK(params != NULL);
    for (i = 0; i < params->nelts; i++) {
        const atl_param_t *a = &APR_ARRAY_IDX(params, i, atl_param_t);
        FUZZ_CHECK(a->key && *a->key && a->value);
        for (j = 0; reserved[j]; j++) {
            FUZZ_CHECK(strcasecmp(a->key, reserved[j]) != 0);
        }
    }

    FUZZ_CHECK(atl_authorize_url(&url, p, "https://auth.example.com/authorize",
                                 "client id", "read:me offline_access",
                                 "https://app.example.com/cb", "st&te=x", params)
               == APR_SUCCESS);
    tail = strstr(url, "&response_type=code");
    FUZZ_CHECK(tail != NULL);
    tail += strlen("&response_type=code");
    FUZZ_CHECK(*tail == '\0' || *tail == '&');
    FUZZ_CHECK(strchr(url, ' ') == NULL && strchr(url, '#') == NULL);
    FUZZ_CHECK(atl_authorize_parse_params(&back, &errmsg, p, tail) == APR_SUCCESS);
    FUZZ_CHECK(back->nelts == params->nelts);
    for (i = 0; i < params->nelts; i++) {
        const atl_param_t *a = &APR_ARRAY_IDX(params, i, atl_param_t);
        const atl_param_t *b = &APR_ARRAY_IDX(back, i, atl_param_t);
        FUZZ_CHECK(strcmp(a->key, b->key) == 0 && strcmp(a->value, b->value) == 0);
    }

out:
    apr_pool_destroy(p);
    return 0;
}
