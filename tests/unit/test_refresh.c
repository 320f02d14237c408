/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_refresh: the shared outcome of a refresh. */

#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>

#include "atl_refresh.h"

static atl_refresh_t *round_trip(const atl_refresh_t *in)
{
    const char *s = NULL;
    apr_size_t len = 0;
    atl_refresh_t *out = NULL;

    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, in), APR_SUCCESS);
    ck_assert_int_eq(len, strlen(s));
    ck_assert_int_eq(atl_refresh_decode(&out, pool, s, len), APR_SUCCESS);
    return out;
}

START_TEST(tokens_round_trip)
{
    atl_refresh_t in = {0, "at-1", "rt-2", 1700000000};
    atl_refresh_t *out = round_trip(&in);

    ck_assert_int_eq(out->ended, 0);
    ck_assert_str_eq(out->access_token, "at-1");
    ck_assert_str_eq(out->refresh_token, "rt-2");
    ck_assert_int_eq(out->expiry, 1700000000);
}
END_TEST

START_TEST(no_refresh_token_no_expiry)
{
    atl_refresh_t in = {0, "at-1", NULL, 0};
    atl_refresh_t *out = round_trip(&in);

    ck_assert_str_eq(out->access_token, "at-1");
    ck_assert_ptr_null(out->refresh_token);
    ck_assert_int_eq(out->expiry, 0);
}
END_TEST

START_TEST(ended_round_trip)
{
    atl_refresh_t in = {1, NULL, NULL, 0};
    atl_refresh_t *out = round_trip(&in);

    ck_assert_int_eq(out->ended, 1);
    ck_assert_ptr_null(out->access_token);
}
END_TEST

START_TEST(encode_refuses_bad_tokens)
{
    atl_refresh_t none = {0, NULL, NULL, 0};
    atl_refresh_t ctl = {0, "at\n1", NULL, 0};
    atl_refresh_t rctl = {0, "at", "r\x01", 0};
    const char *s;
    apr_size_t len;

    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, &none), ATL_E_BADINPUT);
    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, &ctl), ATL_E_BADINPUT);
    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, &rctl), ATL_E_BADINPUT);
}
END_TEST

START_TEST(decode_refuses_garbage)
{
    static const char *const bad[] = {
        "",
        "R2\nat\n",
        "R1\n",           /* neither tokens nor refused */
        "R1\nat\nat\n",   /* twice */
        "R1\ne\nat\n",    /* both */
        "R1\nex\n",       /* e with a value */
        "R1\nat\nx12a\n", /* not a number */
        "R1\nat\nx-5\n",  /* negative */
        "R1\nat\nx0\n",   /* zero */
        "R1\nat\nq1\n",   /* unknown */
        "R1\nat",         /* no newline */
        "R1\na\n",        /* empty token */
        "R1\nat\n\n",     /* empty line */
        "R1\na\tb\n",     /* control character */
    };
    atl_refresh_t *rf;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(atl_refresh_decode(&rf, pool, bad[i], strlen(bad[i]))
                          == ATL_E_MALFORMED,
                      "accepted #%u", (unsigned)i);
        ck_assert_ptr_null(rf);
    }
}
END_TEST

START_TEST(due_within_the_margin)
{
    ck_assert_int_eq(atl_refresh_due(0, 1000), 0);
    ck_assert_int_eq(atl_refresh_due(1000 + ATL_REFRESH_MARGIN + 1, 1000), 0);
    ck_assert_int_eq(atl_refresh_due(1000 + ATL_REFRESH_MARGIN, 1000), 1);
    ck_assert_int_eq(atl_refresh_due(999, 1000), 1);
}
END_TEST

/* The margin in numbers: a token that expires at 10,000 is refreshed from
 * 9,940 on (60 seconds before), not at 9,939. A test written with the
 * macro would follow any change of it; this one does not. */
START_TEST(due_sixty_seconds_before)
{
    ck_assert_int_eq(ATL_REFRESH_MARGIN, 60);
    ck_assert_int_eq(atl_refresh_due(10000, 9939), 0);
    ck_assert_int_eq(atl_refresh_due(10000, 9940), 1);
    ck_assert_int_eq(atl_refresh_due(10000, 9999), 1);
    ck_assert_int_eq(atl_refresh_due(10000, 10000), 1);
    ck_assert_int_eq(atl_refresh_due(10000, 20000), 1);
    ck_assert_int_eq(atl_refresh_due(10000, 0), 0);
}
END_TEST

/* An answer without expires_in expires at once; with it, that much later. */
START_TEST(expiry_of_an_answer)
{
    ck_assert_int_eq(atl_refresh_expiry(3600, 10000), 13600);
    ck_assert_int_eq(atl_refresh_expiry(1, 10000), 10001);
    ck_assert_int_eq(atl_refresh_expiry(0, 10000), 10000);
    ck_assert_int_eq(atl_refresh_expiry(-5, 10000), 10000);
    ck_assert_int_eq(atl_refresh_due(atl_refresh_expiry(0, 10000), 10000), 1);
    ck_assert_int_eq(atl_refresh_due(atl_refresh_expiry(3600, 10000), 10001), 0);
}
END_TEST

static Suite *refresh_suite(void)
{
    Suite *s = suite_create("refresh");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, tokens_round_trip);
    tcase_add_test(tc, no_refresh_token_no_expiry);
    tcase_add_test(tc, ended_round_trip);
    tcase_add_test(tc, encode_refuses_bad_tokens);
    tcase_add_test(tc, decode_refuses_garbage);
    tcase_add_test(tc, due_within_the_margin);
    tcase_add_test(tc, due_sixty_seconds_before);
    tcase_add_test(tc, expiry_of_an_answer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(refresh_suite());
}
