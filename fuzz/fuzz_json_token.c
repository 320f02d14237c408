/* SPDX-License-Identifier: Apache-2.0 */
/* The token endpoint's answer: atl_json_parse_token, and the error answer
 * parser atl_json_parse_error on the same bytes. */

#include <strings.h>

#include "fuzz_common.h"

#include "atl_identity.h"
#include "atl_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    atl_token_t *tok = NULL;
    const char *errmsg = NULL, *error = NULL, *description = NULL;
    apr_status_t rv;

    /* The answer body exactly as received: not NUL-terminated. */
    rv = atl_json_parse_token(&tok, &errmsg, p, (const char *)data, size);
    if (rv == APR_SUCCESS) {
        size_t n;

        FUZZ_CHECK(tok != NULL && tok->access_token != NULL);
        n = strlen(tok->access_token);
        FUZZ_CHECK(n > 0 && n <= ATL_IDENTITY_MAX_TOKEN);
        FUZZ_CHECK(!fuzz_has_ctl(tok->access_token, n));
        if (tok->refresh_token) {
            n = strlen(tok->refresh_token);
            FUZZ_CHECK(n > 0 && n <= ATL_IDENTITY_MAX_TOKEN);
            FUZZ_CHECK(!fuzz_has_ctl(tok->refresh_token, n));
        }
        FUZZ_CHECK(tok->token_type && strcasecmp(tok->token_type, "bearer") == 0);
        FUZZ_CHECK(tok->expires_in >= 0 && tok->expires_in <= 365 * 24 * 3600);
        if (tok->scope) {
            FUZZ_CHECK(*tok->scope && !fuzz_has_ctl(tok->scope, strlen(tok->scope)));
        }
    }
    else {
        FUZZ_CHECK(tok == NULL);
        FUZZ_CHECK(errmsg != NULL);
    }

    /* Read up to 4096 bytes: the caller hides secrets in them first, then
     * cuts them for the log (atl_oauth.c). */
    atl_json_parse_error(&error, &description, p, (const char *)data, size);
    if (error) {
        FUZZ_CHECK(*error && strlen(error) <= 4096
                   && !fuzz_has_ctl(error, strlen(error)));
    }
    if (description) {
        FUZZ_CHECK(*description && strlen(description) <= 4096
                   && !fuzz_has_ctl(description, strlen(description)));
    }

    apr_pool_destroy(p);
    return 0;
}
