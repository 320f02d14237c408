/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the identity's storage format (docs/storage-format.md),
 * deep copies, and the memo of verified logins. */

#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_identity.h"
#include "atl_logincache.h"

/* The profile Atlassian documents for /me, as a login stores it. */
static atl_identity_t *documented(void)
{
    atl_identity_t *id = atl_identity_make(pool);

    id->f[ATL_F_ACCOUNT_ID] = "112233aa-bb11-cc22-33dd-445566abcabc";
    id->f[ATL_F_EMAIL] = "mia@example.com";
    id->f[ATL_F_NAME] = "Mia Krystof";
    id->f[ATL_F_NICKNAME] = "mkrystof";
    id->f[ATL_F_PICTURE] = "https://avatar-management--avatars.us-west-2.prod.public."
                           "atl-paas.net/112233aa/1234abcd";
    id->f[ATL_F_ACCOUNT_TYPE] = "atlassian";
    id->f[ATL_F_ACCOUNT_STATUS] = "active";
    id->f[ATL_F_LOCALE] = "en-US";
    id->f[ATL_F_ZONEINFO] = "Australia/Sydney";
    id->f[ATL_F_JOB_TITLE] = "Designer";
    id->f[ATL_F_DEPARTMENT] = "Design team";
    id->f[ATL_F_ORGANIZATION] = "mia@example.com";
    id->f[ATL_F_LOCATION] = "Sydney";
    id->login_time = 1764950000;
    return id;
}

static atl_identity_t *decode_ok(const char *enc, apr_size_t len)
{
    atl_identity_t *back = NULL;

    ck_assert_int_eq(atl_identity_decode(&back, pool, enc, len), APR_SUCCESS);
    ck_assert_ptr_nonnull(back);
    return back;
}

static void assert_same(const atl_identity_t *a, const atl_identity_t *b)
{
    int f;

    for (f = 0; f < ATL_F_COUNT; f++) {
        if (a->f[f] == NULL) {
            ck_assert_msg(b->f[f] == NULL, "%s appeared", atl_identity_var_name(f));
        }
        else {
            ck_assert_msg(b->f[f] != NULL, "%s lost", atl_identity_var_name(f));
            ck_assert_str_eq(a->f[f], b->f[f]);
        }
    }
    ck_assert(a->login_time == b->login_time);
}

/* Atlassian's documented profile, as the format stores it: recorded when
 * the format was fixed, and never to change (a stored login must stay
 * readable). */
static const char documented_enc[] =
    "\x01"                     /* format */
    "\x08\xf0\xff\xcb\xc9\x06" /* 1 varint: login time */
    "\x12\x11\x22\x33\xaa\xbb\x11\xcc\x22\x33\xdd\x44\x55\x66\xab\xca\xbc"
    /* 2 UUID: account id */
    "\x19\x0f"
    "mia@example.com" /* 3 text: email */
    "\x21\x0b"
    "Mia Krystof" /* 4 text: name */
    "\x29\x08"
    "mkrystof" /* 5 text: nickname */
    "\x33\x00\x11"
    "112233aa/1234abcd" /* 6 common 0 + rest: picture */
    "\x3b\x00\x00"      /* 7 common 0: atlassian */
    "\x43\x00\x00"      /* 8 common 0: active */
    "\x4b\x00\x00"      /* 9 common 0: en-US */
    "\x53\x02\x06"
    "Sydney" /* 10 common 2 + rest */
    "\x61\x08"
    "Designer" /* 12 text: job title */
    "\x69\x0b"
    "Design team" /* 13 text: department */
    "\x74\x03"    /* 14 copy of 3: organization */
    "\x79\x06"
    "Sydney" /* 15 text: location */
    "\x00";  /* the end */

START_TEST(documented_profile_is_fixed)
{
    atl_identity_t *id = documented();
    const char *enc;
    apr_size_t len;

    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    ck_assert_uint_eq(len, sizeof(documented_enc) - 1);
    ck_assert(memcmp(enc, documented_enc, len) == 0);
    /* The time is read back, and LOGIN_TIME derived from it. */
    id->f[ATL_F_LOGIN_TIME] = "1764950000";
    assert_same(id, decode_ok(documented_enc, sizeof(documented_enc) - 1));
}
END_TEST

/* Records name their field by number: any order reads the same, and a
 * number this reader does not know is skipped, whatever its wire type. */
