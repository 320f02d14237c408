/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_json: the token answer, error answers and the token
 * request. test_json_profile.c has the profile, the sites and the
 * ?info=json document; test_oauth.c the HTTP client and the OAuth calls. */

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

static Suite *json_suite(void)
{
    Suite *s = suite_create("atl_json");
    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
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
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return atl_check_run(json_suite());
}
