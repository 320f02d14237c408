/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_json's UTF-8 handling: raw UTF-8, as Atlassian sends
 * it ("Jürgen Müller", not "J\u00fcrgen"), passes every parser unchanged,
 * with every json-c from 0.14 to 0.18 (0.18's strict mode refuses every
 * byte above 0x7F when handed one); invalid UTF-8 (overlong forms,
 * surrogates, cut sequences, bytes that never start one) is refused by
 * every parser. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>

#include "atl_groups.h"
#include "atl_identity.h"
#include "atl_json.h"
#include "atl_json_groups.h"
#include "atl_status.h"

/* "Jürgen Müller", "Zoë 😀" (a character above U+FFFF), "Ĳsselmeer",
 * "日本語チーム" as UTF-8 bytes. */
#define JUERGEN "J\xc3\xbcrgen M\xc3\xbcller"
#define ZOE     "Zo\xc3\xab \xf0\x9f\x98\x80"
#define TEAM_JA "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x81\xe3\x83\xbc\xe3\x83\xa0"
#define EDGE                                                                             \
    "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf"

static apr_status_t parse_profile(atl_identity_t **id, const char **err, const char *s)
{
    *id = atl_identity_make(pool);
    *err = NULL;
    return atl_json_parse_profile(*id, err, pool, s, strlen(s));
}

START_TEST(profile_raw_utf8)
{
    atl_identity_t *id;
    const char *err;
    const char *me = "{\"account_id\":\"557058:5fb1c1a8-0a3f-4b1e-9e11-2b1b1c1d1e1f\","
                     "\"name\":\"" JUERGEN "\",\"nickname\":\"" ZOE "\","
                     "\"email\":\"j\xc3\xbcrgen@example.com\",\"locale\":\"de\","
                     "\"extended_profile\":{\"department\":\"" TEAM_JA "\","
                     "\"location\":\"" EDGE "\"}}";

    ck_assert_int_eq(parse_profile(&id, &err, me), APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_NAME], JUERGEN);
    ck_assert_str_eq(id->f[ATL_F_NICKNAME], ZOE);
    ck_assert_str_eq(id->f[ATL_F_EMAIL], "j\xc3\xbcrgen@example.com");
    ck_assert_str_eq(id->f[ATL_F_DEPARTMENT], TEAM_JA);
    ck_assert_str_eq(id->f[ATL_F_LOCATION], EDGE);
}
END_TEST

START_TEST(profile_escapes_and_raw_mixed)
{
    atl_identity_t *id;
    const char *err;

    /* An escaped quote and backslash next to raw UTF-8, and the same
     * character once escaped and once raw: both decode to the same bytes. */
    ck_assert_int_eq(parse_profile(&id, &err,
                                   "{\"account_id\":\"a\",\"name\":\"\\\"J\xc3\xbc\\\\"
                                   "\\u00fc\xc3\xbc\\\"\"}"),
                     APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_NAME], "\"J\xc3\xbc\\\xc3\xbc\xc3\xbc\"");
    /* A raw character in a member name. */
    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"n\xc3\xa4me\":\"x\"}"),
        APR_SUCCESS);
}
END_TEST

/* Each of these is refused wherever it stands in a string. */
static const char *const bad_utf8[] = {
    "\xc0\xaf",         /* overlong "/" */
    "\xc1\xbf",         /* overlong */
    "\xe0\x80\xaf",     /* overlong, three bytes */
    "\xf0\x80\x80\xaf", /* overlong, four bytes */
    "\xed\xa0\x80",     /* surrogate D800 */
    "\xed\xbf\xbf",     /* surrogate DFFF */
    "\xf4\x90\x80\x80", /* above U+10FFFF */
    "\xf5\x80\x80\x80", /* never a lead byte */
    "\xff",             /* never a lead byte */
    "\x80",             /* a continuation byte alone */
    "\xc3",             /* cut: the string's quote follows */
    "\xe6\x97",         /* cut */
    "\xf0\x9f\x98",     /* cut */
    "\xc3\x28",         /* a lead byte, then ASCII */
};

START_TEST(profile_invalid_utf8)
{
    atl_identity_t *id;
    const char *err;
    apr_size_t i;

    for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
        const char *me = apr_pstrcat(pool, "{\"account_id\":\"a\",\"name\":\"M",
                                     bad_utf8[i], "x\"}", NULL);

        ck_assert_msg(parse_profile(&id, &err, me) == ATL_E_MALFORMED,
                      "case %lu accepted", (unsigned long)i);
        ck_assert_msg(strstr(err, "not valid UTF-8") != NULL, "case %lu: %s",
                      (unsigned long)i, err);
        ck_assert_ptr_null(id->f[ATL_F_NAME]);
    }
    /* The cut sequence at the very end of the answer. */
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\"a\"}\xc3"),
                     ATL_E_MALFORMED);
}
END_TEST

START_TEST(non_ascii_outside_strings)
{
    atl_identity_t *id;
    const char *err;

    /* Valid UTF-8 but not JSON: outside a string, and right after a
     * backslash (an escaped "\ü" is no JSON escape; written as \u00fc
     * after the backslash it would read as "\\u00fc"). */
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\"a\"}\xc2\xa0"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_profile(&id, &err, "\xef\xbb\xbf{\"account_id\":\"a\"}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\xc3\xbc}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"name\":\"\\\xc3\xbc\"}"),
        ATL_E_MALFORMED);
    ck_assert_ptr_null(id->f[ATL_F_ACCOUNT_ID]);
}
END_TEST

