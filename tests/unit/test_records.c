/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the module's own records (atl_json_records.c) and of the
 * four records written with it: pending logins (atl_state), the refresh
 * outcome (atl_refresh), the group check (atl_gcheck) and the kept POST
 * (atl_keptpost). For each: round trip, every required member missing,
 * every member of a wrong type, values over their bounds, garbage. */

#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_gcheck.h"
#include "atl_identity.h"
#include "atl_json_records.h"
#include "atl_keptpost.h"
#include "atl_refresh.h"
#include "atl_state.h"

#define STATE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_6"

/* ---- building texts: an object of members, one left out or replaced ---- */

typedef struct {
    const char *name;
    const char *value; /* JSON text */
    int kind;          /* which wrong types to try: 0 string, 1 integer, 2 array */
} member_t;

static const char *object(const member_t *m, int n, int skip, int repl, const char *with)
{
    apr_array_header_t *parts = apr_array_make(pool, n, sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        if (i != skip) {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_psprintf(pool, "\"%s\":%s", m[i].name, i == repl ? with : m[i].value);
        }
    }
    return apr_pstrcat(pool, "{", apr_array_pstrcat(pool, parts, ','), "}", NULL);
}

static const char *const not_strings[] = {"1", "true", "null", "[]", "{}", "1.5", NULL};
static const char *const not_arrays[] = {"1", "\"a\"", "true", "null", "{}", "1.5", NULL};
static const char *const not_ints[] = {"\"1\"", "1.5", "-1", "1e3", "true",
                                       "null",  "[]",  "{}", NULL};

/* The four decoders as "accepted or not"; pending logins never fail, an
 * unreadable list is an empty one. */
typedef int (*accepts_fn)(const char *s);

static int pending_accepts(const char *s)
{
    return atl_state_decode(pool, s, strlen(s))->nelts > 0;
}

static int refresh_accepts(const char *s)
{
    atl_refresh_t *rf;
    int ok = atl_refresh_decode(&rf, pool, s, strlen(s)) == APR_SUCCESS;

    ck_assert(ok == (rf != NULL));
    return ok;
}

static int gcheck_accepts(const char *s)
{
    atl_gcheck_t *g;
    int ok = atl_gcheck_decode(&g, pool, s, strlen(s)) == APR_SUCCESS;

    ck_assert(ok == (g != NULL));
    return ok;
}

static int keptpost_accepts(const char *s)
{
    const char *state, *body;
    int ok = atl_keptpost_decode(&state, &body, pool, s, strlen(s)) == APR_SUCCESS;

    ck_assert(ok == (state != NULL && body != NULL));
    return ok;
}

/* The members m, wrapped by fmt ("%s" for a top-level object), are
 * accepted; without any required one, or with any of a wrong type, not. */
static void check_members(accepts_fn accepts, const char *fmt, const member_t *m, int n,
                          int nrequired)
{
    int i, j;

    ck_assert_msg(accepts(apr_psprintf(pool, fmt, object(m, n, -1, -1, NULL))),
                  "the good record is refused: %s",
                  apr_psprintf(pool, fmt, object(m, n, -1, -1, NULL)));
    for (i = 0; i < n; i++) {
        const char *const *wrong = m[i].kind == 2   ? not_arrays
                                   : m[i].kind == 1 ? not_ints
                                                    : not_strings;
        const char *t = apr_psprintf(pool, fmt, object(m, n, i, -1, NULL));

        /* The first nrequired members are the required ones. */
        ck_assert_msg(accepts(t) == (i >= nrequired), "without %s: %s", m[i].name, t);
        for (j = 0; wrong[j]; j++) {
            t = apr_psprintf(pool, fmt, object(m, n, -1, i, wrong[j]));
            ck_assert_msg(!accepts(t), "accepted %s", t);
        }
    }
}

static const char *const garbage[] = {"",
                                      " ",
                                      "{",
                                      "}",
                                      "[]",
                                      "null",
                                      "1",
                                      "\"s\"",
                                      "{}{}",
                                      "{} x",
                                      "{\"a\":1,}",
                                      "{'a':1}",
                                      "\xff\xfe",
                                      "{\"s\":\"\xc0\xaf\"}",
                                      "R1\nat\n",
                                      STATE "\nx=1",
                                      STATE " 10 0 %2f\n",
                                      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                      "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
                                      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                                      NULL};

