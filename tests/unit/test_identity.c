/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_identity: names, storage, sanitising and matching. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_identity.h"

static void add_site(atl_identity_t *id, const char *cid, const char *name,
                     const char *host)
{
    atl_site_t *s;

    if (id->sites == NULL) {
        id->sites = apr_array_make(pool, 2, sizeof(atl_site_t));
    }
    s = apr_array_push(id->sites);
    s->id = cid;
    s->name = name;
    s->host = host;
}

static atl_identity_t *full_identity(void)
{
    atl_identity_t *id = atl_identity_make(pool);

    id->f[ATL_F_ACCOUNT_ID] = "557057:4f9a-bb11";
    id->f[ATL_F_EMAIL] = "mia@example.com";
    id->f[ATL_F_NAME] = "Mia Krystof";
    id->f[ATL_F_NICKNAME] = "mkrystof";
    id->f[ATL_F_PICTURE] = "https://avatar.example/112233aa/1234abcd";
    id->f[ATL_F_ACCOUNT_TYPE] = "atlassian";
    id->f[ATL_F_ACCOUNT_STATUS] = "active";
    id->f[ATL_F_LOCALE] = "en-US";
    id->f[ATL_F_ZONEINFO] = "Australia/Sydney";
    id->f[ATL_F_EMAIL_VERIFIED] = "true";
    id->f[ATL_F_JOB_TITLE] = "Designer";
    id->f[ATL_F_DEPARTMENT] = "Design team";
    id->f[ATL_F_ORGANIZATION] = "Example = Inc. & \xc3\xa9 co";
    id->f[ATL_F_LOCATION] = "Sydney";
    id->f[ATL_F_ACCESS_TOKEN] = "eyJhbGciOi.access.token";
    id->refresh_token = "refresh-token-value";
    id->login_time = 1700000000;
    id->token_expiry = 1700003600;
    add_site(id, "1324a887-45db-1bf4-1e99-ef0ff456d421", "Acme", "acme.atlassian.net");
    add_site(id, "cafe-0002", "Other Site", "other.atlassian.net");
    atl_identity_join_sites(id, pool);
    id->groups = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(id->groups, const char *) = "acme.atlassian.net/jira-admins";
    id->groups_checked = 1700000001;
    atl_identity_join_groups(id, pool);
    return id;
}

static atl_identity_t *round_trip(const atl_identity_t *id)
{
    const char *enc = NULL;
    apr_size_t len = 0;
    atl_identity_t *back = NULL;

    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    ck_assert_ptr_nonnull(enc);
    /* The format's byte first, the end record last. */
    ck_assert_uint_ge(len, 3);
    ck_assert_uint_eq((unsigned char)enc[0], 0x01);
    ck_assert_uint_eq((unsigned char)enc[len - 1], 0x00);
    ck_assert_int_eq(atl_identity_decode(&back, pool, enc, len), APR_SUCCESS);
    ck_assert_ptr_nonnull(back);
    return back;
}

START_TEST(names)
{
    ck_assert_str_eq(atl_identity_var_name(ATL_F_ACCOUNT_ID), "ATLASSIAN_ACCOUNT_ID");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_ACCOUNT_ID),
                     "X-Atlassian-Account-Id");
    ck_assert_str_eq(atl_identity_json_name(ATL_F_ACCOUNT_ID), "account_id");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_JOB_TITLE), "ATLASSIAN_JOB_TITLE");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_JOB_TITLE), "X-Atlassian-Job-Title");
    ck_assert_str_eq(atl_identity_json_name(ATL_F_JOB_TITLE), "job_title");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_EMAIL_VERIFIED),
                     "ATLASSIAN_EMAIL_VERIFIED");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_EMAIL_VERIFIED),
                     "X-Atlassian-Email-Verified");
    ck_assert_str_eq(atl_identity_json_name(ATL_F_EMAIL_VERIFIED), "email_verified");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_SITE_IDS), "ATLASSIAN_SITE_IDS");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_SITE_IDS), "X-Atlassian-Site-Ids");
    ck_assert_str_eq(atl_identity_json_name(ATL_F_SITE_IDS), "site_ids");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_LOGIN_TIME), "ATLASSIAN_LOGIN_TIME");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_LOGIN_TIME),
                     "X-Atlassian-Login-Time");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_ACCESS_TOKEN), "ATLASSIAN_ACCESS_TOKEN");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_ACCESS_TOKEN),
                     "X-Atlassian-Access-Token");
    ck_assert_str_eq(atl_identity_json_name(ATL_F_ACCESS_TOKEN), "access_token");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_ZONEINFO), "X-Atlassian-Zoneinfo");
    ck_assert_str_eq(atl_identity_var_name(ATL_F_SITES), "ATLASSIAN_SITES");
    ck_assert_ptr_null(atl_identity_var_name(ATL_F_COUNT));
}
END_TEST

