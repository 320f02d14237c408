/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_secret: file:, env: and literal secrets. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "atl_check.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_secret.h"

static apr_pool_t *pool;
static char dir[64];
static apr_array_header_t *written; /* files to remove after the test */

static void setup(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    strcpy(dir, "/tmp/atl_secret_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    written = apr_array_make(pool, 8, sizeof(const char *));
}

static void teardown(void)
{
    int i;

    for (i = 0; i < written->nelts; i++) {
        unlink(APR_ARRAY_IDX(written, i, const char *));
    }
    rmdir(dir);
    apr_pool_destroy(pool);
    apr_terminate();
}

/* Write content (n bytes) to a new file in the test directory. */
static const char *write_file(const char *name, const char *content, size_t n)
{
    const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(content, 1, n, f), n);
    fclose(f);
    APR_ARRAY_PUSH(written, const char *) = path;
    return path;
}

static apr_status_t resolve(const char **value, apr_size_t *len, const char **errmsg,
                            const char *spec)
{
    *value = NULL;
    *len = 12345;
    *errmsg = NULL;
    return atl_secret_resolve(value, len, errmsg, pool, spec);
}

START_TEST(literal)
{
    const char *v, *e;
    apr_size_t len;

    ck_assert_int_eq(resolve(&v, &len, &e, "s3cr3t value"), APR_SUCCESS);
    ck_assert_str_eq(v, "s3cr3t value");
    ck_assert_uint_eq(len, 12);
    /* "File:" (not lower case) is a literal, as are other prefixes. */
    ck_assert_int_eq(resolve(&v, &len, &e, "File:/etc/passwd"), APR_SUCCESS);
    ck_assert_str_eq(v, "File:/etc/passwd");
}
END_TEST

START_TEST(file_trailing_newline_once)
{
    const char *v, *e;
    apr_size_t len;
    const char *p1 = write_file("nl", "abc\n", 4);
    const char *p2 = write_file("nlnl", "abc\n\n", 5);
    const char *p3 = write_file("crlf", "abc\r\n", 5);
    const char *p4 = write_file("none", "abc", 3);
    const char *p5 = write_file("inner", "a\nb\n", 4);

    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", p1, NULL)),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "abc");
    ck_assert_uint_eq(len, 3);
    ck_assert_ptr_null(e);

    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", p2, NULL)),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "abc\n");
    ck_assert_uint_eq(len, 4);

    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", p3, NULL)),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "abc");
    ck_assert_uint_eq(len, 3);

    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", p4, NULL)),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "abc");

    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", p5, NULL)),
                     APR_SUCCESS);
    ck_assert_str_eq(v, "a\nb");
}
END_TEST

START_TEST(file_missing_names_path)
{
    const char *v, *e;
    apr_size_t len;
    const char *path = apr_pstrcat(pool, dir, "/does-not-exist", NULL);

    ck_assert_int_ne(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", path, NULL)),
                     APR_SUCCESS);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, path) != NULL, "message does not name the path: %s", e);

    ck_assert_int_ne(resolve(&v, &len, &e, "file:"), APR_SUCCESS);
    ck_assert_ptr_nonnull(e);
}
END_TEST

START_TEST(file_errors_never_show_content)
{
    const char *v, *e;
    apr_size_t len;
    const char *empty = write_file("empty", "", 0);
    const char *only_nl = write_file("only-nl", "\n", 1);
    char *big = malloc(70000);
    const char *bigpath;

    ck_assert_int_ne(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", empty, NULL)),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(e, empty));
    ck_assert_int_ne(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", only_nl, NULL)),
                     APR_SUCCESS);

    memset(big, 'Q', 70000);
    bigpath = write_file("big", big, 70000);
    free(big);
    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", bigpath, NULL)),
                     ATL_E_TOOBIG);
    ck_assert_ptr_nonnull(strstr(e, bigpath));
    ck_assert_ptr_null(strstr(e, "QQQQ"));
    ck_assert_ptr_null(v);

    /* A directory is not a secret file. */
    ck_assert_int_ne(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", dir, NULL)),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(e, dir));
}
END_TEST

START_TEST(file_just_under_limit)
{
    const char *v, *e;
    apr_size_t len;
    char *buf = malloc(65536);
    const char *path;

    memset(buf, 'k', 65536);
    path = write_file("limit", buf, 65536);
    free(buf);
    ck_assert_int_eq(resolve(&v, &len, &e, apr_pstrcat(pool, "file:", path, NULL)),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, 65536);
    ck_assert_uint_eq(strlen(v), 65536);
}
END_TEST

START_TEST(env)
{
    const char *v, *e;
    apr_size_t len;

    setenv("ATL_TEST_SECRET", "from-the-environment", 1);
    setenv("ATL_TEST_EMPTY", "", 1);
    unsetenv("ATL_TEST_UNSET");

    ck_assert_int_eq(resolve(&v, &len, &e, "env:ATL_TEST_SECRET"), APR_SUCCESS);
    ck_assert_str_eq(v, "from-the-environment");
    ck_assert_uint_eq(len, 20);

    ck_assert_int_ne(resolve(&v, &len, &e, "env:ATL_TEST_UNSET"), APR_SUCCESS);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(e, "ATL_TEST_UNSET"));

    ck_assert_int_ne(resolve(&v, &len, &e, "env:ATL_TEST_EMPTY"), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(e, "ATL_TEST_EMPTY"));

    ck_assert_int_ne(resolve(&v, &len, &e, "env:"), APR_SUCCESS);
    ck_assert_ptr_nonnull(e);
}
END_TEST

static Suite *secret_suite(void)
{
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, literal);
    tcase_add_test(tc, file_trailing_newline_once);
    tcase_add_test(tc, file_missing_names_path);
    tcase_add_test(tc, file_errors_never_show_content);
    tcase_add_test(tc, file_just_under_limit);
    tcase_add_test(tc, env);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(secret_suite());
}