static void check_garbage(accepts_fn accepts)
{
    int i;

    for (i = 0; garbage[i]; i++) {
        ck_assert_msg(!accepts(garbage[i]), "accepted garbage #%d", i);
    }
}

static const char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(pool, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- the API itself ---- */

enum { T_NAME, T_COUNT, T_TAGS, T_SUBS, T_NOTE, T_N };
static const atl_json_member_t sub_members[1] = {{"v", ATL_JSON_INT, 1, 9}};
static const atl_json_member_t test_members[T_N] = {
    [T_NAME] = {"n", ATL_JSON_STR, 1, 8},
    [T_COUNT] = {"c", ATL_JSON_INT, 1, 100},
    [T_TAGS] = {"t", ATL_JSON_STRS, 0, 2, 3},
    [T_SUBS] = {"s", ATL_JSON_RECS, 0, 2, 0, sub_members, 1},
    [T_NOTE] = {"o", ATL_JSON_STR, 0, 16},
};

START_TEST(api_round_trip)
{
    atl_json_value_t v[T_N] = {{0}}, back[T_N];
    atl_json_value_t *sub = apr_pcalloc(pool, sizeof(*sub));
    const char *s;
    apr_size_t len;

    v[T_NAME] = (atl_json_value_t){1, "a\"\\/\n\xc3\xa9", 7};
    v[T_COUNT] = (atl_json_value_t){1, NULL, 0, 100};
    v[T_TAGS].present = 1;
    v[T_TAGS].list = apr_array_make(pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "x";
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "";
    v[T_SUBS].present = 1;
    v[T_SUBS].list = apr_array_make(pool, 1, sizeof(atl_json_value_t *));
    *sub = (atl_json_value_t){1, NULL, 0, 9};
    APR_ARRAY_PUSH(v[T_SUBS].list, atl_json_value_t *) = sub;
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(s));
    ck_assert_str_eq(s, "{\"n\":\"a\\\"\\\\/\\n\xc3\xa9\",\"c\":100,\"t\":[\"x\",\"\"],"
                        "\"s\":[{\"v\":9}]}");
    ck_assert_int_eq(atl_json_record_read(back, pool, test_members, T_N, s, len, len),
                     APR_SUCCESS);
    ck_assert_uint_eq(back[T_NAME].len, 7);
    ck_assert(memcmp(back[T_NAME].s, "a\"\\/\n\xc3\xa9", 7) == 0);
    ck_assert_int_eq(back[T_COUNT].i, 100);
    ck_assert_int_eq(back[T_TAGS].list->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back[T_TAGS].list, 1, const char *), "");
    ck_assert_int_eq(APR_ARRAY_IDX(back[T_SUBS].list, 0, atl_json_value_t *)[0].i, 9);
    ck_assert_int_eq(back[T_NOTE].present, 0);
    /* One byte less than the text is too big. */
    ck_assert_int_eq(atl_json_record_read(back, pool, test_members, T_N, s, len, len - 1),
                     ATL_E_TOOBIG);
}
END_TEST

START_TEST(api_write_refuses_what_cannot_be_read)
{
    atl_json_value_t v[T_N] = {{0}};
    const char *s = "x";
    apr_size_t len = 1;

    v[T_COUNT] = (atl_json_value_t){1, NULL, 0, 1};
    /* A required member absent. */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(len, 0);
    v[T_NAME] = (atl_json_value_t){1, "123456789", 9}; /* too long */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    v[T_NAME] = (atl_json_value_t){1, "\xc3", 1}; /* not UTF-8 */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    v[T_NAME] = (atl_json_value_t){1, "a\0b", 3}; /* a NUL */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    v[T_NAME] = (atl_json_value_t){1, "ok", 2};
    v[T_COUNT].i = 101;
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    v[T_COUNT].i = -1;
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    v[T_COUNT].i = 0;
    v[T_TAGS].present = 1;
    v[T_TAGS].list = apr_array_make(pool, 3, sizeof(const char *));
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "abcd"; /* item too long */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    apr_array_clear(v[T_TAGS].list);
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "a";
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "b";
    APR_ARRAY_PUSH(v[T_TAGS].list, const char *) = "c"; /* too many */
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     ATL_E_BADINPUT);
    apr_array_pop(v[T_TAGS].list);
    ck_assert_int_eq(atl_json_record_write(&s, &len, pool, test_members, T_N, v),
                     APR_SUCCESS);
    ck_assert_str_eq(s, "{\"n\":\"ok\",\"c\":0,\"t\":[\"a\",\"b\"]}");
}
END_TEST

