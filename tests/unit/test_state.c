/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_state: pending logins kept in the session. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_state.h"

static const char *new_state(void)
{
    const char *s = NULL;
    ck_assert_int_eq(atl_state_generate(&s, pool), APR_SUCCESS);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void add(apr_array_header_t *list, const char *state, const char *url,
                apr_int64_t created, unsigned flags)
{
    atl_pending_t *e = apr_array_push(list);
    e->state = state;
    e->return_url = url;
    e->created = created;
    e->flags = flags;
}

static apr_array_header_t *new_list(void)
{
    return apr_array_make(pool, 4, sizeof(atl_pending_t));
}

static const atl_pending_t *at(const apr_array_header_t *list, int i)
{
    return &APR_ARRAY_IDX(list, i, atl_pending_t);
}

START_TEST(generate)
{
    const char *a = new_state();
    const char *b = new_state();
    const char *c;

    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_uint_eq(strlen(b), 43);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(atl_state_well_formed(a), 1);
    for (c = a; *c; c++) {
        ck_assert_msg(strchr("+/=", *c) == NULL, "not base64url: %s", a);
    }
}
END_TEST

START_TEST(well_formed)
{
    const char *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_6";

    ck_assert_uint_eq(strlen(ok), 43);
    ck_assert_int_eq(atl_state_well_formed(ok), 1);
    ck_assert_int_eq(atl_state_well_formed(NULL), 0);
    ck_assert_int_eq(atl_state_well_formed(""), 0);
    ck_assert_int_eq(atl_state_well_formed("abc"), 0);
    ck_assert_int_eq(atl_state_well_formed(apr_pstrcat(pool, ok, "A", NULL)), 0);
    ck_assert_int_eq(atl_state_well_formed(apr_pstrndup(pool, ok, 42)), 0);
    ck_assert_int_eq(atl_state_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+/6"),
                     0);
    ck_assert_int_eq(atl_state_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123 _6"),
                     0);
    ck_assert_int_eq(atl_state_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123=_6"),
                     0);
}
END_TEST

START_TEST(encode_decode_round_trip)
{
    apr_array_header_t *list = new_list();
    apr_array_header_t *back;
    const char *s1 = new_state(), *s2 = new_state(), *s3 = new_state();
    const char *odd = "/p a t h?x=1&y=a%20b&z=+plus+\n/next\r\ttab\x01\x7f\xc3\xa9#f";
    const char *enc = NULL;
    apr_size_t len = 0;

    add(list, s1, "/protected/a?b=c", 1700000000, ATL_PENDING_SITES);
    add(list, s2, odd, 1700000100, ATL_PENDING_TOKEN | ATL_PENDING_REFRESH);
    add(list, s3, "/", 0, 0);

    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), APR_SUCCESS);
    ck_assert_ptr_nonnull(enc);
    ck_assert_uint_eq(len, strlen(enc));

    back = atl_state_decode(pool, enc, len);
    ck_assert_int_eq(back->nelts, 3);
    ck_assert_str_eq(at(back, 0)->state, s1);
    ck_assert_str_eq(at(back, 0)->return_url, "/protected/a?b=c");
    ck_assert(at(back, 0)->created == 1700000000);
    ck_assert_uint_eq(at(back, 0)->flags, ATL_PENDING_SITES);
    ck_assert_str_eq(at(back, 1)->state, s2);
    ck_assert_str_eq(at(back, 1)->return_url, odd);
    ck_assert(at(back, 1)->created == 1700000100);
    ck_assert_uint_eq(at(back, 1)->flags, ATL_PENDING_TOKEN | ATL_PENDING_REFRESH);
    ck_assert_str_eq(at(back, 2)->state, s3);
    ck_assert_str_eq(at(back, 2)->return_url, "/");
    ck_assert(at(back, 2)->created == 0);
    ck_assert_uint_eq(at(back, 2)->flags, 0);
}
END_TEST

