/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_json: the /me profile, accessible-resources and the
 * ?info=json document. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"
#include "atl_json_samples.h"

#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_json.h"
#include "atl_status.h"

/* ---- /me profile ------------------------------------------------------ */

static apr_status_t parse_profile(atl_identity_t **id, const char **err, const char *s)
{
    *id = atl_identity_make(pool);
    *err = NULL;
    return atl_json_parse_profile(*id, err, pool, s, strlen(s));
}

START_TEST(profile_example)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(parse_profile(&id, &err, me_example), APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_ID], "112233aa-bb11-cc22-33dd-445566abcabc");
    ck_assert_str_eq(id->f[ATL_F_EMAIL], "mia@example.com");
    ck_assert_str_eq(id->f[ATL_F_NAME], "Mia Krystof");
    ck_assert_str_eq(id->f[ATL_F_NICKNAME], "mkrystof");
    ck_assert_str_eq(
        id->f[ATL_F_PICTURE],
        "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/"
        "112233aa/1234abcd");
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_TYPE], "atlassian");
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_STATUS], "active");
    ck_assert_str_eq(id->f[ATL_F_LOCALE], "en-US");
    ck_assert_str_eq(id->f[ATL_F_ZONEINFO], "Australia/Sydney");
    ck_assert_ptr_null(id->f[ATL_F_EMAIL_VERIFIED]);
    ck_assert_str_eq(id->f[ATL_F_JOB_TITLE], "Designer");
    ck_assert_str_eq(id->f[ATL_F_DEPARTMENT], "Design team");
    ck_assert_str_eq(id->f[ATL_F_ORGANIZATION], "mia@example.com");
    ck_assert_str_eq(id->f[ATL_F_LOCATION], "Sydney");
    ck_assert_ptr_null(id->f[ATL_F_SITES]);
    ck_assert_ptr_null(id->f[ATL_F_SITE_IDS]);
    ck_assert_ptr_null(id->f[ATL_F_LOGIN_TIME]);
    ck_assert_ptr_null(id->f[ATL_F_ACCESS_TOKEN]);
}
END_TEST

START_TEST(profile_email_verified)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"email_verified\":true}"),
        APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_EMAIL_VERIFIED], "true");
    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"email_verified\":false}"),
        APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_EMAIL_VERIFIED], "false");
    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"email_verified\":\"true\"}"),
        APR_SUCCESS);
    ck_assert_ptr_null(id->f[ATL_F_EMAIL_VERIFIED]);
    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"email_verified\":1}"),
        APR_SUCCESS);
    ck_assert_ptr_null(id->f[ATL_F_EMAIL_VERIFIED]);
}
END_TEST

START_TEST(profile_no_account_id)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(parse_profile(&id, &err, "{\"email\":\"mia@example.com\"}"),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "profile has no account_id");
    /* A failed parse leaves the identity alone. */
    ck_assert_ptr_null(id->f[ATL_F_EMAIL]);
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":null}"), ATL_E_MALFORMED);
    ck_assert_str_eq(err, "profile has no account_id");
}
END_TEST

START_TEST(profile_account_id_number)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":557057,\"email\":\"m@x.com\"}"),
        ATL_E_MALFORMED);
    ck_assert_str_eq(err, "profile has no account_id");
    ck_assert_ptr_null(id->f[ATL_F_ACCOUNT_ID]);
    ck_assert_ptr_null(id->f[ATL_F_EMAIL]);
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":{\"id\":\"a\"}}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":[\"a\"]}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":true}"), ATL_E_MALFORMED);
}
END_TEST

START_TEST(profile_account_id_empty)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\"\"}"), ATL_E_MALFORMED);
    ck_assert_str_eq(err, "profile has no account_id");
    /* An id that cleaning would turn into another id is refused. */
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\"ab\\ncd\"}"),
                     ATL_E_MALFORMED);
    ck_assert_ptr_null(id->f[ATL_F_ACCOUNT_ID]);
}
END_TEST