START_TEST(api_read_bounds_and_types)
{
    static const struct {
        const char *text;
        apr_status_t rv;
    } cases[] = {
        {"{\"n\":\"ok\",\"c\":1}", APR_SUCCESS},
        {"{\"n\":\"ok\",\"c\":1,\"zz\":[1,{}],\"o\":\"kept\"}",
         APR_SUCCESS}, /* unknown */
        {"{\"n\":\"12345678\",\"c\":1}", APR_SUCCESS},
        {"{\"n\":\"123456789\",\"c\":1}", ATL_E_MALFORMED},
        {"{\"n\":\"a\\u0000b\",\"c\":1}", ATL_E_MALFORMED},
        {"{\"n\":\"\\u00e9\",\"c\":1}", APR_SUCCESS},
        {"{\"n\":\"ok\",\"c\":101}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":99999999999999999999}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"t\":[\"a\",\"b\",\"c\"]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"t\":[\"abcd\"]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"t\":[1]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"s\":[{\"v\":10}]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"s\":[{}]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"s\":[[]]}", ATL_E_MALFORMED},
        {"{\"n\":\"ok\",\"c\":1,\"s\":{\"v\":1}}", ATL_E_MALFORMED},
    };
    atl_json_value_t v[T_N];
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(atl_json_record_read(v, pool, test_members, T_N, cases[i].text,
                                           strlen(cases[i].text), 1000)
                          == cases[i].rv,
                      "case %u: %s", (unsigned)i, cases[i].text);
    }
    ck_assert_int_eq(atl_json_record_read(v, pool, test_members, T_N, NULL, 0, 10),
                     ATL_E_MALFORMED);
    /* The length given is honoured, not the NUL. */
    ck_assert_int_eq(atl_json_record_read(v, pool, test_members, T_N,
                                          "{\"n\":\"ok\",\"c\":1}x", 16, 99),
                     APR_SUCCESS);
    ck_assert_int_eq(atl_json_record_read(v, pool, test_members, T_N,
                                          "{\"n\":\"ok\",\"c\":1}\0", 17, 99),
                     ATL_E_MALFORMED);
}
END_TEST

/* ---- pending logins ---- */

