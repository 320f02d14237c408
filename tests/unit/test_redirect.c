/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_redirect: no open redirect, judged like a browser. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_redirect.h"

static apr_array_header_t *prefixes(const char *a, const char *b)
{
    apr_array_header_t *arr = apr_array_make(pool, 2, sizeof(const char *));
    if (a) {
        APR_ARRAY_PUSH(arr, const char *) = a;
    }
    if (b) {
        APR_ARRAY_PUSH(arr, const char *) = b;
    }
    return arr;
}

static const char *const local_ok[] = {
    "/",
    "/protected/page",
    "/ok?next=//evil",
    "/ok?next=https://evil.com/",
    "/a//b",
    "/a/\\b",
    "/ok#//evil",
    "/%2e%2e/x",
    "/caf\xc3\xa9",
    "  /ok  ",
    "\\ok", /* a browser reads it as "/ok" on this host */
    NULL};

static const char *const local_bad[] = {"",
                                        " ",
                                        "//evil.com",
                                        "//evil.com/path",
                                        "/\\evil.com",
                                        "\\/evil.com",
                                        "\\\\evil.com",
                                        "///evil.com",
                                        "////evil.com",
                                        "/\t/evil.com",
                                        "\t//evil.com",
                                        "/\r\n/evil.com",
                                        "/\n/evil.com",
                                        "/ok\x01",
                                        "/ok\x7f",
                                        "/%09/evil.com",
                                        "/%2F%2Fevil.com",
                                        "/%2f/evil.com",
                                        "/%5C/evil.com",
                                        "/%0a/evil.com",
                                        "/%0D/evil.com",
                                        "  //evil.com",
                                        " \\\\evil.com",
                                        "https://evil.com",
                                        "http://evil.com/",
                                        "HTTPS://evil.com",
                                        "javascript:alert(1)",
                                        "JaVaScRiPt:alert(1)",
                                        "data:text/html,<script>alert(1)</script>",
                                        "evil.com",
                                        "evil.com/path",
                                        "./x",
                                        "?x=1",
                                        "#frag",
                                        NULL};

START_TEST(is_local_accepts)
{
    int i;
    for (i = 0; local_ok[i]; i++) {
        ck_assert_msg(atl_redirect_is_local(local_ok[i]) == 1, "should be local: \"%s\"",
                      local_ok[i]);
    }
}
END_TEST

START_TEST(is_local_refuses)
{
    int i;
    ck_assert_int_eq(atl_redirect_is_local(NULL), 0);
    for (i = 0; local_bad[i]; i++) {
        ck_assert_msg(atl_redirect_is_local(local_bad[i]) == 0,
                      "should not be local: \"%s\"", local_bad[i]);
    }
}
END_TEST

START_TEST(allowed_prefix_with_slash)
{
    apr_array_header_t *a = prefixes("https://app.example.com/", NULL);

    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/x?y=1", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("HTTPS://APP.EXAMPLE.COM/x", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("/local/path", a), 1);

    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com.evil.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com@evil.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com:8443/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("http://app.example.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://evil.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://evil.com/https://app.example.com/", a),
                     0);
    ck_assert_int_eq(atl_redirect_allowed(" https://app.example.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/\\evil", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/\t", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/\r\nX: y", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("//evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("javascript:alert(1)", a), 0);
    ck_assert_int_eq(atl_redirect_allowed(NULL, a), 0);
    ck_assert_int_eq(atl_redirect_allowed("", a), 0);
}
END_TEST

START_TEST(allowed_prefix_without_slash)
{
    apr_array_header_t *a = prefixes("https://app.example.com", NULL);

    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com/", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://App.Example.Com/x", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com?x", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com#x", a), 1);

    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com.evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com.evil.com/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com@evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com:1@evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.comevil", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://app.example.com\\@evil.com", a), 0);
}
END_TEST

START_TEST(allowed_prefix_with_path)
{
    apr_array_header_t *a = prefixes("https://sso.example.org/Welcome/", "http://x.test");

    ck_assert_int_eq(atl_redirect_allowed("https://sso.example.org/Welcome/", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("https://SSO.example.org/Welcome/bye", a), 1);
    /* The path part is case-sensitive. */
    ck_assert_int_eq(atl_redirect_allowed("https://sso.example.org/welcome/", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://sso.example.org/", a), 0);
    /* The second prefix is tried too. */
    ck_assert_int_eq(atl_redirect_allowed("http://x.test/", a), 1);
    ck_assert_int_eq(atl_redirect_allowed("http://x.testing/", a), 0);
}
END_TEST

START_TEST(allowed_useless_prefixes_allow_nothing)
{
    /* Prefixes without a scheme or a host must not open everything. */
    apr_array_header_t *a = prefixes("/", "https://");

    ck_assert_int_eq(atl_redirect_allowed("//evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("/fine", a), 1);
    a = prefixes("", NULL);
    ck_assert_int_eq(atl_redirect_allowed("https://evil.com", a), 0);
    ck_assert_int_eq(atl_redirect_allowed("https://evil.com", NULL), 0);
}
END_TEST

START_TEST(return_url)
{
    ck_assert_str_eq(atl_redirect_return_url(pool, "/protected/x?a=1&b=2", 512),
                     "/protected/x?a=1&b=2");
    ck_assert_str_eq(atl_redirect_return_url(pool, "//evil.com/x", 512), "/evil.com/x");
    ck_assert_str_eq(atl_redirect_return_url(pool, "/\\evil.com/x", 512), "/evil.com/x");
    ck_assert_str_eq(atl_redirect_return_url(pool, "///evil.com", 512), "/evil.com");
    ck_assert_str_eq(atl_redirect_return_url(pool, "\\\\evil.com", 512), "/evil.com");
    ck_assert_str_eq(atl_redirect_return_url(pool, "/", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "/%2F%2Fevil.com", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "/a\r\nLocation: x", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "https://evil.com/", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "*", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "", 512), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, NULL, 512), "/");
    /* Longer than max: the root. Exactly max: kept. */
    ck_assert_str_eq(atl_redirect_return_url(pool, "/abcdefghij", 10), "/");
    ck_assert_str_eq(atl_redirect_return_url(pool, "/abcdefghi", 10), "/abcdefghi");
}
END_TEST

static Suite *redirect_suite(void)
{
    Suite *s = suite_create("redirect");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, is_local_accepts);
    tcase_add_test(tc, is_local_refuses);
    tcase_add_test(tc, allowed_prefix_with_slash);
    tcase_add_test(tc, allowed_prefix_without_slash);
    tcase_add_test(tc, allowed_prefix_with_path);
    tcase_add_test(tc, allowed_useless_prefixes_allow_nothing);
    tcase_add_test(tc, return_url);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(redirect_suite());
}