START_TEST(profile_not_object)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(parse_profile(&id, &err, "[{\"account_id\":\"a\"}]"),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "profile is not a JSON object");
    ck_assert_int_eq(parse_profile(&id, &err, "{\"account_id\":\"a\"} trailing"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_profile(&id, &err, ""), ATL_E_MALFORMED);
}
END_TEST

START_TEST(profile_wrong_types_skipped)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(
        parse_profile(&id, &err,
                      "{\"account_id\":\"acc-1\",\"email\":12345,"
                      "\"name\":{\"first\":\"Mia\"},\"nickname\":[\"m\"],"
                      "\"picture\":null,\"locale\":true,"
                      "\"zoneinfo\":\"Europe/Berlin\","
                      "\"email_verified\":\"true\","
                      "\"extended_profile\":\"{\\\"job_title\\\":\\\"x\\\"}\"}"),
        APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_ID], "acc-1");
    ck_assert_ptr_null(id->f[ATL_F_EMAIL]);
    ck_assert_ptr_null(id->f[ATL_F_NAME]);
    ck_assert_ptr_null(id->f[ATL_F_NICKNAME]);
    ck_assert_ptr_null(id->f[ATL_F_PICTURE]);
    ck_assert_ptr_null(id->f[ATL_F_LOCALE]);
    ck_assert_str_eq(id->f[ATL_F_ZONEINFO], "Europe/Berlin");
    ck_assert_ptr_null(id->f[ATL_F_EMAIL_VERIFIED]);
    ck_assert_ptr_null(id->f[ATL_F_JOB_TITLE]);

    /* Inside extended_profile, wrong types are skipped one by one. */
    ck_assert_int_eq(parse_profile(&id, &err,
                                   "{\"account_id\":\"acc-1\",\"extended_profile\":"
                                   "{\"job_title\":7,\"department\":\"Ops\","
                                   "\"location\":[],\"organization\":{}}}"),
                     APR_SUCCESS);
    ck_assert_ptr_null(id->f[ATL_F_JOB_TITLE]);
    ck_assert_str_eq(id->f[ATL_F_DEPARTMENT], "Ops");
    ck_assert_ptr_null(id->f[ATL_F_LOCATION]);
    ck_assert_ptr_null(id->f[ATL_F_ORGANIZATION]);

    ck_assert_int_eq(
        parse_profile(&id, &err, "{\"account_id\":\"a\",\"extended_profile\":{}}"),
        APR_SUCCESS);
    ck_assert_ptr_null(id->f[ATL_F_DEPARTMENT]);
}
END_TEST

START_TEST(profile_control_chars_stripped)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(
        parse_profile(&id, &err,
                      "{\"account_id\":\"a\",\"name\":\"a\\r\\nb\","
                      "\"email\":\"m\\u0000ia@example.com\","
                      "\"nickname\":\"\\t\\n\","
                      "\"extended_profile\":{\"location\":\"Syd\\u007fney\"}}"),
        APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_NAME], "ab");
    /* An email with a NUL is dropped, never cleaned into another address. */
    ck_assert_ptr_null(id->f[ATL_F_EMAIL]);
    /* Nothing left: absent, never an empty value. */
    ck_assert_ptr_null(id->f[ATL_F_NICKNAME]);
    ck_assert_str_eq(id->f[ATL_F_LOCATION], "Sydney");
}
END_TEST

START_TEST(profile_identifying_fields_whole_or_dropped)
{
    atl_identity_t *id;
    const char *err;

    ck_assert_int_eq(parse_profile(&id, &err,
                                   "{\"account_id\":\"a\",\"account_status\":"
                                   "\"act\\u0000ive\",\"nickname\":\"mk\\rx\","
                                   "\"email\":\"mia@example.com\"}"),
                     APR_SUCCESS);
    ck_assert_ptr_null(id->f[ATL_F_ACCOUNT_STATUS]);
    ck_assert_ptr_null(id->f[ATL_F_NICKNAME]);
    ck_assert_str_eq(id->f[ATL_F_EMAIL], "mia@example.com");
}
END_TEST