/* Every header name is the variable name turned into "X-Atlassian-Foo-Bar". */
START_TEST(names_follow_the_rule)
{
    int f;

    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *var = atl_identity_var_name((atl_field_e)f);
        const char *hdr = atl_identity_header_name((atl_field_e)f);
        const char *json = atl_identity_json_name((atl_field_e)f);
        char *expect;
        apr_size_t i;
        int up = 1;

        ck_assert_ptr_nonnull(var);
        ck_assert_ptr_nonnull(hdr);
        ck_assert_ptr_nonnull(json);
        ck_assert_int_eq(strncmp(var, "ATLASSIAN_", 10), 0);
        expect = apr_pstrcat(pool, "X-Atlassian-", var + 10, NULL);
        for (i = 12; expect[i]; i++) {
            if (expect[i] == '_') {
                expect[i] = '-';
                up = 1;
            }
            else {
                expect[i] = (char)(up ? expect[i] : expect[i] - 'A' + 'a');
                up = 0;
            }
        }
        ck_assert_str_eq(hdr, expect);
        for (i = 0; json[i]; i++) {
            ck_assert_int_eq(json[i], apr_tolower(var[10 + i]));
        }
        ck_assert_uint_eq(strlen(json), strlen(var) - 10);
    }
}
END_TEST

START_TEST(encode_decode_every_field)
{
    atl_identity_t *id = full_identity();
    atl_identity_t *back = round_trip(id);
    int f;

    for (f = 0; f < ATL_F_COUNT; f++) {
        if (f == ATL_F_LOGIN_TIME) {
            continue;
        }
        ck_assert_msg(back->f[f] != NULL, "field %s lost", atl_identity_var_name(f));
        ck_assert_str_eq(back->f[f], id->f[f]);
    }
    ck_assert_str_eq(back->f[ATL_F_LOGIN_TIME], "1700000000");
    ck_assert_str_eq(back->f[ATL_F_SITES], "acme.atlassian.net,other.atlassian.net");
    ck_assert_str_eq(back->f[ATL_F_SITE_IDS],
                     "1324a887-45db-1bf4-1e99-ef0ff456d421,cafe-0002");
    ck_assert_str_eq(back->refresh_token, "refresh-token-value");
    ck_assert(back->login_time == 1700000000);
    ck_assert(back->token_expiry == 1700003600);
    ck_assert_ptr_nonnull(back->sites);
    ck_assert_int_eq(back->sites->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 1, atl_site_t).id, "cafe-0002");
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 1, atl_site_t).name, "Other Site");
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 1, atl_site_t).host,
                     "other.atlassian.net");
}
END_TEST

START_TEST(encode_decode_minimal)
{
    atl_identity_t *id = atl_identity_make(pool);
    atl_identity_t *back;
    int f;

    id->f[ATL_F_ACCOUNT_ID] = "abc";
    id->login_time = 42;
    back = round_trip(id);
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
    ck_assert_str_eq(back->f[ATL_F_LOGIN_TIME], "42");
    for (f = 1; f < ATL_F_COUNT; f++) {
        if (f != ATL_F_LOGIN_TIME) {
            ck_assert_ptr_null(back->f[f]);
        }
    }
    ck_assert_ptr_null(back->sites);
    ck_assert_ptr_null(back->refresh_token);
    ck_assert(back->token_expiry == 0);

    /* Sites fetched, but none: an empty list, no variables. */
    id->sites = apr_array_make(pool, 1, sizeof(atl_site_t));
    back = round_trip(id);
    ck_assert_ptr_nonnull(back->sites);
    ck_assert_int_eq(back->sites->nelts, 0);
    ck_assert_ptr_null(back->f[ATL_F_SITES]);
    ck_assert_ptr_null(back->f[ATL_F_SITE_IDS]);
}
END_TEST