START_TEST(encode_empty_and_bad)
{
    apr_array_header_t *list = new_list();
    const char *enc = NULL;
    apr_size_t len = 99;
    char longurl[600];

    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), APR_SUCCESS);
    ck_assert_str_eq(enc, "{\"p\":[]}");
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(atl_state_decode(pool, enc, len)->nelts, 0);

    /* A return URL over the limit is remembered as "/". */
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[0] = '/';
    longurl[sizeof(longurl) - 1] = '\0';
    add(list, new_state(), longurl, 5, 0);
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), APR_SUCCESS);
    ck_assert_str_eq(at(atl_state_decode(pool, enc, len), 0)->return_url, "/");

    /* An empty or missing return URL is remembered as "/". */
    apr_array_clear(list);
    add(list, new_state(), "", 5, 0);
    add(list, new_state(), NULL, 6, 0);
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), APR_SUCCESS);
    ck_assert_int_eq(atl_state_decode(pool, enc, len)->nelts, 2);
    ck_assert_str_eq(at(atl_state_decode(pool, enc, len), 0)->return_url, "/");
    ck_assert_str_eq(at(atl_state_decode(pool, enc, len), 1)->return_url, "/");

    /* A time before the epoch cannot be stored. */
    add(list, new_state(), "/", -1, 0);
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), ATL_E_BADINPUT);
    apr_array_clear(list);

    /* A state that generate never makes cannot be stored. */
    add(list, "short", "/", 5, 0);
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), ATL_E_BADINPUT);
}
END_TEST

START_TEST(decode_garbage)
{
    const char *s = new_state();
    static const char *const garbage[] = {
        "",       "\n\n\n",       "garbage",          "a b c d\n",
        " \n \n", "%%%%%%%%%%\n", "\xff\xfe\x00\x01", NULL};
    const char *lines[12];
    int i;

    ck_assert_int_eq(atl_state_decode(pool, NULL, 0)->nelts, 0);
    ck_assert_int_eq(atl_state_decode(pool, NULL, 10)->nelts, 0);
    for (i = 0; garbage[i]; i++) {
        ck_assert_int_eq(atl_state_decode(pool, garbage[i], strlen(garbage[i]))->nelts,
                         0);
    }
    ck_assert_int_eq(atl_state_decode(pool, "\xff\xfe\x00\x01", 4)->nelts, 0);

    /* An entry that cannot be used is dropped, the others kept. */
    lines[0] = apr_psprintf(pool, "{\"s\":\"%.42s\",\"t\":10,\"f\":0,\"u\":\"/\"}", s);
    lines[1] = apr_psprintf(pool, "{\"s\":\"%.42s+\",\"t\":10,\"f\":0,\"u\":\"/\"}", s);
    lines[2] = apr_psprintf(pool, "{\"s\":\"%s\",\"t\":10,\"f\":0,\"u\":\"\"}", s);
    lines[3] = apr_psprintf(pool, "{\"s\":\"%s\",\"t\":10,\"f\":1,\"u\":\"/ok\"}", s);
    lines[4] = NULL;
    {
        apr_array_header_t *arr = apr_array_make(pool, 12, sizeof(const char *));
        apr_array_header_t *back;
        const char *all;
        for (i = 0; lines[i]; i++) {
            APR_ARRAY_PUSH(arr, const char *) = lines[i];
        }
        all =
            apr_pstrcat(pool, "{\"p\":[", apr_array_pstrcat(pool, arr, ','), "]}", NULL);
        back = atl_state_decode(pool, all, strlen(all));
        ck_assert_int_eq(back->nelts, 1);
        ck_assert_str_eq(at(back, 0)->return_url, "/ok");
        ck_assert_uint_eq(at(back, 0)->flags, ATL_PENDING_SITES);
    }
}
END_TEST

START_TEST(decode_caps_entries)
{
    apr_array_header_t *list = new_list();
    apr_array_header_t *back;
    const char *enc;
    apr_size_t len;
    int i;

    /* Twice the bound is read (prune then brings it down); more is not a
     * list this module wrote. */
    for (i = 0; i < ATL_STATE_MAX_PENDING * 2; i++) {
        add(list, new_state(), "/x", 1000 + i, 0);
    }
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), APR_SUCCESS);
    back = atl_state_decode(pool, enc, len);
    ck_assert_int_eq(back->nelts, ATL_STATE_MAX_PENDING * 2);
    add(list, new_state(), "/x", 2000, 0);
    ck_assert_int_eq(atl_state_encode(&enc, &len, pool, list), ATL_E_BADINPUT);
    enc = apr_pstrcat(pool, "{\"p\":[{\"s\":\"", new_state(),
                      "\",\"t\":1,\"f\":0,\"u\":\"/\"}", NULL);
    for (i = 0; i < ATL_STATE_MAX_PENDING * 2; i++) {
        enc = apr_pstrcat(pool, enc, ",{\"s\":\"", new_state(),
                          "\",\"t\":1,\"f\":0,\"u\":\"/\"}", NULL);
    }
    enc = apr_pstrcat(pool, enc, "]}", NULL);
    len = strlen(enc);
    ck_assert_int_eq(atl_state_decode(pool, enc, len)->nelts, 0);
    /* The length given is honoured, not the NUL. */
    back = atl_state_decode(pool, enc, 10);
    ck_assert_int_eq(back->nelts, 0);
}
END_TEST

