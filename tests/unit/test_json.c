/* Unit tests of atl_json (token, profile, sites, the ?info=json document)
 * and of atl_http/atl_oauth against a tiny HTTP server on 127.0.0.1 that
 * lives in a thread of the test itself. Nothing here leaves the machine. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <json-c/json.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "atl_http.h"
#include "atl_identity.h"
#include "atl_json.h"
#include "atl_oauth.h"
#include "atl_status.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

/* ---- token answers ---------------------------------------------------- */

static apr_status_t parse_token(atl_token_t **tok, const char **err, const char *s)
{
    *err = NULL;
    return atl_json_parse_token(tok, err, pool, s, strlen(s));
}

START_TEST(token_valid)
{
    atl_token_t *tok = NULL;
    const char *err;
    apr_status_t rv =
        parse_token(&tok, &err,
                    "{\"access_token\":\"eyJ.abc-123_x\",\"expires_in\":3600,"
                    "\"scope\":\"read:me offline_access\",\"token_type\":"
                    "\"Bearer\",\"refresh_token\":\"r-456\"}");

    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(tok);
    ck_assert_str_eq(tok->access_token, "eyJ.abc-123_x");
    ck_assert_str_eq(tok->refresh_token, "r-456");
    ck_assert_str_eq(tok->scope, "read:me offline_access");
    ck_assert_str_eq(tok->token_type, "Bearer");
    ck_assert_int_eq(tok->expires_in, 3600);
}
END_TEST

START_TEST(token_minimal)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(parse_token(&tok, &err, " {\"access_token\":\"a\"}\n"), APR_SUCCESS);
    ck_assert_str_eq(tok->access_token, "a");
    ck_assert_ptr_null(tok->refresh_token);
    ck_assert_ptr_null(tok->scope);
    ck_assert_int_eq(tok->expires_in, 0);
}
END_TEST

START_TEST(token_missing_access_token)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"token_type\":\"Bearer\",\"expires_in\":1}"),
        ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(err, "token answer has no access_token");
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":null}"), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"\"}"), ATL_E_MALFORMED);
}
END_TEST

START_TEST(token_access_token_number)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":12345}"),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "access_token is not a string");
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":[\"a\"]}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":true}"), ATL_E_MALFORMED);
}
END_TEST

START_TEST(token_type_case)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":\"BEARER\"}"),
        APR_SUCCESS);
    ck_assert_str_eq(tok->access_token, "a");
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":\"bearer\"}"),
        APR_SUCCESS);
}
END_TEST

START_TEST(token_type_refused)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":\"mac\"}"),
        ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(err, "token_type is not bearer");
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":\"bearerx\"}"),
        ATL_E_MALFORMED);
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":\"beaver\"}"),
        ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\",\"token_type\":1}"),
                     ATL_E_MALFORMED);
}
END_TEST

/* expires_in as a string is refused (atl_json.h: "fails ... when
 * expires_in is not a number"), never guessed at. */
START_TEST(token_expires_in_string_refused)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"expires_in\":\"3600\"}"),
        ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(err, "expires_in is not a number");
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"expires_in\":-5}"),
        ATL_E_MALFORMED);
    /* A huge lifetime is capped at a year, so that now + expires_in cannot
     * overflow; a fraction is dropped. */
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"expires_in\":99999999999999}"),
        APR_SUCCESS);
    ck_assert_int_eq(tok->expires_in, 365 * 24 * 3600);
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"expires_in\":3599.7}"),
        APR_SUCCESS);
    ck_assert_int_eq(tok->expires_in, 3599);
}
END_TEST

START_TEST(token_control_chars)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"ab\\r\\nSet-Cookie: x\"}"),
        ATL_E_MALFORMED);
    ck_assert_str_eq(err, "access_token has control characters");
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"ab\\u0000cd\"}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"ab\\u007fcd\"}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"refresh_token\":\"r\\t\"}"),
        ATL_E_MALFORMED);
    ck_assert_str_eq(err, "refresh_token has control characters");
    ck_assert_int_eq(
        parse_token(&tok, &err, "{\"access_token\":\"a\",\"refresh_token\":7}"),
        ATL_E_MALFORMED);
}
END_TEST

