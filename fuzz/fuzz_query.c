/* SPDX-License-Identifier: Apache-2.0 */
/* The callback's query string: atl_query_parse on any string, compared
 * with a second, plain model of its contract (atl_query.h): the known
 * parameters at most once each, non-empty, %-decoded with '+' as a space,
 * no bad escape, NUL or control character, within their limits; unknown
 * ones ignored. Both must agree on accept or refuse and on every value. */

#include <ctype.h>

#include "fuzz_common.h"

#include "atl_query.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static const struct {
    const char *name;
    apr_size_t max;
} known[] = {{"code", ATL_QUERY_MAX_CODE},
             {"state", ATL_QUERY_MAX_STATE},
             {"error", ATL_QUERY_MAX_ERROR},
             {"logout", ATL_QUERY_MAX_CODE},
             {"info", ATL_QUERY_MAX_INFO}};
#define NKNOWN 5

static const char **slot(atl_query_t *q, int i)
{
    const char **slots[NKNOWN] = {&q->code, &q->state, &q->error, &q->logout, &q->info};
    return slots[i];
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* [b, e) decoded, or NULL for a bad escape or a NUL. */
static const char *model_decode(apr_pool_t *p, const char *b, const char *e)
{
    char *out = apr_palloc(p, (size_t)(e - b) + 1);
    size_t n = 0;

    while (b < e) {
        if (*b == '%') {
            int h = b + 1 < e ? hexval(b[1]) : -1;
            int l = b + 2 < e ? hexval(b[2]) : -1;
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                return NULL;
            }
            out[n++] = (char)(h * 16 + l);
            b += 3;
        }
        else {
            out[n++] = *b == '+' ? ' ' : *b;
            b++;
        }
    }
    out[n] = '\0';
    return out;
}

/* The contract, written out plainly. 1 and the values in *q when the
 * query is to be accepted. */
static int model_parse(atl_query_t *q, apr_pool_t *p, const char *args)
{
    const char *c = args;

    memset(q, 0, sizeof(*q));
    if (strlen(args) > ATL_QUERY_MAX) {
        return 0;
    }
    while (*c) {
        const char *end = c + strcspn(c, "&");
        const char *eq = memchr(c, '=', (size_t)(end - c));
        const char *name_end = eq ? eq : end;
        const char *v;
        int i;

        for (i = 0; i < NKNOWN; i++) {
            if ((size_t)(name_end - c) == strlen(known[i].name)
                && memcmp(c, known[i].name, (size_t)(name_end - c)) == 0) {
                break;
            }
        }
        if (i < NKNOWN) {
            if (*slot(q, i) != NULL || eq == NULL || eq + 1 == end) {
                return 0;
            }
            v = model_decode(p, eq + 1, end);
            if (v == NULL || *v == '\0' || strlen(v) > known[i].max
                || fuzz_has_ctl(v, strlen(v))) {
                return 0;
            }
            *slot(q, i) = v;
        }
        c = *end ? end + 1 : end;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *args = fuzz_cstr(p, data, size);
    atl_query_t q, m;
    const char *why = NULL;
    apr_status_t rv;
    int i, ok;

    rv = atl_query_parse(&q, &why, p, args);
    ok = model_parse(&m, p, args);
    FUZZ_CHECK((rv == APR_SUCCESS) == ok);
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(why == NULL);
        for (i = 0; i < NKNOWN; i++) {
            const char *a = *slot(&q, i), *b = *slot(&m, i);
            FUZZ_CHECK((a == NULL) == (b == NULL));
            FUZZ_CHECK(a == NULL || strcmp(a, b) == 0);
        }
    }
    else {
        FUZZ_CHECK(rv == ATL_E_BADINPUT && why != NULL);
    }

    /* No query at all is no parameter. */
    FUZZ_CHECK(atl_query_parse(&q, &why, p, NULL) == APR_SUCCESS && q.code == NULL);

    apr_pool_destroy(p);
    return 0;
}