START_TEST(prune_by_age)
{
    apr_array_header_t *list = new_list();
    const char *a = new_state(), *b = new_state(), *c = new_state(), *d = new_state();

    add(list, a, "/a", 1000, 0); /* 700 s old: too old */
    add(list, b, "/b", 1100, 0); /* exactly 600 s: kept */
    add(list, c, "/c", 1650, 0);
    add(list, d, "/d", 1000000, 0); /* from the future */
    atl_state_prune(list, 1700, ATL_STATE_MAX_AGE, ATL_STATE_MAX_PENDING);
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_str_eq(at(list, 0)->state, b);
    ck_assert_str_eq(at(list, 1)->state, c);
}
END_TEST

START_TEST(prune_by_count)
{
    apr_array_header_t *list = new_list();
    const char *s[6];
    int i;

    for (i = 0; i < 6; i++) {
        s[i] = new_state();
    }
    /* Not in time order, so "oldest" cannot mean "first". */
    add(list, s[0], "/0", 1005, 0);
    add(list, s[1], "/1", 1001, 0);
    add(list, s[2], "/2", 1004, 0);
    add(list, s[3], "/3", 1000, 0);
    add(list, s[4], "/4", 1003, 0);
    add(list, s[5], "/5", 1002, 0);
    atl_state_prune(list, 1010, ATL_STATE_MAX_AGE, 4);
    ck_assert_int_eq(list->nelts, 4);
    ck_assert_str_eq(at(list, 0)->state, s[0]);
    ck_assert_str_eq(at(list, 1)->state, s[2]);
    ck_assert_str_eq(at(list, 2)->state, s[4]);
    ck_assert_str_eq(at(list, 3)->state, s[5]);

    atl_state_prune(list, 1010, ATL_STATE_MAX_AGE, 0);
    ck_assert_int_eq(list->nelts, 0);
}
END_TEST

START_TEST(find_and_remove)
{
    apr_array_header_t *list = new_list();
    const char *a = new_state(), *b = new_state(), *c = new_state();

    add(list, a, "/a", 1, 0);
    add(list, b, "/b", 2, 0);
    add(list, c, "/c", 3, 0);

    ck_assert_int_eq(atl_state_find(list, a), 0);
    ck_assert_int_eq(atl_state_find(list, apr_pstrdup(pool, b)), 1);
    ck_assert_int_eq(atl_state_find(list, c), 2);
    ck_assert_int_eq(atl_state_find(list, new_state()), -1);
    ck_assert_int_eq(atl_state_find(list, ""), -1);
    ck_assert_int_eq(atl_state_find(list, NULL), -1);
    ck_assert_int_eq(atl_state_find(list, apr_pstrndup(pool, b, 42)), -1);
    ck_assert_int_eq(atl_state_find(NULL, a), -1);

    atl_state_remove(list, 1);
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_str_eq(at(list, 0)->state, a);
    ck_assert_str_eq(at(list, 1)->state, c);
    ck_assert_int_eq(atl_state_find(list, b), -1);
    ck_assert_int_eq(atl_state_find(list, c), 1);

    /* Out of range: nothing happens. */
    atl_state_remove(list, 5);
    atl_state_remove(list, -1);
    ck_assert_int_eq(list->nelts, 2);
    atl_state_remove(list, 0);
    atl_state_remove(list, 0);
    ck_assert_int_eq(list->nelts, 0);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, generate);
    tcase_add_test(tc, well_formed);
    tcase_add_test(tc, encode_decode_round_trip);
    tcase_add_test(tc, encode_empty_and_bad);
    tcase_add_test(tc, decode_garbage);
    tcase_add_test(tc, decode_caps_entries);
    tcase_add_test(tc, prune_by_age);
    tcase_add_test(tc, prune_by_count);
    tcase_add_test(tc, find_and_remove);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(state_suite());
}