START_TEST(pending_members)
{
    static const member_t entry[] = {
        {"s", "\"" STATE "\"", 0},
        {"t", "1700000000", 1},
        {"f", "7", 1},
        {"u", "\"/a?b=c\"", 0},
    };
    static const member_t top[] = {
        {"p", "[{\"s\":\"" STATE "\",\"t\":1,\"f\":0,\"u\":\"/\"}]", 2}};
    const char *s;
    apr_size_t len;
    apr_array_header_t *list = apr_array_make(pool, 1, sizeof(atl_pending_t));
    atl_pending_t *e = apr_array_push(list);

    check_members(pending_accepts, "{\"p\":[%s]}", entry, 4, 4);
    check_members(pending_accepts, "%s", top, 1, 1);
    check_garbage(pending_accepts);
    ck_assert(
        !pending_accepts("{\"p\":[{\"s\":\"" STATE "\",\"t\":1,\"f\":8,\"u\":\"/\"}]}"));
    /* No time past the year 9999, none that json-c would clamp. */
    ck_assert(pending_accepts("{\"p\":[{\"s\":\"" STATE
                              "\",\"t\":253402300799,\"f\":0,\"u\":\"/\"}]}"));
    ck_assert(!pending_accepts("{\"p\":[{\"s\":\"" STATE
                               "\",\"t\":253402300800,\"f\":0,\"u\":\"/\"}]}"));
    ck_assert(!pending_accepts("{\"p\":[{\"s\":\"" STATE
                               "\",\"t\":12345678901234567890,\"f\":0,\"u\":\"/\"}]}"));
    ck_assert(!pending_accepts(apr_psprintf(
        pool, "{\"p\":[{\"s\":\"" STATE "\",\"t\":1,\"f\":0,\"u\":\"/%s\"}]}",
        repeat('a', ATL_STATE_MAX_URL))));
    ck_assert(pending_accepts(apr_psprintf(
        pool, "{\"p\":[{\"s\":\"" STATE "\",\"t\":1,\"f\":0,\"u\":\"/%s\"}]}",
        repeat('a', ATL_STATE_MAX_URL - 1))));

    /* What it looks like: one entry. */
    e->state = STATE;
    e->return_url = "/x?y=\"z\"";
    e->created = 1700000000;
    e->flags = ATL_PENDING_SITES | ATL_PENDING_REFRESH;
    ck_assert_int_eq(atl_state_encode(&s, &len, pool, list), APR_SUCCESS);
    ck_assert_str_eq(s, "{\"p\":[{\"s\":\"" STATE
                        "\",\"t\":1700000000,\"f\":5,\"u\":\"/x?y=\\\"z\\\"\"}]}");
    /* A URL that is not UTF-8 comes back to "/". */
    e->return_url = "/caf\xe9";
    ck_assert_int_eq(atl_state_encode(&s, &len, pool, list), APR_SUCCESS);
    ck_assert_str_eq(
        APR_ARRAY_IDX(atl_state_decode(pool, s, len), 0, atl_pending_t).return_url, "/");
}
END_TEST

/* ---- the refresh outcome ---- */

START_TEST(refresh_members)
{
    static const member_t tokens[] = {
        {"a", "\"at\"", 0},
        {"r", "\"rt\"", 0},
        {"x", "1700000000", 1},
    };
    static const member_t ended[] = {{"e", "1", 1}};
    atl_refresh_t in = {0, "at", "rt", 1700000000}, *out;
    const char *s, *big;
    apr_size_t len;

    check_members(refresh_accepts, "%s", tokens, 3, 1);
    check_members(refresh_accepts, "%s", ended, 1, 1);
    check_garbage(refresh_accepts);
    /* Never both, never neither, never "e":0; tokens neither empty nor
     * with control characters; an expiry, when given, after the epoch. */
    ck_assert(!refresh_accepts("{}"));
    ck_assert(!refresh_accepts("{\"e\":1,\"a\":\"at\"}"));
    ck_assert(!refresh_accepts("{\"e\":1,\"x\":5}"));
    ck_assert(!refresh_accepts("{\"e\":0}"));
    ck_assert(!refresh_accepts("{\"a\":\"\"}"));
    ck_assert(!refresh_accepts("{\"a\":\"a\\tb\"}"));
    ck_assert(!refresh_accepts("{\"a\":\"at\",\"r\":\"\"}"));
    ck_assert(!refresh_accepts("{\"a\":\"at\",\"x\":0}"));
    ck_assert(!refresh_accepts("{\"a\":\"at\",\"x\":253402300800}"));
    ck_assert(!refresh_accepts("{\"a\":\"at\",\"x\":12345678901234567890}"));
    big = repeat('t', ATL_IDENTITY_MAX_TOKEN);
    ck_assert(
        refresh_accepts(apr_psprintf(pool, "{\"a\":\"%s\",\"r\":\"%s\"}", big, big)));
    ck_assert(!refresh_accepts(apr_psprintf(pool, "{\"a\":\"%sx\"}", big)));
    ck_assert(!refresh_accepts(apr_psprintf(pool, "{\"a\":\"at\",\"r\":\"%sx\"}", big)));

    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, &in), APR_SUCCESS);
    ck_assert_str_eq(s, "{\"a\":\"at\",\"r\":\"rt\",\"x\":1700000000}");
    ck_assert_int_eq(atl_refresh_decode(&out, pool, s, len), APR_SUCCESS);
    ck_assert_str_eq(out->refresh_token, "rt");
    in.ended = 1;
    ck_assert_int_eq(atl_refresh_encode(&s, &len, pool, &in), APR_SUCCESS);
    ck_assert_str_eq(s, "{\"e\":1}");
}
END_TEST