START_TEST(token_huge)
{
    atl_token_t *tok = NULL;
    const char *err;
    char *big = apr_palloc(pool, ATL_IDENTITY_MAX_TOKEN + 2);
    char *body;

    memset(big, 'x', ATL_IDENTITY_MAX_TOKEN + 1);
    big[ATL_IDENTITY_MAX_TOKEN + 1] = '\0';
    body = apr_psprintf(pool, "{\"access_token\":\"%s\"}", big);
    ck_assert_int_eq(parse_token(&tok, &err, body), ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    body = apr_psprintf(pool, "{\"access_token\":\"a\",\"refresh_token\":\"%s\"}", big);
    ck_assert_int_eq(parse_token(&tok, &err, body), ATL_E_MALFORMED);

    /* Exactly the limit is still a token. */
    big[ATL_IDENTITY_MAX_TOKEN] = '\0';
    body = apr_psprintf(pool, "{\"access_token\":\"%s\"}", big);
    ck_assert_int_eq(parse_token(&tok, &err, body), APR_SUCCESS);
    ck_assert_uint_eq(strlen(tok->access_token), ATL_IDENTITY_MAX_TOKEN);
}
END_TEST

START_TEST(token_trailing_garbage)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\"}x"),
                     ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\"}{}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\"} ,"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\""), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\",}"),
                     ATL_E_MALFORMED);
}
END_TEST

START_TEST(token_not_object)
{
    atl_token_t *tok = NULL;
    const char *err;

    ck_assert_int_eq(parse_token(&tok, &err, "[\"access_token\",\"a\"]"),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "token answer is not a JSON object");
    ck_assert_int_eq(parse_token(&tok, &err, "\"access_token\""), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "42"), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "null"), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "<html>502 Bad Gateway</html>"),
                     ATL_E_MALFORMED);
}
END_TEST