START_TEST(profile_long_fields_cut)
{
    atl_identity_t *id;
    const char *err;
    char *big = apr_palloc(pool, 2001);
    char *body;

    memset(big, 'n', 2000);
    big[2000] = '\0';
    body =
        apr_psprintf(pool,
                     "{\"account_id\":\"a\",\"name\":\"%s\",\"picture\":\"https://x/%s\","
                     "\"extended_profile\":{\"job_title\":\"%s\"}}",
                     big, big, big);
    ck_assert_int_eq(parse_profile(&id, &err, body), APR_SUCCESS);
    ck_assert_uint_eq(strlen(id->f[ATL_F_NAME]), ATL_IDENTITY_MAX_FIELD);
    ck_assert_uint_eq(strlen(id->f[ATL_F_PICTURE]), ATL_IDENTITY_MAX_PICTURE);
    ck_assert(strncmp(id->f[ATL_F_PICTURE], "https://x/nnn", 13) == 0);
    ck_assert_uint_eq(strlen(id->f[ATL_F_JOB_TITLE]), ATL_IDENTITY_MAX_FIELD);

    /* An over-long account_id is refused rather than cut into another id. */
    body = apr_psprintf(pool, "{\"account_id\":\"%s\"}", big);
    ck_assert_int_eq(parse_profile(&id, &err, body), ATL_E_MALFORMED);
}
END_TEST

/* ---- accessible-resources --------------------------------------------- */

static apr_status_t parse_sites(apr_array_header_t **sites, const char **err,
                                const char *s)
{
    *err = NULL;
    return atl_json_parse_sites(sites, err, pool, s, strlen(s));
}

START_TEST(sites_example)
{
    apr_array_header_t *a = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_sites(&a, &err,
                    "[{\"id\": \"1324a887-45db-1bf4-1e99-ef0ff456d421\", "
                    "\"name\": \"Site name\", "
                    "\"url\": \"https://your-domain.atlassian.net\", "
                    "\"scopes\": [\"read:jira-user\", \"write:jira-work\"], "
                    "\"avatarUrl\": \"https://site-admin-avatar-cdn.prod.public."
                    "atl-paas.net/avatars/240/flag.png\"}]"),
        APR_SUCCESS);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(SITE(a, 0)->id, "1324a887-45db-1bf4-1e99-ef0ff456d421");
    ck_assert_str_eq(SITE(a, 0)->name, "Site name");
    ck_assert_str_eq(SITE(a, 0)->host, "your-domain.atlassian.net");
}
END_TEST

START_TEST(sites_host)
{
    apr_array_header_t *a = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_sites(&a, &err,
                    "[{\"id\":\"c1\",\"url\":\"https://Acme.Atlassian.NET:8443/"
                    "wiki?x=1\"},"
                    "{\"id\":\"c2\",\"url\":\"https://user:pw@Beta.example.com/\"},"
                    "{\"id\":\"c3\",\"url\":\"not a url\"},"
                    "{\"id\":\"c4\",\"url\":5,\"name\":[\"n\"]},"
                    "{\"id\":\"c5\"}]"),
        APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 5);
    ck_assert_str_eq(SITE(a, 0)->host, "acme.atlassian.net");
    ck_assert_ptr_null(SITE(a, 0)->name);
    ck_assert_str_eq(SITE(a, 1)->host, "beta.example.com");
    ck_assert_ptr_null(SITE(a, 2)->host);
    ck_assert_ptr_null(SITE(a, 3)->host);
    ck_assert_ptr_null(SITE(a, 3)->name);
    ck_assert_str_eq(SITE(a, 4)->id, "c5");
    ck_assert_ptr_null(SITE(a, 4)->host);
}
END_TEST