START_TEST(encode_refuses)
{
    atl_identity_t *id = atl_identity_make(pool);
    const char *enc;
    apr_size_t len;
    char *big;

    /* No account id: nothing to store. */
    ck_assert_int_ne(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);

    id->f[ATL_F_ACCOUNT_ID] = "abc";
    id->f[ATL_F_NAME] = "line\nbreak";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
    id->f[ATL_F_NAME] = NULL;

    id->f[ATL_F_EMAIL_VERIFIED] = "yes";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
    id->f[ATL_F_EMAIL_VERIFIED] = "false";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);

    big = apr_palloc(pool, ATL_IDENTITY_MAX_FIELD + 2);
    memset(big, 'x', ATL_IDENTITY_MAX_FIELD + 1);
    big[ATL_IDENTITY_MAX_FIELD + 1] = '\0';
    id->f[ATL_F_NAME] = big;
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_TOOBIG);
    big[ATL_IDENTITY_MAX_FIELD] = '\0';
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);

    id->refresh_token = "bad\rtoken";
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), ATL_E_BADINPUT);
}
END_TEST

START_TEST(decode_garbage_and_truncation)
{
    atl_identity_t *id = full_identity();
    atl_identity_t *back;
    const char *enc;
    apr_size_t len, cut;
    static const char *const garbage[] = {
        "",
        "I1",
        "I1\n.\n",              /* no account id, no time */
        "I1\naabc\n.\n",        /* no time */
        "I1\naabc\nt1\n",       /* no end line */
        "I1\naabc\nt1\n.\n.\n", /* something after the end */
        "I1\naabc\nt1\n.\naevil\n",
        "I1\naabc\nt1\n.x\n",
        "I2\naabc\nt1\n.\n",       /* other version */
        "I1\naabc\nt1\naabc\n.\n", /* duplicate */
        "I1\naabc\nt1\nt2\n.\n",
        "I1\naabc\nt1\nQunknown\n.\n", /* unknown code */
        "I1\naabc\nt-1\n.\n",          /* negative time */
        "I1\naabc\nt12x\n.\n",
        "I1\naabc\nt\n.\n",
        "I1\naabc\nt1234567890123456789\n.\n",
        "I1\naabc\nt1\nvyes\n.\n",     /* email_verified not a boolean */
        "I1\naabc\nt1\ne\n.\n",        /* empty value */
        "I1\naabc\nt1\n\n.\n",         /* empty line */
        "I1\naabc\nt1\nSid\n.\n",      /* site without L */
        "I1\naabc\nt1\nL\nNname\n.\n", /* name without site */
        "I1\naabc\nt1\nL\nSid\nNa\nNb\n.\n",
        "I1\naa\tc\nt1\n.\n", /* control character */
        "I1\naabc\nt1\nL\nL\n.\n",
        "I1\naabc\nt1\nLx\n.\n",
        "\n\n\n\n",
        "garbage",
        NULL};
    int i;

    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    /* Every proper prefix is refused: a cut value is never taken. */
    for (cut = 0; cut < len; cut++) {
        back = (atl_identity_t *)1;
        ck_assert_msg(atl_identity_decode(&back, pool, enc, cut) == ATL_E_MALFORMED,
                      "prefix of %u bytes decoded", (unsigned)cut);
        ck_assert_ptr_null(back);
    }
    for (i = 0; garbage[i]; i++) {
        ck_assert_msg(atl_identity_decode(&back, pool, garbage[i], strlen(garbage[i]))
                          == ATL_E_MALFORMED,
                      "decoded garbage %d", i);
    }
    ck_assert_int_eq(atl_identity_decode(&back, pool, NULL, 5), ATL_E_MALFORMED);
    ck_assert_int_eq(atl_identity_decode(&back, pool, "I1\naabc\nt1\0\n.\n", 13),
                     ATL_E_MALFORMED);
    /* The text format of early development is not read. The smallest
     * valid encoding, for contrast. */
    ck_assert_int_eq(atl_identity_decode(&back, pool,
                                         "\x01\x11\x03"
                                         "abc\x00",
                                         7),
                     APR_SUCCESS);
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
}
END_TEST