START_TEST(token_depth_bomb)
{
    atl_token_t *tok = NULL;
    const char *err;
    int n = 10000, i;
    char *body = apr_palloc(pool, 2 * n + 64);
    char *s = body;

    s += sprintf(s, "{\"access_token\":\"a\",\"x\":");
    for (i = 0; i < n; i++) {
        *s++ = '[';
    }
    for (i = 0; i < n; i++) {
        *s++ = ']';
    }
    strcpy(s, "}");
    ck_assert_int_eq(parse_token(&tok, &err, body), ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
    /* A modest nesting is fine. */
    ck_assert_int_eq(parse_token(&tok, &err, "{\"access_token\":\"a\",\"x\":[[[{}]]]}"),
                     APR_SUCCESS);
}
END_TEST

START_TEST(token_empty)
{
    atl_token_t *tok = NULL;
    const char *err = NULL;

    ck_assert_int_eq(atl_json_parse_token(&tok, &err, pool, "", 0), ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(atl_json_parse_token(&tok, &err, pool, NULL, 0), ATL_E_MALFORMED);
    ck_assert_int_eq(parse_token(&tok, &err, "   "), ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(token_embedded_nul)
{
    static const char body[] = "{\"access_token\":\"a\"}\0{\"x\":1}";
    static const char body2[] = "{\"access_token\":\"a\0b\"}";
    atl_token_t *tok = NULL;
    const char *err = NULL;

    ck_assert_int_eq(atl_json_parse_token(&tok, &err, pool, body, sizeof(body) - 1),
                     ATL_E_MALFORMED);
    ck_assert_str_eq(err, "answer has a NUL byte");
    ck_assert_int_eq(atl_json_parse_token(&tok, &err, pool, body2, sizeof(body2) - 1),
                     ATL_E_MALFORMED);
    ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(error_answer)
{
    const char *e = "x", *d = "x";
    const char *s = "{\"error\":\"invalid_grant\",\"error_description\":\"Unknown or "
                    "invalid\\r\\nrefresh token.\"}";

    atl_json_parse_error(&e, &d, pool, s, strlen(s));
    ck_assert_str_eq(e, "invalid_grant");
    ck_assert_str_eq(d, "Unknown or invalidrefresh token.");

    atl_json_parse_error(&e, &d, pool, "<html>", 6);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(d);

    s = "{\"error\":5,\"error_description\":\"only this\"}";
    atl_json_parse_error(&e, &d, pool, s, strlen(s));
    ck_assert_ptr_null(e);
    ck_assert_str_eq(d, "only this");
}
END_TEST

START_TEST(error_answer_cut)
{
    const char *e, *d;
    char *big = apr_palloc(pool, 5001);
    char *s;

    memset(big, 'e', 5000);
    big[5000] = '\0';
    s = apr_psprintf(pool, "{\"error\":\"%s\"}", big);
    atl_json_parse_error(&e, &d, pool, s, strlen(s));
    ck_assert_uint_eq(strlen(e), 4096);
    ck_assert_ptr_null(d);
}
END_TEST

/* ---- token request ---------------------------------------------------- */

static const char *member(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

START_TEST(token_request_body)
{
    const char *body = NULL;
    json_object *o;

    ck_assert_int_eq(atl_json_token_request(&body, pool, "authorization_code", "cid",
                                            "se\"cr\\et\n", "the-code",
                                            "https://app.example.com/cb"),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(body);
    /* The quote in the secret is escaped, never closes the string. */
    ck_assert_ptr_nonnull(strstr(body, "se\\\"cr\\\\et\\n"));
    /* No slash escaping: the URL stays readable. */
    ck_assert_ptr_nonnull(strstr(body, "https://app.example.com/cb"));
    o = json_tokener_parse(body);
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_is_type(o, json_type_object));
    ck_assert_str_eq(member(o, "grant_type"), "authorization_code");
    ck_assert_str_eq(member(o, "client_id"), "cid");
    ck_assert_str_eq(member(o, "client_secret"), "se\"cr\\et\n");
    ck_assert_str_eq(member(o, "code"), "the-code");
    ck_assert_str_eq(member(o, "redirect_uri"), "https://app.example.com/cb");
    ck_assert_ptr_null(member(o, "refresh_token"));
    ck_assert_int_eq(json_object_object_length(o), 5);
    json_object_put(o);
}
END_TEST

START_TEST(token_request_refresh)
{
    const char *body = NULL;
    json_object *o;

    ck_assert_int_eq(
        atl_json_token_request(&body, pool, "refresh_token", "cid", "sec", "rt-1", NULL),
        APR_SUCCESS);
    o = json_tokener_parse(body);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "grant_type"), "refresh_token");
    ck_assert_str_eq(member(o, "refresh_token"), "rt-1");
    ck_assert_ptr_null(member(o, "code"));
    ck_assert_ptr_null(member(o, "redirect_uri"));
    ck_assert_int_eq(json_object_object_length(o), 4);
    json_object_put(o);

    ck_assert_int_eq(
        atl_json_token_request(&body, pool, "password", "cid", "sec", "x", "y"),
        ATL_E_BADINPUT);
    ck_assert_int_eq(atl_json_token_request(&body, pool, "authorization_code", "cid",
                                            "sec", "x", NULL),
                     ATL_E_BADINPUT);
}
END_TEST

/* ---- /me profile ------------------------------------------------------ */

/* The example answer of Atlassian's /me documentation. */
static const char *me_example =
    "{\"account_type\": \"atlassian\", \"account_id\": "
    "\"112233aa-bb11-cc22-33dd-445566abcabc\",\n"
    " \"email\": \"mia@example.com\", \"name\": \"Mia Krystof\",\n"
    " \"picture\": "
    "\"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/"
    "112233aa/1234abcd\",\n"
    " \"account_status\": \"active\", \"nickname\": \"mkrystof\", \"zoneinfo\": "
    "\"Australia/Sydney\",\n"
    " \"locale\": \"en-US\",\n"
    " \"extended_profile\": {\"job_title\": \"Designer\", \"organization\": "
    "\"mia@example.com\",\n"
    "                      \"department\": \"Design team\", \"location\": \"Sydney\"}}\n";

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

#define SITE(a, i) (&APR_ARRAY_IDX((a), (i), atl_site_t))

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

/* ---- atl_http and atl_oauth against a loopback server ------------------ */

/* What the fake server answers, and what it saw. One connection each. */
typedef struct {
    int listen_fd;
    int port;
    const char *answer;  /* the full HTTP answer; NULL: stay silent */
    int silent_ms;       /* how long to stay silent */
    int no_read;         /* answer at once, without reading a request */
    char request[16384]; /* what the client sent */
    size_t request_len;
    pthread_t thread;
} fake_server_t;

static void *fake_serve(void *arg)
{
    fake_server_t *fs = arg;
    int fd = accept(fs->listen_fd, NULL, NULL);
    size_t want = 0;

    if (fd < 0) {
        return NULL;
    }
    /* Read the headers, then as much body as Content-Length says. */
    while (!fs->no_read) {
        ssize_t n;
        char *end;

        if (fs->request_len >= sizeof(fs->request) - 1) {
            break;
        }
        n = recv(fd, fs->request + fs->request_len,
                 sizeof(fs->request) - 1 - fs->request_len, 0);
        if (n <= 0) {
            break;
        }
        fs->request_len += (size_t)n;
        fs->request[fs->request_len] = '\0';
        end = strstr(fs->request, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(fs->request, "\r\nContent-Length:");

            if (want == 0) {
                want = (size_t)(end + 4 - fs->request)
                       + (cl ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (fs->request_len >= want) {
                break;
            }
        }
    }
    if (fs->answer) {
        size_t off = 0, len = strlen(fs->answer);

        while (off < len) {
            ssize_t n = send(fd, fs->answer + off, len - off, MSG_NOSIGNAL);

            if (n <= 0) {
                break;
            }
            off += (size_t)n;
        }
    }
    else {
        usleep((useconds_t)fs->silent_ms * 1000);
    }
    close(fd);
    return NULL;
}

/* Start a server for one connection; its options are set before the
 * thread starts, so the thread never races with the test for them. */
static fake_server_t *fake_start_ex(const char *answer, int silent_ms, int no_read)
{
    fake_server_t *fs = apr_pcalloc(pool, sizeof(*fs));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int one = 1;

    fs->answer = answer;
    fs->silent_ms = silent_ms;
    fs->no_read = no_read;
    fs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fs->listen_fd, 0);
    setsockopt(fs->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    ck_assert_int_eq(bind(fs->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fs->listen_fd, 4), 0);
    ck_assert_int_eq(getsockname(fs->listen_fd, (struct sockaddr *)&sa, &salen), 0);
    fs->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&fs->thread, NULL, fake_serve, fs), 0);
    return fs;
}

static fake_server_t *fake_start(const char *answer)
{
    return fake_start_ex(answer, 3000, 0);
}

static void fake_stop(fake_server_t *fs)
{
    pthread_join(fs->thread, NULL);
    close(fs->listen_fd);
}

static const char *http_answer(int status, const char *body)
{
    return apr_psprintf(pool,
                        "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                        status, (int)strlen(body), body);
}

static atl_oauth_conf_t *oauth_conf(const fake_server_t *fs)
{
    atl_oauth_conf_t *c = apr_pcalloc(pool, sizeof(*c));
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", fs ? fs->port : 1);

    c->token_url = apr_pstrcat(pool, base, "/oauth/token", NULL);
    c->profile_url = apr_pstrcat(pool, base, "/me", NULL);
    c->resources_url = apr_pstrcat(pool, base, "/oauth/token/accessible-resources", NULL);
    c->client_id = "client-1";
    c->client_secret = "s3cr3t\"value";
    c->http.timeout_ms = 5000;
    c->http.max_body = 65536;
    return c;
}

/* The body of the request the fake server received. */
static const char *request_body(const fake_server_t *fs)
{
    const char *end = strstr(fs->request, "\r\n\r\n");

    return end ? end + 4 : "";
}

START_TEST(http_get_answer)
{
    fake_server_t *fs = fake_start("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; "
                                   "charset=utf-8\r\nContent-Length: 5\r\n"
                                   "Connection: close\r\n\r\nnope!");
    atl_http_opts_t opts = {NULL, 5000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    apr_status_t rv;

    rv = atl_http_request(&resp, &err, pool, &opts, "GET",
                          apr_psprintf(pool, "http://127.0.0.1:%d/x", fs->port),
                          "the-bearer", NULL, NULL);
    fake_stop(fs);
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(resp);
    ck_assert_int_eq(resp->status, 404);
    ck_assert_uint_eq(resp->body_len, 5);
    ck_assert_str_eq(resp->body, "nope!");
    ck_assert_str_eq(resp->content_type, "text/plain; charset=utf-8");
    ck_assert(strncmp(fs->request, "GET /x HTTP/1.1\r\n", 17) == 0);
    ck_assert_ptr_nonnull(
        strstr(fs->request, "\r\nAuthorization: Bearer the-bearer\r\n"));
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nAccept: application/json\r\n"));
    ck_assert_ptr_nonnull(
        strstr(fs->request, "\r\nUser-Agent: mod_auth_atlassian/0.1\r\n"));
}
END_TEST

START_TEST(http_too_big)
{
    char *big = apr_palloc(pool, 5001);
    atl_http_opts_t opts = {NULL, 5000, 100};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    fake_server_t *fs;

    memset(big, 'b', 5000);
    big[5000] = '\0';
    /* Announced by Content-Length. */
    fs = fake_start(http_answer(200, big));
    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        ATL_E_TOOBIG);
    fake_stop(fs);
    ck_assert_ptr_null(resp);
    ck_assert_str_eq(err, "answer too large (over 100 bytes)");

    /* Not announced: the write callback stops it. */
    fs = fake_start(
        apr_pstrcat(pool, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", big, NULL));
    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        ATL_E_TOOBIG);
    fake_stop(fs);
}
END_TEST

START_TEST(http_timeout)
{
    fake_server_t *fs = fake_start_ex(NULL, 1500, 0);
    atl_http_opts_t opts = {NULL, 300, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port),
                         "tok-timeout", NULL, NULL),
        ATL_E_TIMEOUT);
    ck_assert_ptr_null(resp);
    ck_assert_ptr_nonnull(err);
    ck_assert(strncmp(err, "timeout after 300 ms", 20) == 0);
    ck_assert_ptr_null(strstr(err, "tok-timeout"));
    fake_stop(fs);
}
END_TEST

START_TEST(http_refused)
{
    fake_server_t *fs = fake_start(http_answer(200, "{}"));
    atl_http_opts_t opts = {NULL, 2000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    int port = fs->port;

    /* Let the fake server finish, then nobody listens on its port. */
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      apr_psprintf(pool, "http://127.0.0.1:%d/", port),
                                      NULL, NULL, NULL),
                     APR_SUCCESS);
    fake_stop(fs);
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      apr_psprintf(pool, "http://127.0.0.1:%d/", port),
                                      "tok-refused", NULL, NULL),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_null(resp);
    ck_assert(strncmp(err, "connect: ", 9) == 0);
    ck_assert_ptr_null(strstr(err, "tok-refused"));
}
END_TEST

START_TEST(http_tls_failure)
{
    /* https to a server that speaks plain HTTP: the handshake fails. */
    fake_server_t *fs = fake_start_ex(http_answer(200, "{}"), 0, 1);
    atl_http_opts_t opts = {NULL, 3000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "https://127.0.0.1:%d/", fs->port), "tok-tls",
                         NULL, NULL),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert(strncmp(err, "TLS: ", 5) == 0);
    ck_assert_ptr_null(strstr(err, "tok-tls"));
}
END_TEST

START_TEST(http_protocols)
{
    atl_http_opts_t opts = {NULL, 2000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "file:///etc/passwd", NULL, NULL, NULL),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_null(resp);
    ck_assert(strncmp(err, "URL: ", 5) == 0);
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "ftp://127.0.0.1:1/", NULL, NULL, NULL),
                     ATL_E_UPSTREAM);
    /* A header value cannot smuggle a header in. */
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "http://127.0.0.1:1/", "a\r\nX-Evil: 1", NULL,
                                      NULL),
                     ATL_E_BADINPUT);
    ck_assert_ptr_null(strstr(err, "Evil"));
}
END_TEST