START_TEST(sites_not_array)
{
    apr_array_header_t *a = NULL;
    const char *err;

    ck_assert_int_eq(parse_sites(&a, &err, "{\"id\":\"c1\",\"url\":\"https://a.b\"}"),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "accessible-resources is not a JSON array");
    ck_assert_ptr_null(a);
    ck_assert_int_eq(parse_sites(&a, &err, "\"[]\""), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_sites(&a, &err, "[] []"), ATL_E_MALFORMED);

    ck_assert_int_eq(parse_sites(&a, &err, "[]"), APR_SUCCESS);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->nelts, 0);
}
END_TEST

START_TEST(sites_without_id_skipped)
{
    apr_array_header_t *a = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_sites(&a, &err,
                    "[{\"name\":\"no id\",\"url\":\"https://x.atlassian.net\"},"
                    "{\"id\":42,\"url\":\"https://y.atlassian.net\"},"
                    "{\"id\":\"\",\"url\":\"https://z.atlassian.net\"},"
                    "\"just a string\", 7, null, [],"
                    "{\"id\":\"ok\",\"url\":\"https://ok.atlassian.net\"},"
                    "{\"id\":\"ok\",\"url\":\"https://ok.atlassian.net/wiki\"}]"),
        APR_SUCCESS);
    /* The second "ok" (same site, other container) is a duplicate. */
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(SITE(a, 0)->id, "ok");
    ck_assert_str_eq(SITE(a, 0)->host, "ok.atlassian.net");
}
END_TEST

START_TEST(sites_capped)
{
    apr_array_header_t *a = NULL;
    const char *err;
    char *body = "[";
    int i;

    for (i = 0; i < 40; i++) {
        body = apr_psprintf(
            pool, "%s%s{\"id\":\"id-%d\",\"url\":\"https://s%d.atlassian.net\"}", body,
            i ? "," : "", i, i);
    }
    body = apr_pstrcat(pool, body, "]", NULL);
    ck_assert_int_eq(parse_sites(&a, &err, body), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, ATL_IDENTITY_MAX_SITES);
    ck_assert_str_eq(SITE(a, 0)->id, "id-0");
    ck_assert_str_eq(SITE(a, 15)->id, "id-15");
    ck_assert_str_eq(SITE(a, 15)->host, "s15.atlassian.net");
}
END_TEST

/* ---- the ?info=json document ------------------------------------------ */

static atl_identity_t *sample_identity(void)
{
    atl_identity_t *id = atl_identity_make(pool);
    atl_site_t *s;

    id->f[ATL_F_ACCOUNT_ID] = "557057:4f9a";
    id->f[ATL_F_EMAIL] = "mia@example.com";
    id->f[ATL_F_NAME] = "Mia \"K\" \\ Krystof";
    id->f[ATL_F_PICTURE] = "https://avatar.example/a/b";
    id->f[ATL_F_EMAIL_VERIFIED] = "false";
    id->f[ATL_F_JOB_TITLE] = "Designer";
    id->f[ATL_F_ACCESS_TOKEN] = "tok-secret";
    id->login_time = 1700000000;
    id->f[ATL_F_LOGIN_TIME] = "1700000000";
    id->sites = apr_array_make(pool, 2, sizeof(atl_site_t));
    s = &APR_ARRAY_PUSH(id->sites, atl_site_t);
    s->id = "c1";
    s->name = "Acme";
    s->host = "acme.atlassian.net";
    s = &APR_ARRAY_PUSH(id->sites, atl_site_t);
    s->id = "c2";
    s->name = "Beta";
    s->host = "beta.atlassian.net";
    atl_identity_join_sites(id, pool);
    return id;
}