START_TEST(decode_too_many_sites)
{
    atl_identity_t *id = atl_identity_make(pool);
    atl_identity_t *back;
    int i;

    id->f[ATL_F_ACCOUNT_ID] = "abc";
    id->login_time = 1;
    for (i = 0; i < ATL_IDENTITY_MAX_SITES + 5; i++) {
        add_site(id, apr_psprintf(pool, "id-%d", i), NULL, NULL);
    }
    back = round_trip(id);
    ck_assert_int_eq(back->sites->nelts, ATL_IDENTITY_MAX_SITES);
    ck_assert_ptr_null(APR_ARRAY_IDX(back->sites, 0, atl_site_t).name);
    ck_assert_ptr_null(APR_ARRAY_IDX(back->sites, 0, atl_site_t).host);
    ck_assert_ptr_null(back->f[ATL_F_SITES]);
    ck_assert_ptr_nonnull(back->f[ATL_F_SITE_IDS]);
}
END_TEST

START_TEST(sanitize)
{
    const char in[] = "a\r\nb\tc\x01\x1f\x7f d\0e";
    const char *out;
    /* "h\xc3\xa9llo": the e-acute takes bytes 1 and 2. */
    const char *utf = "h\xc3\xa9llo";
    /* A four-byte sequence (U+1F600) after one ASCII byte. */
    const char *emoji = "x\xf0\x9f\x98\x80y";

    out = atl_identity_sanitize(pool, in, sizeof(in) - 1, 100);
    ck_assert_str_eq(out, "abc de");

    ck_assert_str_eq(atl_identity_sanitize(pool, utf, strlen(utf), 3), "h\xc3\xa9");
    ck_assert_str_eq(atl_identity_sanitize(pool, utf, strlen(utf), 2), "h");
    ck_assert_str_eq(atl_identity_sanitize(pool, utf, strlen(utf), 1), "h");
    ck_assert_str_eq(atl_identity_sanitize(pool, emoji, strlen(emoji), 4), "x");
    ck_assert_str_eq(atl_identity_sanitize(pool, emoji, strlen(emoji), 5),
                     "x\xf0\x9f\x98\x80");
    ck_assert_str_eq(atl_identity_sanitize(pool, "abcdef", 6, 3), "abc");
    ck_assert_str_eq(atl_identity_sanitize(pool, "abcdef", 3, 100), "abc");

    ck_assert_ptr_null(atl_identity_sanitize(pool, "\r\n\t", 3, 10));
    ck_assert_ptr_null(atl_identity_sanitize(pool, "", 0, 10));
    ck_assert_ptr_null(atl_identity_sanitize(pool, NULL, 0, 10));
    ck_assert_ptr_null(atl_identity_sanitize(pool, "\xc3\xa9", 2, 1));
}
END_TEST