START_TEST(http_no_redirect)
{
    fake_server_t *fs =
        fake_start("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\n"
                   "Content-Length: 0\r\nConnection: close\r\n\r\n");
    atl_http_opts_t opts = {NULL, 3000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        APR_SUCCESS);
    fake_stop(fs);
    ck_assert_int_eq(resp->status, 302);
    ck_assert_uint_eq(resp->body_len, 0);
    ck_assert_str_eq(resp->body, "");
    ck_assert_ptr_null(resp->content_type);
}
END_TEST

START_TEST(oauth_exchange_ok)
{
    fake_server_t *fs = fake_start(http_answer(
        200, "{\"access_token\":\"at-1\",\"expires_in\":3600,\"token_type\":\"Bearer\","
             "\"scope\":\"read:me\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;
    json_object *o;

    ck_assert_int_eq(atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1",
                                             "https://app.example.com/cb"),
                     APR_SUCCESS);
    fake_stop(fs);
    ck_assert_ptr_null(reason);
    ck_assert_str_eq(tok->access_token, "at-1");
    ck_assert_int_eq(tok->expires_in, 3600);
    ck_assert(strncmp(fs->request, "POST /oauth/token HTTP/1.1\r\n", 28) == 0);
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nContent-Type: application/json\r\n"));
    ck_assert_ptr_null(strstr(fs->request, "Authorization:"));
    o = json_tokener_parse(request_body(fs));
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "grant_type"), "authorization_code");
    ck_assert_str_eq(member(o, "client_id"), "client-1");
    ck_assert_str_eq(member(o, "client_secret"), "s3cr3t\"value");
    ck_assert_str_eq(member(o, "code"), "code-1");
    ck_assert_str_eq(member(o, "redirect_uri"), "https://app.example.com/cb");
    json_object_put(o);
}
END_TEST