START_TEST(records_by_number)
{
    static const char shuffled[] = "\x01"
                                   "\x21\x03"
                                   "Mia" /* 4: name */
                                   "\x11\x03"
                                   "abc"          /* 2: account id */
                                   "\x74\x02"     /* 14: copy of 2 */
                                   "\x08\x05"     /* 1: login time 5 */
                                   "\xf8\x07\x07" /* 127 varint: unknown */
                                   "\xf9\x07\x02"
                                   "zz" /* 127 text */
                                   "\xfa\x07"
                                   "0123456789abcdef"  /* 127 UUID */
                                   "\xfb\x07\x09\x01z" /* 127 common 9 */
                                   "\xfc\x07\x63"      /* 127 copy of 99 */
                                   "\x00";
    atl_identity_t *back = decode_ok(shuffled, sizeof(shuffled) - 1);

    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
    ck_assert_str_eq(back->f[ATL_F_NAME], "Mia");
    ck_assert_str_eq(back->f[ATL_F_ORGANIZATION], "abc");
    ck_assert_str_eq(back->f[ATL_F_LOGIN_TIME], "5");
    ck_assert_ptr_null(back->f[ATL_F_EMAIL]);
}
END_TEST

START_TEST(every_form_round_trips)
{
    atl_identity_t *id = documented();
    atl_identity_t *back;
    const char *enc;
    apr_size_t len;

    /* A value that is exactly a common value, one with a common prefix,
     * one that only looks like one, and copies of earlier fields. */
    id->f[ATL_F_PICTURE] = "https://secure.gravatar.com/avatar/";
    id->f[ATL_F_ZONEINFO] = "Europe/Berlin";
    id->f[ATL_F_LOCALE] = "e";
    id->f[ATL_F_ACCOUNT_TYPE] = "app-like";
    id->f[ATL_F_EMAIL_VERIFIED] = "false";
    id->f[ATL_F_NICKNAME] = "Mia Krystof";
    id->f[ATL_F_LOCATION] = "112233aa-bb11-cc22-33dd-445566abcabc";
    id->f[ATL_F_ACCESS_TOKEN] = "mia@example.com";
    id->login_time = 0;
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    back = decode_ok(enc, len);
    assert_same(id, back);
    ck_assert_ptr_null(back->f[ATL_F_LOGIN_TIME]);
}
END_TEST

/* Each form a value can take, at its edges, and values that only look
 * packable, in every profile field; then everything besides them. */
START_TEST(every_value_round_trips)
{
    static const char *const values[] = {
        "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", /* prefix and UUID */
        "5b10ac8d82e05b22cc7d4ef5",                    /* hex */
        "112233AA-bb11-cc22-33dd-445566abcabc",        /* not a lower-case UUID */
        "112233aa-bb11-cc22-33dd-445566abcabc0",       /* a UUID then more */
        "112233aa-bb11-cc22-33dd_445566abcabc",        /* not quite a UUID */
        "Zo\xc3\xab M\xc3\xbcller",                    /* UTF-8 */
        "A rather long job title, longer than one hundred and twenty-seven "
        "characters, so that its length takes two bytes of varint to write",
        "x",
        "en",
        "~`{}|^",
    };
    char *raw = apr_palloc(pool, 300);
    atl_identity_t *id, *back;
    atl_site_t *site;
    const char *enc;
    apr_size_t len, i;
    int f;

    memset(raw, 'q', 299);
    raw[299] = '\0';
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        for (f = ATL_F_ACCOUNT_ID; f <= ATL_F_LOCATION; f++) {
            if (f == ATL_F_EMAIL_VERIFIED) {
                continue;
            }
            id = documented();
            id->f[f] = values[i];
            ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
            back = decode_ok(enc, len);
            id->f[ATL_F_LOGIN_TIME] = "1764950000";
            assert_same(id, back);
        }
    }
    id = documented();
    id->f[ATL_F_PICTURE] = raw;
    id->f[ATL_F_ACCESS_TOKEN] = raw + 100;
    id->refresh_token = "5b10ac8d82e05b22cc7d4ef5";
    id->token_expiry = 1764953600;
    id->sites = apr_array_make(pool, 2, sizeof(atl_site_t));
    site = apr_array_push(id->sites);
    site->id = "1324a887-45db-1bf4-1e99-ef0ff456d421";
    site->name = "Globex Wiki";
    site->host = "globex.atlassian.net";
    site->scopes = NULL;
    site = apr_array_push(id->sites);
    memset(site, 0, sizeof(*site));
    site->id = "s2";
    id->groups = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(id->groups, const char *) = "globex/confluence-users";
    id->groups_checked = 1764950100;
    id->login_time = 1;
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    back = decode_ok(enc, len);
    atl_identity_join_sites(id, pool);
    atl_identity_join_groups(id, pool);
    id->f[ATL_F_LOGIN_TIME] = "1";
    assert_same(id, back);
    ck_assert_str_eq(back->refresh_token, "5b10ac8d82e05b22cc7d4ef5");
    ck_assert(back->token_expiry == 1764953600);
    ck_assert_int_eq(back->sites->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 0, atl_site_t).id,
                     "1324a887-45db-1bf4-1e99-ef0ff456d421");
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 0, atl_site_t).name, "Globex Wiki");
    ck_assert_ptr_null(APR_ARRAY_IDX(back->sites, 1, atl_site_t).name);
    ck_assert_str_eq(APR_ARRAY_IDX(back->groups, 0, const char *),
                     "globex/confluence-users");
    ck_assert(back->groups_checked == 1764950100);
    /* Sites fetched, none found; groups checked, none held: both kept. */
    id = documented();
    id->sites = apr_array_make(pool, 1, sizeof(atl_site_t));
    id->groups = apr_array_make(pool, 1, sizeof(const char *));
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    back = decode_ok(enc, len);
    ck_assert(back->sites && back->sites->nelts == 0);
    ck_assert(back->groups && back->groups->nelts == 0);
}
END_TEST