START_TEST(email_valid)
{
    ck_assert_int_eq(atl_identity_email_valid("a@b.c"), 1);
    ck_assert_int_eq(atl_identity_email_valid("Mia.Krystof+tag@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_valid("a@@b"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@b@c"), 0);
    ck_assert_int_eq(atl_identity_email_valid("@b"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@"), 0);
    ck_assert_int_eq(atl_identity_email_valid("ab"), 0);
    ck_assert_int_eq(atl_identity_email_valid(""), 0);
    ck_assert_int_eq(atl_identity_email_valid(NULL), 0);
    ck_assert_int_eq(atl_identity_email_valid("a b@c"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@b c"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@b\tc"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@b.c\n"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a\x01@b.c"), 0);
    ck_assert_int_eq(atl_identity_email_valid("a@b.c\x7f"), 0);
}
END_TEST

START_TEST(email_match)
{
    ck_assert_int_eq(atl_identity_email_match("*@example.com", "Mia@Example.COM"), 1);
    ck_assert_int_eq(atl_identity_email_match("*@EXAMPLE.com", "mia@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_match("?ia@example.com", "mia@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_match("mia@example.com", "MIA@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_match("*", "mia@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_match("m*a@*.com", "maria@example.com"), 1);
    ck_assert_int_eq(atl_identity_email_match("*@*example.com", "a@sub.example.com"), 1);

    ck_assert_int_eq(atl_identity_email_match("*@example.com", "mia@example.com.evil"),
                     0);
    ck_assert_int_eq(atl_identity_email_match("*@example.com", "mia@evil.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("*@example.com", "mia@sub.example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("?ia@example.com", "ia@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("?ia@example.com", "mmia@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("mia@example.com", "mia@example.co"), 0);
    ck_assert_int_eq(atl_identity_email_match("", "mia@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match(NULL, "mia@example.com"), 0);

    /* Invalid addresses never match, not even "*". */
    ck_assert_int_eq(atl_identity_email_match("*", "a@b@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("*@example.com", "evil@x@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("*", "a b@example.com"), 0);
    ck_assert_int_eq(atl_identity_email_match("*", "a@example.com\r\n"), 0);
    ck_assert_int_eq(atl_identity_email_match("*", ""), 0);
    ck_assert_int_eq(atl_identity_email_match("*", NULL), 0);
}
END_TEST

START_TEST(email_match_no_blowup)
{
    /* A pattern that makes naive recursive matchers take exponential time. */
    char email[200], pattern[200];
    int i;

    for (i = 0; i < 150; i++) {
        email[i] = 'a';
    }
    strcpy(email + 150, "@b.c");
    strcpy(pattern, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b@x");
    ck_assert_int_eq(atl_identity_email_match(pattern, email), 0);
}
END_TEST

START_TEST(has_site)
{
    atl_identity_t *id = full_identity();
    atl_identity_t *none = atl_identity_make(pool);

    ck_assert_int_eq(atl_identity_has_site(id, "acme.atlassian.net"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "ACME.Atlassian.NET"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "Acme"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "acme"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "other site"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "1324a887-45db-1bf4-1e99-ef0ff456d421"),
                     1);
    ck_assert_int_eq(atl_identity_has_site(id, "cafe-0002"), 1);

    ck_assert_int_eq(atl_identity_has_site(id, "acme.atlassian.net.evil"), 0);
    ck_assert_int_eq(atl_identity_has_site(id, "evil.atlassian.net"), 0);
    ck_assert_int_eq(atl_identity_has_site(id, "cafe-000"), 0);
    ck_assert_int_eq(atl_identity_has_site(id, ""), 0);
    ck_assert_int_eq(atl_identity_has_site(id, NULL), 0);
    ck_assert_int_eq(atl_identity_has_site(none, "acme"), 0);
    ck_assert_int_eq(atl_identity_has_site(NULL, "acme"), 0);
}
END_TEST

START_TEST(site_names_never_pass_for_hosts_or_ids)
{
    atl_identity_t *id = atl_identity_make(pool);

    /* A site whose owner named it after someone else's host or cloud id. */
    add_site(id, "cafe-0009", "victim.atlassian.net", "evil.atlassian.net");
    add_site(id, "cafe-0010", "1324a887-45db-1bf4-1e99-ef0ff456d421",
             "evil2.atlassian.net");
    ck_assert_int_eq(atl_identity_has_site(id, "victim.atlassian.net"), 0);
    ck_assert_int_eq(atl_identity_has_site(id, "1324a887-45db-1bf4-1e99-ef0ff456d421"),
                     0);
    /* The real host and id still match. */
    ck_assert_int_eq(atl_identity_has_site(id, "evil.atlassian.net"), 1);
    ck_assert_int_eq(atl_identity_has_site(id, "cafe-0010"), 1);
}
END_TEST

START_TEST(join_sites)
{
    atl_identity_t *id = atl_identity_make(pool);

    atl_identity_join_sites(id, pool);
    ck_assert_ptr_null(id->f[ATL_F_SITES]);
    ck_assert_ptr_null(id->f[ATL_F_SITE_IDS]);

    add_site(id, "id1", "One", "one.atlassian.net");
    add_site(id, "id2", "Two", NULL);
    add_site(id, "id3", NULL, "three.atlassian.net");
    atl_identity_join_sites(id, pool);
    ck_assert_str_eq(id->f[ATL_F_SITES], "one.atlassian.net,three.atlassian.net");
    ck_assert_str_eq(id->f[ATL_F_SITE_IDS], "id1,id2,id3");
}
END_TEST

/* The groups and when they were checked survive a round trip; a login
 * stored without them (no group check) decodes with none. */
START_TEST(encode_decode_groups)
{
    static const char old[] = "\x01\x11\x03"
                              "abc\x00";
    atl_identity_t *id = atl_identity_make(pool), *back;

    ck_assert_int_eq(atl_identity_decode(&back, pool, old, sizeof(old) - 1), APR_SUCCESS);
    ck_assert_ptr_null(back->groups);
    ck_assert_int_eq(back->groups_checked, 0);
    ck_assert_ptr_null(back->f[ATL_F_GROUPS]);
    ck_assert_int_eq(atl_identity_has_group(back, "acme.atlassian.net/jira-admins"), 0);

    id->f[ATL_F_ACCOUNT_ID] = "557057:abc";
    id->login_time = 1700000000;
    id->groups = apr_array_make(pool, 2, sizeof(const char *));
    id->groups_checked = 1700000123;
    back = round_trip(id);
    ck_assert_ptr_nonnull(back->groups);
    ck_assert_int_eq(back->groups->nelts, 0);
    ck_assert_int_eq(back->groups_checked, 1700000123);
    ck_assert_ptr_null(back->f[ATL_F_GROUPS]);

    APR_ARRAY_PUSH(id->groups, const char *) = "acme.atlassian.net/jira-admins";
    APR_ARRAY_PUSH(id->groups, const char *) =
        "cafe-01/0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5";
    APR_ARRAY_PUSH(id->groups, const char *) = "bad/\x01control"; /* left out */
    back = round_trip(id);
    ck_assert_int_eq(back->groups->nelts, 2);
    ck_assert_str_eq(back->f[ATL_F_GROUPS],
                     "acme.atlassian.net/jira-admins,"
                     "cafe-01/0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5");
    ck_assert_int_eq(atl_identity_has_group(back, "acme.atlassian.net/jira-admins"), 1);
    ck_assert_int_eq(atl_identity_has_group(back, "acme.atlassian.net/JIRA-admins"), 0);
    ck_assert_int_eq(atl_identity_has_group(back, "acme.atlassian.net/jira"), 0);
    ck_assert_str_eq(atl_identity_var_name(ATL_F_GROUPS), "ATLASSIAN_GROUPS");
    ck_assert_str_eq(atl_identity_header_name(ATL_F_GROUPS), "X-Atlassian-Groups");

    /* A group line without its G line, a second G: not ours. */
    ck_assert_int_eq(atl_identity_decode(&back, pool, "I1\naabc\nt1\ngx/y\n.\n", 19),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(atl_identity_decode(&back, pool, "I1\naabc\nt1\nG5\nG6\n.\n", 20),
                     ATL_E_MALFORMED);
}
END_TEST

static Suite *identity_suite(void)
{
    Suite *s = suite_create("identity");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, names);
    tcase_add_test(tc, names_follow_the_rule);
    tcase_add_test(tc, encode_decode_every_field);
    tcase_add_test(tc, encode_decode_minimal);
    tcase_add_test(tc, encode_refuses);
    tcase_add_test(tc, decode_garbage_and_truncation);
    tcase_add_test(tc, decode_too_many_sites);
    tcase_add_test(tc, sanitize);
    tcase_add_test(tc, email_valid);
    tcase_add_test(tc, email_match);
    tcase_add_test(tc, email_match_no_blowup);
    tcase_add_test(tc, has_site);
    tcase_add_test(tc, site_names_never_pass_for_hosts_or_ids);
    tcase_add_test(tc, join_sites);
    tcase_add_test(tc, encode_decode_groups);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(identity_suite());
}