START_TEST(oauth_exchange_refused)
{
    fake_server_t *fs = fake_start(http_answer(
        401, "{\"error\":\"access_denied\",\"error_description\":\"Unauthorized\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1",
                                             "https://app.example.com/cb"),
                     ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 401 (error=access_denied: Unauthorized)",
                                  fs->port));
    ck_assert_ptr_null(strstr(reason, "code-1"));
    ck_assert_ptr_null(strstr(reason, "s3cr3t"));
}
END_TEST

START_TEST(oauth_exchange_echo_hidden)
{
    /* Whatever Atlassian's description quotes, the reason shows no code
     * and no secret. */
    fake_server_t *fs =
        fake_start(http_answer(400, "{\"error\":\"invalid_grant\",\"error_description\":"
                                    "\"code code-echo-1 for s3cr3t\\\"value is bad\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-echo-1", "https://a/cb"),
        ATL_E_GRANT);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 400 (error=invalid_grant: code [hidden] "
                                  "for [hidden] is bad)",
                                  fs->port));
}
END_TEST

START_TEST(oauth_secret_hidden_before_the_cut)
{
    /* The secret straddles the 128-byte cut of Atlassian's words: it is
     * hidden first, so no piece of it is left. */
    char pad[121];
    fake_server_t *fs;
    atl_oauth_conf_t *c;
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    memset(pad, 'x', 120);
    pad[120] = '\0';
    fs = fake_start(http_answer(
        401, apr_psprintf(pool,
                          "{\"error\":\"access_denied\",\"error_description\":"
                          "\"%ss3cr3t\\\"value and more\"}",
                          pad)));
    c = oauth_conf(fs);
    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-echo-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_null(strstr(reason, "s3c"));
    ck_assert_ptr_nonnull(strstr(reason, "[hi"));
}
END_TEST