/* A string literal and its length, NULs included. */
#define B(lit) lit, sizeof(lit) - 1

/* Encodings that must be refused. The smallest valid one is
 * "\x01\x11\x03abc\x00": the format, account id "abc" as text, the end. */
START_TEST(garbage_refused)
{
    static const struct {
        const char *s;
        apr_size_t n;
        const char *why;
    } bad[] = {
        {B(""), "nothing"},
        {B("\x01\x00"), "no account id"},
        {B("\x02\x11\x03"
           "abc\x00"),
         "another format"},
        {B("\x01\x11\x03"
           "abc"),
         "no end"},
        {B("\x01\x11\x03"
           "abc\x00\x00"),
         "bytes after the end"},
        {B("\x01\x11\x03"
           "abc\x11\x03"
           "abc\x00"),
         "a field twice"},
        {B("\x01\x11\x00\x00"), "an empty value"},
        {B("\x01\x11\x04"
           "abc\x00"),
         "a length past the end"},
        {B("\x01\x11\x03"
           "a\tc\x00"),
         "a control character"},
        {B("\x01\x10\x03\x00"), "a number for a text field"},
        {B("\x01\x11\x03"
           "abc\x0d\x03"
           "abc\x00"),
         "text for a time"},
        {B("\x01\x11\x03"
           "abc\xfd\x07\x00"),
         "an unknown wire type"},
        {B("\x01\x11\x03"
           "abc\x3b\x07\x00\x00"),
         "a common value out of range"},
        {B("\x01\x11\x03"
           "abc\x1b\x00\x00\x00"),
         "a field without common values"},
        {B("\x01\x11\x03"
           "abc\x1c\x04\x00"),
         "a copy of a field not stored"},
        {B("\x01\x11\x03"
           "abc\x1c\x03\x00"),
         "a copy of itself"},
        {B("\x01\x11\x03"
           "abc\xa4\x01\x02\x00"),
         "a copy outside the profile"},
        {B("\x01\x11\x03"
           "abc\x59\x03"
           "yes\x00"),
         "email_verified not a boolean"},
        {B("\x01\x11\x03"
           "abc\xa1\x01\x02"
           "id\x00"),
         "a site without the sites record"},
        {B("\x01\x11\x03"
           "abc\x98\x01\x01\xa9\x01\x01"
           "n\x00"),
         "a name without a site"},
        {B("\x01\x11\x03"
           "abc\x98\x01\x01\x98\x01\x01\x00"),
         "sites twice"},
        {B("\x01\x11\x03"
           "abc\xc1\x01\x01"
           "g\x00"),
         "a group without the groups record"},
        {B("\x01\x11\x03"
           "abc\x88\x01\x01\x88\x01\x01\x00"),
         "expiry twice"},
        {B("\x01\x11\x03"
           "abc\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x00"),
         "a varint too long"},
        {B("\x01\x11\x03"
           "abc\x08\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00"),
         "a time past 18 digits"},
    };
    atl_identity_t *back;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        back = (atl_identity_t *)1;
        ck_assert_msg(atl_identity_decode(&back, pool, bad[i].s, bad[i].n)
                          == ATL_E_MALFORMED,
                      "decoded: %s", bad[i].why);
        ck_assert_ptr_null(back);
    }
    /* Formats of early development, never released: not read. */
    ck_assert_int_eq(atl_identity_decode(&back, pool, B("I1\naabc\nt1\n.\n")),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(atl_identity_decode(&back, pool,
                                         B("\x02\x01\x01\x03"
                                           "abc\x00")),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(atl_identity_decode(&back, pool,
                                         B("\x03\x00\x01\x03"
                                           "abc\x00")),
                     ATL_E_MALFORMED);
    /* The smallest valid encoding, for contrast. */
    back = decode_ok(B("\x01\x11\x03"
                       "abc\x00"));
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
}
END_TEST

/* No prefix of an encoding is one, so a cut value is never read as a
 * shorter login. */
START_TEST(every_prefix_refused)
{
    atl_identity_t *back;
    apr_size_t cut;

    for (cut = 0; cut < sizeof(documented_enc) - 1; cut++) {
        ck_assert_msg(atl_identity_decode(&back, pool, documented_enc, cut)
                          == ATL_E_MALFORMED,
                      "prefix of %u bytes decoded", (unsigned)cut);
    }
}
END_TEST

/* Values the encoder refuses: they could not be read back. */
START_TEST(unstorable_refused)
{
    atl_identity_t *id = documented();
    const char *enc;
    apr_size_t len;
    char *big = apr_palloc(pool, ATL_IDENTITY_MAX_FIELD + 2);

    memset(big, 'a', ATL_IDENTITY_MAX_FIELD + 1);
    big[ATL_IDENTITY_MAX_FIELD + 1] = '\0';
    id->f[ATL_F_NAME] = big;
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_TOOBIG);
    id = documented();
    id->f[ATL_F_NAME] = "a\nb";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
    id = documented();
    id->f[ATL_F_EMAIL_VERIFIED] = "yes";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
    id = documented();
    id->f[ATL_F_ACCOUNT_ID] = NULL;
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
}
END_TEST

