/* SPDX-License-Identifier: Apache-2.0 */
/* Require atlassian-email: atl_identity_email_match. The input is
 * "pattern\nemail" (everything before the first newline is the pattern).
 * A match needs a valid address; the match is case-insensitive; an
 * address matches itself and "*". Long inputs must not take long: the
 * matcher is at most quadratic (libFuzzer's -timeout catches a blow-up). */

#include <ctype.h>

#include "fuzz_common.h"

#include "atl_identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static char *upper(apr_pool_t *p, const char *s)
{
    char *u = apr_pstrdup(p, s), *c;

    for (c = u; *c; c++) {
        *c = (char)toupper((unsigned char)*c);
    }
    return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = fuzz_cstr(p, data, size);
    const char *nl = strchr(in, '\n');
    const char *pattern, *email;
    int m, valid;

    if (nl) {
        pattern = fuzz_bytes(p, (const uint8_t *)in, (size_t)(nl - in));
        email = fuzz_cstr(p, (const uint8_t *)nl + 1, strlen(nl + 1));
    }
    else {
        pattern = in;
        email = in;
    }
    valid = atl_identity_email_valid(email);
    m = atl_identity_email_match(pattern, email);
    if (m) {
        FUZZ_CHECK(valid);
    }
    FUZZ_CHECK(atl_identity_email_match(upper(p, pattern), email) == m);
    FUZZ_CHECK(atl_identity_email_match(pattern, upper(p, email)) == m);
    FUZZ_CHECK(atl_identity_email_match("*", email) == valid);
    if (strpbrk(email, "*?") == NULL) {
        FUZZ_CHECK(atl_identity_email_match(email, email) == valid);
    }
    FUZZ_CHECK(atl_identity_email_match(NULL, email) == 0);

    apr_pool_destroy(p);
    return 0;
}