START_TEST(oauth_exchange_not_json)
{
    fake_server_t *fs = fake_start(http_answer(502, "<html>bad gateway</html>"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 502",
                                  fs->port));
}
END_TEST

START_TEST(oauth_exchange_malformed)
{
    fake_server_t *fs = fake_start(http_answer(200, "{\"token_type\":\"Bearer\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token: "
                                  "token answer has no access_token",
                                  fs->port));
}
END_TEST

START_TEST(oauth_exchange_unreachable)
{
    atl_oauth_conf_t *c = oauth_conf(NULL);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    /* Port 1 on loopback: nothing listens there. */
    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    ck_assert(
        strncmp(reason, "token endpoint http://127.0.0.1:1/oauth/token: connect: ", 56)
        == 0);
    ck_assert_ptr_null(strstr(reason, "code-1"));
    ck_assert_ptr_null(strstr(reason, "s3cr3t"));
}
END_TEST

START_TEST(oauth_refresh_body)
{
    fake_server_t *fs = fake_start(http_answer(
        200,
        "{\"access_token\":\"at-2\",\"refresh_token\":\"rt-2\",\"expires_in\":3600}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;
    json_object *o;

    ck_assert_int_eq(atl_oauth_refresh(&tok, &reason, pool, c, "rt-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert_str_eq(tok->access_token, "at-2");
    ck_assert_str_eq(tok->refresh_token, "rt-2");
    o = json_tokener_parse(request_body(fs));
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "grant_type"), "refresh_token");
    ck_assert_str_eq(member(o, "refresh_token"), "rt-1");
    ck_assert_ptr_null(member(o, "code"));
    json_object_put(o);
}
END_TEST

START_TEST(oauth_profile_ok)
{
    fake_server_t *fs = fake_start(http_answer(200, me_example));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert(strncmp(fs->request, "GET /me HTTP/1.1\r\n", 18) == 0);
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nAuthorization: Bearer at-1\r\n"));
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_ID], "112233aa-bb11-cc22-33dd-445566abcabc");
    ck_assert_str_eq(id->f[ATL_F_EMAIL], "mia@example.com");
}
END_TEST