START_TEST(copy_is_deep)
{
    atl_identity_t *id = documented(), *c;
    atl_site_t *s;
    int f;

    id->sites = apr_array_make(pool, 1, sizeof(atl_site_t));
    s = apr_array_push(id->sites);
    s->id = "id1";
    s->name = "Acme";
    s->host = "acme.atlassian.net";
    s->scopes = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(s->scopes, const char *) = "read:jira-work";
    id->refresh_token = "refresh";
    atl_identity_join_sites(id, pool);
    c = atl_identity_copy(pool, id);
    assert_same(id, c);
    for (f = 0; f < ATL_F_COUNT; f++) {
        ck_assert(id->f[f] == NULL || c->f[f] != id->f[f]);
    }
    ck_assert(c->sites != id->sites);
    ck_assert_str_eq(APR_ARRAY_IDX(c->sites, 0, atl_site_t).host, "acme.atlassian.net");
    ck_assert_str_eq(
        APR_ARRAY_IDX(APR_ARRAY_IDX(c->sites, 0, atl_site_t).scopes, 0, const char *),
        "read:jira-work");
    ck_assert_str_eq(c->refresh_token, "refresh");
    ck_assert(c->refresh_token != id->refresh_token);
    ck_assert_ptr_null(atl_identity_copy(pool, NULL));
}
END_TEST

START_TEST(logincache)
{
    atl_logincache_t *lc;
    atl_identity_t *id = documented(), *got, *again;
    int owner = 0, other = 0;
    static const char purpose[] = "login", purpose2[] = "login";
    char sealed[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMk";

    ck_assert_int_eq(atl_logincache_make(&lc, pool, 0), APR_EINVAL);
    ck_assert_int_eq(atl_logincache_make(&lc, pool, 4), APR_SUCCESS);
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose, sealed));
    atl_logincache_put(lc, &owner, purpose, sealed, id);
    got = atl_logincache_get(lc, pool, &owner, purpose, sealed);
    ck_assert_ptr_nonnull(got);
    assert_same(id, got);
    /* A copy each time: a request may change its own without harm. */
    got->f[ATL_F_EMAIL] = "changed";
    again = atl_logincache_get(lc, pool, &owner, purpose, sealed);
    ck_assert_str_eq(again->f[ATL_F_EMAIL], "mia@example.com");
    /* Only the very value, under the very keys and purpose. */
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &other, purpose, sealed));
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose2, sealed));
    sealed[sizeof(sealed) - 2] ^= 1;
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose, sealed));
    sealed[sizeof(sealed) - 2] ^= 1;
    /* A change before the tag counts as much as one in it. */
    sealed[0] ^= 1;
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose, sealed));
    sealed[0] ^= 1;
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose, "AQID"));
    ck_assert_ptr_null(atl_logincache_get(NULL, pool, &owner, purpose, sealed));
    ck_assert_ptr_null(atl_logincache_get(lc, pool, &owner, purpose, NULL));
}
END_TEST