/* ---- the group check ---- */

START_TEST(gcheck_round_trip)
{
    atl_gcheck_t *g = atl_gcheck_make(pool, 1700000000), *back;
    atl_gfail_t *f;
    const char *s;
    apr_size_t len;

    APR_ARRAY_PUSH(g->groups, const char *) = "acme/jira-users";
    APR_ARRAY_PUSH(g->groups, const char *) = "acme/Ünïcode \"q\"";
    f = apr_array_push(g->fails);
    f->site = "other";
    f->status = 503;
    f->retry_until = 1700000030;
    f->why = "rate limited\n(HTTP 429)";
    f = apr_array_push(g->fails);
    f->site = "third";
    f->status = 502;
    f->retry_until = 0;
    f->why = NULL;
    ck_assert_int_eq(atl_gcheck_encode(&s, &len, pool, g), APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(s));
    ck_assert_int_eq(atl_gcheck_decode(&back, pool, s, len), APR_SUCCESS);
    ck_assert_int_eq(back->checked, 1700000000);
    ck_assert_int_eq(back->ended, 0);
    ck_assert_int_eq(back->groups->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back->groups, 1, const char *), "acme/Ünïcode \"q\"");
    ck_assert_int_eq(back->fails->nelts, 2);
    f = &APR_ARRAY_IDX(back->fails, 0, atl_gfail_t);
    ck_assert_str_eq(f->site, "other");
    ck_assert_int_eq(f->status, 503);
    ck_assert_int_eq(f->retry_until, 1700000030);
    ck_assert_ptr_null(strchr(f->why, '\n')); /* one line for the log */
    ck_assert_str_eq(APR_ARRAY_IDX(back->fails, 1, atl_gfail_t).why, "unknown");

    g = atl_gcheck_make(pool, 5);
    g->ended = 1;
    ck_assert_int_eq(atl_gcheck_encode(&s, &len, pool, g), APR_SUCCESS);
    ck_assert_str_eq(s, "{\"c\":5,\"e\":1,\"g\":[],\"f\":[]}");
    ck_assert_int_eq(atl_gcheck_decode(&back, pool, s, len), APR_SUCCESS);
    ck_assert_int_eq(back->ended, 1);
    g->checked = 0; /* never checked: not shared */
    ck_assert_int_eq(atl_gcheck_encode(&s, &len, pool, g), ATL_E_BADINPUT);
}
END_TEST

START_TEST(gcheck_members)
{
    static const member_t top[] = {
        {"c", "1700000000", 1},
        {"g", "[\"acme/users\"]", 2},
        {"f", "[{\"s\":\"acme\",\"h\":503,\"u\":0,\"w\":\"x\"}]", 2},
        {"e", "1", 1},
    };
    static const member_t fail[] = {
        {"s", "\"acme\"", 0},
        {"h", "502", 1},
        {"u", "0", 1},
        {"w", "\"why\"", 0},
    };

    check_members(gcheck_accepts, "%s", top, 4, 3);
    check_members(gcheck_accepts, "{\"c\":1,\"g\":[],\"f\":[%s]}", fail, 4, 3);
    check_garbage(gcheck_accepts);
    ck_assert(!gcheck_accepts("{\"c\":0,\"g\":[],\"f\":[]}"));
    ck_assert(!gcheck_accepts("{\"c\":1,\"e\":0,\"g\":[],\"f\":[]}"));
    ck_assert(!gcheck_accepts("{\"c\":1,\"g\":[1],\"f\":[]}"));
    ck_assert(!gcheck_accepts("{\"c\":253402300800,\"g\":[],\"f\":[]}"));
    ck_assert(!gcheck_accepts(
        "{\"c\":1,\"g\":[],\"f\":[{\"s\":\"a\",\"h\":503,\"u\":9223372036854775807}]}"));
    ck_assert(
        !gcheck_accepts("{\"c\":1,\"g\":[],\"f\":[{\"s\":\"a\",\"h\":600,\"u\":0}]}"));
    ck_assert(gcheck_accepts(
        apr_psprintf(pool, "{\"c\":1,\"g\":[\"%s\"],\"f\":[]}", repeat('g', 1024))));
    ck_assert(!gcheck_accepts(
        apr_psprintf(pool, "{\"c\":1,\"g\":[\"%s\"],\"f\":[]}", repeat('g', 1025))));
}
END_TEST