START_TEST(identity_json)
{
    atl_identity_t *id = sample_identity();
    const char *json = NULL;
    json_object *o, *v, *e;

    ck_assert_int_eq(atl_json_identity(&json, pool, id, 0), APR_SUCCESS);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_null(strstr(json, "tok-secret"));
    ck_assert_ptr_nonnull(strstr(json, "https://avatar.example/a/b"));
    o = json_tokener_parse(json);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "account_id"), "557057:4f9a");
    ck_assert_str_eq(member(o, "email"), "mia@example.com");
    ck_assert_str_eq(member(o, "name"), "Mia \"K\" \\ Krystof");
    ck_assert_str_eq(member(o, "job_title"), "Designer");
    ck_assert(!json_object_object_get_ex(o, "access_token", NULL));
    ck_assert(!json_object_object_get_ex(o, "nickname", NULL));

    ck_assert(json_object_object_get_ex(o, "email_verified", &v));
    ck_assert(json_object_is_type(v, json_type_boolean));
    ck_assert(!json_object_get_boolean(v));

    ck_assert(json_object_object_get_ex(o, "login_time", &v));
    ck_assert(json_object_is_type(v, json_type_int));
    ck_assert(json_object_get_int64(v) == 1700000000);

    ck_assert(json_object_object_get_ex(o, "sites", &v));
    ck_assert(json_object_is_type(v, json_type_array));
    ck_assert_int_eq(json_object_array_length(v), 2);
    e = json_object_array_get_idx(v, 1);
    ck_assert(json_object_is_type(e, json_type_string));
    ck_assert_str_eq(json_object_get_string(e), "beta.atlassian.net");
    ck_assert(json_object_object_get_ex(o, "site_ids", &v));
    ck_assert_int_eq(json_object_array_length(v), 2);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "c1");
    json_object_put(o);
}
END_TEST

START_TEST(identity_json_with_token)
{
    atl_identity_t *id = sample_identity();
    const char *json = NULL;
    json_object *o;

    ck_assert_int_eq(atl_json_identity(&json, pool, id, 1), APR_SUCCESS);
    o = json_tokener_parse(json);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "access_token"), "tok-secret");
    json_object_put(o);

    /* Asked for, but there is none: still no member. */
    id->f[ATL_F_ACCESS_TOKEN] = NULL;
    ck_assert_int_eq(atl_json_identity(&json, pool, id, 1), APR_SUCCESS);
    ck_assert_ptr_null(strstr(json, "access_token"));
}
END_TEST

START_TEST(identity_json_minimal)
{
    atl_identity_t *id = atl_identity_make(pool);
    const char *json = NULL;
    json_object *o;

    id->f[ATL_F_ACCOUNT_ID] = "a";
    id->f[ATL_F_EMAIL_VERIFIED] = "true";
    ck_assert_int_eq(atl_json_identity(&json, pool, id, 0), APR_SUCCESS);
    o = json_tokener_parse(json);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_object_object_length(o), 2);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "email_verified")));
    /* Sites not fetched: no sites member at all. */
    ck_assert(!json_object_object_get_ex(o, "sites", NULL));
    json_object_put(o);
}
END_TEST

static Suite *profile_suite(void)
{
    Suite *s = suite_create("atl_json_profile");
    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, profile_example);
    tcase_add_test(tc, profile_email_verified);
    tcase_add_test(tc, profile_no_account_id);
    tcase_add_test(tc, profile_account_id_number);
    tcase_add_test(tc, profile_account_id_empty);
    tcase_add_test(tc, profile_not_object);
    tcase_add_test(tc, profile_wrong_types_skipped);
    tcase_add_test(tc, profile_control_chars_stripped);
    tcase_add_test(tc, profile_identifying_fields_whole_or_dropped);
    tcase_add_test(tc, profile_long_fields_cut);
    tcase_add_test(tc, sites_example);
    tcase_add_test(tc, sites_host);
    tcase_add_test(tc, sites_not_array);
    tcase_add_test(tc, sites_without_id_skipped);
    tcase_add_test(tc, sites_capped);
    tcase_add_test(tc, identity_json);
    tcase_add_test(tc, identity_json_with_token);
    tcase_add_test(tc, identity_json_minimal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(profile_suite());
}