START_TEST(sites_raw_utf8)
{
    apr_array_header_t *sites = NULL;
    const char *err = NULL;
    const char *body = "[{\"id\":\"1324a887-45db-1bf4-1e99-ef0ff456d421\","
                       "\"name\":\"M\xc3\xbcller GmbH " ZOE "\","
                       "\"url\":\"https://mueller.atlassian.net\","
                       "\"scopes\":[\"read:jira-user\"]}]";

    ck_assert_int_eq(atl_json_parse_sites(&sites, &err, pool, body, strlen(body)),
                     APR_SUCCESS);
    ck_assert_int_eq(sites->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(sites, 0, atl_site_t).name, "M\xc3\xbcller GmbH " ZOE);
    body = "[{\"id\":\"x\",\"name\":\"M\xed\xa0\x80\"}]";
    ck_assert_int_eq(atl_json_parse_sites(&sites, &err, pool, body, strlen(body)),
                     ATL_E_MALFORMED);
}
END_TEST

START_TEST(groups_raw_utf8)
{
    apr_array_header_t *groups = apr_array_make(pool, 4, sizeof(atl_group_t));
    const char *err = NULL, *next = NULL;
    const char *jira =
        "{\"accountId\":\"627a1d3ba20bd0006fd98447\",\"groups\":{\"size\":2,"
        "\"items\":[{\"name\":\"Entwickler M\xc3\xbcnchen\",\"groupId\":"
        "\"6e87dc72-4f1f-421f-9382-2fee8b652487\"},{\"name\":\"" TEAM_JA "\"}]}}";
    const char *conf = "{\"results\":[{\"type\":\"group\",\"name\":\"\xc3\xa9quipe " ZOE
                       "\",\"id\":\"276f955c-63d7-42c8-9520-92d01dca0625\"}],"
                       "\"start\":0,\"limit\":200,\"size\":1,\"_links\":{}}";

    ck_assert_int_eq(
        atl_json_parse_jira_groups(groups, &err, pool, jira, strlen(jira), 100),
        APR_SUCCESS);
    ck_assert_int_eq(groups->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(groups, 0, atl_group_t).name,
                     "Entwickler M\xc3\xbcnchen");
    ck_assert_str_eq(APR_ARRAY_IDX(groups, 1, atl_group_t).name, TEAM_JA);
    ck_assert_int_eq(atl_json_parse_confluence_groups(groups, &next, &err, pool, conf,
                                                      strlen(conf), 100),
                     APR_SUCCESS);
    ck_assert_int_eq(groups->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(groups, 2, atl_group_t).name, "\xc3\xa9quipe " ZOE);

    jira = "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"M\xe0\x80\xaf\"}]}}";
    ck_assert_int_eq(
        atl_json_parse_jira_groups(groups, &err, pool, jira, strlen(jira), 100),
        ATL_E_MALFORMED);
    conf = "{\"results\":[{\"type\":\"group\",\"name\":\"x\xf0\x9f\x98\",\"id\":\"1\"}],"
           "\"size\":1}";
    ck_assert_int_eq(atl_json_parse_confluence_groups(groups, &next, &err, pool, conf,
                                                      strlen(conf), 100),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(groups->nelts, 3);
}
END_TEST

START_TEST(error_answers_raw_utf8)
{
    const char *error = NULL, *description = NULL, *msg;
    const char *body = "{\"error\":\"access_denied\",\"error_description\":\"Zugriff "
                       "verweigert f\xc3\xbcr " ZOE "\"}";

    atl_json_parse_error(&error, &description, pool, body, strlen(body));
    ck_assert_str_eq(error, "access_denied");
    ck_assert_str_eq(description, "Zugriff verweigert f\xc3\xbcr " ZOE);
    body = "{\"code\":401,\"message\":\"Unauthorized; scope does not match \xc3\xbc\"}";
    msg = atl_json_product_message(pool, body, strlen(body));
    ck_assert_str_eq(msg, "Unauthorized; scope does not match \xc3\xbc");
    body = "{\"code\":401,\"message\":\"\xed\xa0\x80\"}";
    ck_assert_ptr_null(atl_json_product_message(pool, body, strlen(body)));
}
END_TEST

START_TEST(identity_document_keeps_utf8)
{
    atl_identity_t *id;
    const char *err, *json = NULL;

    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"name\":\"" JUERGEN "\"}"),
        APR_SUCCESS);
    ck_assert_int_eq(atl_json_identity(&json, pool, id, 0), APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(json, JUERGEN));
}
END_TEST

static Suite *json_utf8_suite(void)
{
    Suite *s = suite_create("atl_json_utf8");
    TCase *tc = tcase_create("utf8");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, profile_raw_utf8);
    tcase_add_test(tc, profile_escapes_and_raw_mixed);
    tcase_add_test(tc, profile_invalid_utf8);
    tcase_add_test(tc, non_ascii_outside_strings);
    tcase_add_test(tc, sites_raw_utf8);
    tcase_add_test(tc, groups_raw_utf8);
    tcase_add_test(tc, error_answers_raw_utf8);
    tcase_add_test(tc, identity_document_keeps_utf8);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(json_utf8_suite());
}