/* ---- the kept POST ---- */

START_TEST(keptpost_round_trip)
{
    const char *s, *state, *body;
    const char *form = "a=1&b=%C3%A9+x&c=%22q%22&empty=&d=caf\xc3\xa9";
    apr_size_t len;

    ck_assert_int_eq(atl_keptpost_encode(&s, &len, pool, STATE, form), APR_SUCCESS);
    ck_assert_str_eq(s, apr_psprintf(pool, "{\"s\":\"%s\",\"b\":\"%s\"}", STATE, form));
    /* The cost of the record over the state and the body. */
    ck_assert_uint_eq(len, strlen(STATE) + strlen(form) + 15);
    ck_assert_int_eq(atl_keptpost_decode(&state, &body, pool, s, len), APR_SUCCESS);
    ck_assert_str_eq(state, STATE);
    ck_assert_str_eq(body, form);
    ck_assert_int_eq(atl_keptpost_encode(&s, &len, pool, STATE, ""), APR_SUCCESS);
    ck_assert_int_eq(atl_keptpost_decode(&state, &body, pool, s, len), APR_SUCCESS);
    ck_assert_str_eq(body, "");
    /* The largest body is kept, one byte more is not; nor other states or
     * bodies that are not UTF-8. */
    ck_assert_int_eq(
        atl_keptpost_encode(&s, &len, pool, STATE, repeat('x', ATL_KEPTPOST_MAX)),
        APR_SUCCESS);
    ck_assert_int_eq(atl_keptpost_decode(&state, &body, pool, s, len), APR_SUCCESS);
    ck_assert_int_eq(
        atl_keptpost_encode(&s, &len, pool, STATE, repeat('x', ATL_KEPTPOST_MAX + 1)),
        ATL_E_BADINPUT);
    ck_assert_int_eq(atl_keptpost_encode(&s, &len, pool, "short", "a=1"), ATL_E_BADINPUT);
    ck_assert_int_eq(atl_keptpost_encode(&s, &len, pool, STATE, "a=\xff"),
                     ATL_E_BADINPUT);
    ck_assert_int_eq(atl_keptpost_encode(&s, &len, pool, STATE, NULL), ATL_E_BADINPUT);
}
END_TEST

START_TEST(keptpost_members)
{
    static const member_t post[] = {
        {"s", "\"" STATE "\"", 0},
        {"b", "\"a=1\"", 0},
    };

    check_members(keptpost_accepts, "%s", post, 2, 2);
    check_garbage(keptpost_accepts);
    ck_assert(!keptpost_accepts("{\"s\":\"short\",\"b\":\"a=1\"}"));
    ck_assert(!keptpost_accepts(apr_psprintf(pool, "{\"s\":\"" STATE "\",\"b\":\"%s\"}",
                                             repeat('x', ATL_KEPTPOST_MAX + 1))));
}
END_TEST

static Suite *records_suite(void)
{
    Suite *s = suite_create("records");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, api_round_trip);
    tcase_add_test(tc, api_write_refuses_what_cannot_be_read);
    tcase_add_test(tc, api_read_bounds_and_types);
    tcase_add_test(tc, pending_members);
    tcase_add_test(tc, refresh_members);
    tcase_add_test(tc, gcheck_round_trip);
    tcase_add_test(tc, gcheck_members);
    tcase_add_test(tc, keptpost_round_trip);
    tcase_add_test(tc, keptpost_members);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(records_suite());
}
