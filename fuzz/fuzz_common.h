/* SPDX-License-Identifier: Apache-2.0 */
/* What every fuzz target shares: APR set up once per process, a fresh pool
 * for each input, and a check that aborts (so libFuzzer records the input
 * as a crash) when an invariant of the code under test does not hold. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: when it fails, say which one and abort. */
#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* apr_initialize once; apr_terminate when the process ends. */
static inline void fuzz_apr_init(void)
{
    if (apr_initialize() != APR_SUCCESS) {
        fprintf(stderr, "apr_initialize failed\n");
        abort();
    }
    atexit(apr_terminate);
}

static inline apr_pool_t *fuzz_pool(void)
{
    apr_pool_t *p = NULL;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        abort();
    }
    return p;
}

static inline apr_status_t fuzz_free(void *b)
{
    free(b);
    return APR_SUCCESS;
}

/* The input as a buffer of exactly size bytes (NUL bytes kept) and a NUL
 * after them, in its own malloc block so that AddressSanitizer sees a read
 * past the end (pool memory comes in large blocks where it cannot). Freed
 * with the pool. */
static inline char *fuzz_bytes(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *b = malloc(size + 1);

    if (b == NULL) {
        abort();
    }
    memcpy(b, data, size);
    b[size] = '\0';
    apr_pool_cleanup_register(p, b, fuzz_free, apr_pool_cleanup_null);
    return b;
}

/* The input as a C string: what a C caller sees, up to its first NUL. */
static inline const char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);

    return fuzz_bytes(p, data, nul ? (size_t)(nul - data) : size);
}

/* Whether the len bytes of s hold a control character (< 0x20 or 0x7f). */
static inline int fuzz_has_ctl(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return 1;
        }
    }
    return 0;
}

#endif
