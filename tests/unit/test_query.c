/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_query: the callback's query string. */

#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>

#include "atl_query.h"

static apr_status_t parse(atl_query_t *q, const char **why, const char *args)
{
    return atl_query_parse(q, why, pool, args);
}

START_TEST(accepts_a_callback)
{
    atl_query_t q;
    const char *why;

    ck_assert_int_eq(parse(&q, &why, "code=abc%2Fd&state=s1&other=x&other=y"),
                     APR_SUCCESS);
    ck_assert_str_eq(q.code, "abc/d");
    ck_assert_str_eq(q.state, "s1");
    ck_assert_ptr_null(q.error);
    ck_assert_ptr_null(q.logout);
    ck_assert_ptr_null(q.info);
    ck_assert_ptr_null(why);
}
END_TEST

START_TEST(plus_is_a_space)
{
    atl_query_t q;
    const char *why;

    ck_assert_int_eq(parse(&q, &why, "error=access_denied&state=a+b"), APR_SUCCESS);
    ck_assert_str_eq(q.state, "a b");
    ck_assert_str_eq(q.error, "access_denied");
}
END_TEST

START_TEST(no_query_is_empty)
{
    atl_query_t q;
    const char *why;

    ck_assert_int_eq(parse(&q, &why, NULL), APR_SUCCESS);
    ck_assert_ptr_null(q.code);
    ck_assert_int_eq(parse(&q, &why, ""), APR_SUCCESS);
    ck_assert_ptr_null(q.state);
}
END_TEST

static const char *const refused[] = {"code=a&code=b",   /* duplicated */
                                      "state=a&state=a", /* duplicated, even when equal */
                                      "code=",           /* empty */
                                      "code",            /* no value */
                                      "state=%",         /* bad escape */
                                      "state=%zz",       /* bad escape */
                                      "state=a%00b",     /* NUL */
                                      "error=a%0Db",     /* CR */
                                      "code=a%0Ab",      /* LF */
                                      "info=%7F",        /* DEL */
                                      "info=json-and-far-too-long", /* over 16 */
                                      NULL};

START_TEST(refuses_bad_values)
{
    int i;

    for (i = 0; refused[i]; i++) {
        atl_query_t q;
        const char *why = NULL;

        ck_assert_msg(parse(&q, &why, refused[i]) == ATL_E_BADINPUT, "accepted %s",
                      refused[i]);
        ck_assert_ptr_nonnull(why);
    }
}
END_TEST

START_TEST(limits)
{
    atl_query_t q;
    const char *why;
    char *state = apr_pstrcat(pool, "state=", apr_psprintf(pool, "%0129d", 7), NULL);
    char *code = apr_pstrcat(pool, "code=", apr_psprintf(pool, "%02048d", 7), NULL);
    char *huge = apr_pstrcat(pool, "x=", apr_psprintf(pool, "%08200d", 7), NULL);

    ck_assert_int_eq(parse(&q, &why, state), ATL_E_BADINPUT);
    state[strlen(state) - 1] = '\0'; /* 128 characters: accepted */
    ck_assert_int_eq(parse(&q, &why, state), APR_SUCCESS);
    ck_assert_int_eq(parse(&q, &why, code), APR_SUCCESS);
    ck_assert_int_eq(parse(&q, &why, huge), ATL_E_BADINPUT);
    ck_assert_str_eq(why, "the query string is too long");
}
END_TEST

START_TEST(why_never_echoes_the_value)
{
    atl_query_t q;
    const char *why;

    ck_assert_int_eq(parse(&q, &why, "state=secret%0Avalue"), ATL_E_BADINPUT);
    ck_assert_ptr_null(strstr(why, "secret"));
    ck_assert_ptr_nonnull(strstr(why, "state"));
}
END_TEST

static Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, accepts_a_callback);
    tcase_add_test(tc, plus_is_a_space);
    tcase_add_test(tc, no_query_is_empty);
    tcase_add_test(tc, refuses_bad_values);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, why_never_echoes_the_value);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(query_suite());
}