START_TEST(oauth_profile_failures)
{
    fake_server_t *fs = fake_start(http_answer(200, "{\"email\":\"mia@example.com\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason, apr_psprintf(pool,
                                          "profile endpoint http://127.0.0.1:%d/me: "
                                          "profile has no account_id",
                                          fs->port));

    fs = fake_start(http_answer(401, "{\"code\":401,\"message\":\"Unauthorized\"}"));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_str_eq(
        reason, apr_psprintf(pool, "profile endpoint http://127.0.0.1:%d/me answered 401",
                             fs->port));
    ck_assert_ptr_null(strstr(reason, "at-1"));
}
END_TEST

START_TEST(oauth_sites_ok)
{
    fake_server_t *fs = fake_start(http_answer(
        200,
        "[{\"id\":\"c1\",\"name\":\"Acme\",\"url\":\"https://ACME.atlassian.net\"}]"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    apr_array_header_t *sites = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_sites(&sites, &reason, pool, c, "at-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert(
        strncmp(fs->request, "GET /oauth/token/accessible-resources HTTP/1.1\r\n", 48)
        == 0);
    ck_assert_int_eq(sites->nelts, 1);
    ck_assert_str_eq(SITE(sites, 0)->host, "acme.atlassian.net");

    fs = fake_start(http_answer(200, "{\"not\":\"an array\"}"));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_sites(&sites, &reason, pool, c, "at-1"), ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "resources endpoint http://127.0.0.1:%d/oauth/token/"
                                  "accessible-resources: accessible-resources is not "
                                  "a JSON array",
                                  fs->port));
}
END_TEST

START_TEST(oauth_too_big)
{
    char *big = apr_palloc(pool, 70001);
    fake_server_t *fs;
    atl_oauth_conf_t *c;
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    memset(big, ' ', 70000);
    big[70000] = '\0';
    fs = fake_start(http_answer(200, big));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_TOOBIG);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "profile endpoint http://127.0.0.1:%d/me: answer "
                                  "too large (over 65536 bytes)",
                                  fs->port));
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("atl_json");
    TCase *tc = tcase_create("json");
    TCase *net = tcase_create("http");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_valid);
    tcase_add_test(tc, token_minimal);
    tcase_add_test(tc, token_missing_access_token);
    tcase_add_test(tc, token_access_token_number);
    tcase_add_test(tc, token_type_case);
    tcase_add_test(tc, token_type_refused);
    tcase_add_test(tc, token_expires_in_string_refused);
    tcase_add_test(tc, token_control_chars);
    tcase_add_test(tc, token_huge);
    tcase_add_test(tc, token_trailing_garbage);
    tcase_add_test(tc, token_not_object);
    tcase_add_test(tc, token_depth_bomb);
    tcase_add_test(tc, token_empty);
    tcase_add_test(tc, token_embedded_nul);
    tcase_add_test(tc, error_answer);
    tcase_add_test(tc, error_answer_cut);
    tcase_add_test(tc, token_request_body);
    tcase_add_test(tc, token_request_refresh);
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

    /* Loopback only: the fake server binds 127.0.0.1. */
    tcase_add_checked_fixture(net, setup, teardown);
    tcase_set_timeout(net, 20);
    tcase_add_test(net, http_get_answer);
    tcase_add_test(net, http_too_big);
    tcase_add_test(net, http_timeout);
    tcase_add_test(net, http_refused);
    tcase_add_test(net, http_tls_failure);
    tcase_add_test(net, http_protocols);
    tcase_add_test(net, http_no_redirect);
    tcase_add_test(net, oauth_exchange_ok);
    tcase_add_test(net, oauth_exchange_refused);
    tcase_add_test(net, oauth_exchange_echo_hidden);
    tcase_add_test(net, oauth_secret_hidden_before_the_cut);
    tcase_add_test(net, oauth_exchange_not_json);
    tcase_add_test(net, oauth_exchange_malformed);
    tcase_add_test(net, oauth_exchange_unreachable);
    tcase_add_test(net, oauth_refresh_body);
    tcase_add_test(net, oauth_profile_ok);
    tcase_add_test(net, oauth_profile_failures);
    tcase_add_test(net, oauth_sites_ok);
    tcase_add_test(net, oauth_too_big);
    suite_add_tcase(s, net);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    /* Proxies from the environment must not catch loopback calls. */
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    if (atl_http_global_init() != APR_SUCCESS) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }
    sr = srunner_create(json_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