/* Sites and groups come back whole, in memory of their own; sites with
 * scopes (never decoded from a session) are kept all the same. */
START_TEST(logincache_keeps_sites_and_groups)
{
    atl_logincache_t *lc;
    atl_identity_t *id = documented(), *got, *again;
    atl_site_t *s;
    int owner = 0, i, with_scopes;
    char sealed[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMk";

    ck_assert_int_eq(atl_logincache_make(&lc, pool, 4), APR_SUCCESS);
    for (with_scopes = 0; with_scopes < 2; with_scopes++) {
        id->sites = apr_array_make(pool, 2, sizeof(atl_site_t));
        for (i = 0; i < 2; i++) {
            s = apr_array_push(id->sites);
            s->id = i ? "id2" : "id1";
            s->name = i ? "Globex" : "Acme";
            s->host = i ? "globex.atlassian.net" : "acme.atlassian.net";
            s->scopes = NULL;
            if (with_scopes) {
                s->scopes = apr_array_make(pool, 1, sizeof(const char *));
                APR_ARRAY_PUSH(s->scopes, const char *) = "read:jira-work";
            }
        }
        id->groups = apr_array_make(pool, 2, sizeof(const char *));
        APR_ARRAY_PUSH(id->groups, const char *) = "acme/jira-users";
        APR_ARRAY_PUSH(id->groups, const char *) = "globex/admins";
        id->groups_checked = 1700000000;
        id->refresh_token = "refresh";
        atl_identity_join_sites(id, pool);
        atl_identity_join_groups(id, pool);
        atl_logincache_put(lc, &owner, "login", sealed, id);
        got = atl_logincache_get(lc, pool, &owner, "login", sealed);
        ck_assert_ptr_nonnull(got);
        assert_same(id, got);
        ck_assert_int_eq(got->sites->nelts, 2);
        ck_assert_str_eq(APR_ARRAY_IDX(got->sites, 1, atl_site_t).host,
                         "globex.atlassian.net");
        ck_assert_str_eq(APR_ARRAY_IDX(got->groups, 1, const char *), "globex/admins");
        ck_assert_int_eq(got->groups_checked, 1700000000);
        ck_assert_str_eq(got->refresh_token, "refresh");
        /* The copy can grow and change without touching the memo. */
        APR_ARRAY_PUSH(got->groups, const char *) = "acme/more";
        APR_ARRAY_IDX(got->sites, 0, atl_site_t).host = "changed";
        again = atl_logincache_get(lc, pool, &owner, "login", sealed);
        ck_assert_int_eq(again->groups->nelts, 2);
        ck_assert_str_eq(APR_ARRAY_IDX(again->sites, 0, atl_site_t).host,
                         "acme.atlassian.net");
        ck_assert(again->f[ATL_F_EMAIL] != got->f[ATL_F_EMAIL]);
    }
}
END_TEST

START_TEST(logincache_is_bounded)
{
    atl_logincache_t *lc;
    atl_identity_t *id = documented();
    int owner = 0, i, found = 0;
    char sealed[64];

    /* Many values through one slot: the memo holds one, the newest. */
    ck_assert_int_eq(atl_logincache_make(&lc, pool, 1), APR_SUCCESS);
    for (i = 0; i < 1000; i++) {
        apr_snprintf(sealed, sizeof(sealed), "AQ%030d", i);
        atl_logincache_put(lc, &owner, "login", sealed, id);
    }
    for (i = 0; i < 1000; i++) {
        apr_snprintf(sealed, sizeof(sealed), "AQ%030d", i);
        found += atl_logincache_get(lc, pool, &owner, "login", sealed) != NULL;
    }
    ck_assert_int_eq(found, 1);
    ck_assert_ptr_nonnull(atl_logincache_get(lc, pool, &owner, "login", sealed));
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("identity_codec");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, documented_profile_is_fixed);
    tcase_add_test(tc, records_by_number);
    tcase_add_test(tc, every_form_round_trips);
    tcase_add_test(tc, every_value_round_trips);
    tcase_add_test(tc, garbage_refused);
    tcase_add_test(tc, every_prefix_refused);
    tcase_add_test(tc, unstorable_refused);
    tcase_add_test(tc, copy_is_deep);
    tcase_add_test(tc, logincache);
    tcase_add_test(tc, logincache_keeps_sites_and_groups);
    tcase_add_test(tc, logincache_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(codec_suite());
}
