/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_authorize: the /authorize URL and its extra parameters. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_authorize.h"

static apr_array_header_t *parse_ok(const char *spec)
{
    apr_array_header_t *params = NULL;
    const char *errmsg = "unset";

    ck_assert_int_eq(atl_authorize_parse_params(&params, &errmsg, pool, spec),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(params);
    ck_assert_ptr_null(errmsg);
    return params;
}

static const atl_param_t *param_at(const apr_array_header_t *params, int i)
{
    return &APR_ARRAY_IDX(params, i, atl_param_t);
}

START_TEST(parse_simple)
{
    apr_array_header_t *params = parse_ok("prompt=consent&foo=bar%20baz&empty=&alone");

    ck_assert_int_eq(params->nelts, 4);
    ck_assert_str_eq(param_at(params, 0)->key, "prompt");
    ck_assert_str_eq(param_at(params, 0)->value, "consent");
    ck_assert_str_eq(param_at(params, 1)->key, "foo");
    ck_assert_str_eq(param_at(params, 1)->value, "bar baz");
    ck_assert_str_eq(param_at(params, 2)->key, "empty");
    ck_assert_str_eq(param_at(params, 2)->value, "");
    ck_assert_str_eq(param_at(params, 3)->key, "alone");
    ck_assert_str_eq(param_at(params, 3)->value, "");
}
END_TEST

START_TEST(parse_literal_values)
{
    /* '+' stays a plus (values are literal), '=' after the first is data. */
    apr_array_header_t *params = parse_ok("a=x+y&b=c=d&k%3Dk=v%26w");

    ck_assert_int_eq(params->nelts, 3);
    ck_assert_str_eq(param_at(params, 0)->value, "x+y");
    ck_assert_str_eq(param_at(params, 1)->key, "b");
    ck_assert_str_eq(param_at(params, 1)->value, "c=d");
    ck_assert_str_eq(param_at(params, 2)->key, "k=k");
    ck_assert_str_eq(param_at(params, 2)->value, "v&w");
}
END_TEST

START_TEST(parse_empty_spec)
{
    ck_assert_int_eq(parse_ok("")->nelts, 0);
    ck_assert_int_eq(parse_ok("&&")->nelts, 0);
    ck_assert_int_eq(parse_ok("a=1&")->nelts, 1);
}
END_TEST

START_TEST(parse_refuses)
{
    static const char *const bad[] = {"=value",
                                      "a=1&=2",
                                      "state=x",
                                      "prompt=consent&client_id=other",
                                      "scope=admin",
                                      "redirect_uri=https://evil.com/",
                                      "response_type=token",
                                      "audience=evil",
                                      "AUDIENCE=evil",
                                      "%73tate=x", /* "state", escaped */
                                      "a=%zz",
                                      "a=%00",
                                      "a%=1",
                                      NULL};
    int i;

    for (i = 0; bad[i]; i++) {
        apr_array_header_t *params = (apr_array_header_t *)1;
        const char *errmsg = NULL;
        ck_assert_msg(atl_authorize_parse_params(&params, &errmsg, pool, bad[i])
                          == ATL_E_BADINPUT,
                      "accepted \"%s\"", bad[i]);
        ck_assert_msg(errmsg != NULL && *errmsg, "no message for \"%s\"", bad[i]);
        ck_assert_ptr_null(params);
    }
}
END_TEST

START_TEST(url_every_parameter_escaped)
{
    apr_array_header_t *params = parse_ok("prompt=consent&x y=a%26b");
    const char *url = NULL;

    ck_assert_int_eq(atl_authorize_url(&url, pool, "https://auth.atlassian.com/authorize",
                                       "my client", "read:me offline_access",
                                       "https://app.example.com/cb?x=1&y=2",
                                       "STATE-abc_123", params),
                     APR_SUCCESS);
    ck_assert_str_eq(url,
                     "https://auth.atlassian.com/authorize"
                     "?audience=api.atlassian.com"
                     "&client_id=my%20client"
                     "&scope=read%3ame%20offline_access"
                     "&redirect_uri=https%3a%2f%2fapp.example.com%2fcb%3fx%3d1%26y%3d2"
                     "&state=STATE-abc_123"
                     "&response_type=code"
                     "&prompt=consent"
                     "&x%20y=a%26b");
}
END_TEST

START_TEST(url_plus_and_percent)
{
    apr_array_header_t *params = apr_array_make(pool, 1, sizeof(atl_param_t));
    atl_param_t *param = apr_array_push(params);
    const char *url = NULL;

    param->key = "k";
    param->value = "a+b %c\n";
    ck_assert_int_eq(atl_authorize_url(&url, pool, "https://a.test/authorize", "id+1",
                                       "read:me", "https://a.test/cb", "s", params),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(url, "&client_id=id%2b1&"));
    ck_assert_ptr_nonnull(strstr(url, "&k=a%2bb%20%25c%0a"));
    ck_assert_ptr_null(strchr(url, '+'));
    ck_assert_ptr_null(strchr(url, ' '));
    ck_assert_ptr_null(strchr(url, '\n'));
}
END_TEST

START_TEST(url_base_with_query)
{
    const char *url = NULL;

    ck_assert_int_eq(atl_authorize_url(&url, pool, "https://a.test/authorize?tenant=7",
                                       "c", "read:me", "https://a.test/cb", "s", NULL),
                     APR_SUCCESS);
    ck_assert_str_eq(url, "https://a.test/authorize?tenant=7&audience=api.atlassian.com"
                          "&client_id=c&scope=read%3ame&redirect_uri=https%3a%2f%2fa.test"
                          "%2fcb&state=s&response_type=code");

    ck_assert_int_eq(atl_authorize_url(&url, pool, "https://a.test/authorize?", "c",
                                       "read:me", "https://a.test/cb", "s", NULL),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(
        strstr(url, "/authorize?audience=api.atlassian.com&client_id="));

    ck_assert_int_eq(atl_authorize_url(&url, pool, "https://a.test/authorize?t=1&", "c",
                                       "read:me", "https://a.test/cb", "s", NULL),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(url, "?t=1&audience=api.atlassian.com&client_id="));
}
END_TEST

START_TEST(url_refuses_null)
{
    const char *url = "x";
    ck_assert_int_ne(
        atl_authorize_url(&url, pool, NULL, "c", "read:me", "https://a/cb", "s", NULL),
        APR_SUCCESS);
    ck_assert_ptr_null(url);
    ck_assert_int_ne(atl_authorize_url(&url, pool, "https://a/", "c", "read:me",
                                       "https://a/cb", NULL, NULL),
                     APR_SUCCESS);
}
END_TEST

static Suite *authorize_suite(void)
{
    Suite *s = suite_create("authorize");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, parse_simple);
    tcase_add_test(tc, parse_literal_values);
    tcase_add_test(tc, parse_empty_spec);
    tcase_add_test(tc, parse_refuses);
    tcase_add_test(tc, url_every_parameter_escaped);
    tcase_add_test(tc, url_plus_and_percent);
    tcase_add_test(tc, url_base_with_query);
    tcase_add_test(tc, url_refuses_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(authorize_suite());
}
