/* Unit tests of the identity's storage format 3 (short, binary), the
 * text code it uses, the older formats still being read, deep copies, and
 * the memo of verified logins. */

#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_identity.h"
#include "atl_logincache.h"
#include "atl_textcode.h"

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

START_TEST(documented_profile_is_short)
{
    atl_identity_t *id = documented();
    const char *enc;
    apr_size_t len;

    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    /* Format 1 took 276 bytes for this profile, format 2 156: now the
     * account id is 16 bytes, text about 5 bits a character, common values
     * one byte or two. */
    ck_assert_int_eq((unsigned char)enc[0], 3);
    ck_assert_msg(len <= 110, "%u bytes", (unsigned)len);
    /* The time is read back, and LOGIN_TIME derived from it. */
    id->f[ATL_F_LOGIN_TIME] = "1764950000";
    assert_same(id, decode_ok(enc, len));
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

/* Each form a text item can take, at its edges: packed ids, text code,
 * raw bytes, long values, and values that only look packable. */
START_TEST(every_text_form_round_trips)
{
    static const char *const values[] = {
        "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", /* prefix and UUID */
        "5b10ac8d82e05b22cc7d4ef5",                    /* hex */
        "5B10AC8D82E05B22CC7D4EF5",                    /* upper case: not hex */
        "112233AA-bb11-cc22-33dd-445566abcabc",        /* not a lower-case UUID */
        "112233aa-bb11-cc22-33dd-445566abcabc0",       /* a UUID then more */
        "abc",                                         /* odd hex */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01",
        "Zo\xc3\xab M\xc3\xbcller",                      /* UTF-8: escapes */
        "A rather long job title, longer than twenty-nine characters",
        "x",
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
    id->f[ATL_F_PICTURE] = raw;               /* raw, longer than 63 bytes */
    id->f[ATL_F_ACCESS_TOKEN] = raw + 100;
    id->refresh_token = "5b10ac8d82e05b22cc7d4ef5";
    id->token_expiry = 1764953600;
    id->sites = apr_array_make(pool, 2, sizeof(atl_site_t));
    site = apr_array_push(id->sites);
    site->id = "1324a887-45db-1bf4-1e99-ef0ff456d421";
    site->name = "Globex Wiki";
    site->host = "globex.atlassian.net";
    site->scopes = NULL;
    id->groups = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(id->groups, const char *) = "globex/confluence-users";
    id->groups_checked = 1764950100;
    id->login_time = 1600000000;              /* before the stored base */
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, id), APR_SUCCESS);
    back = decode_ok(enc, len);
    atl_identity_join_sites(id, pool);
    atl_identity_join_groups(id, pool);
    id->f[ATL_F_LOGIN_TIME] = "1600000000";
    assert_same(id, back);
    ck_assert_str_eq(back->refresh_token, "5b10ac8d82e05b22cc7d4ef5");
    ck_assert(back->token_expiry == 1764953600);
    ck_assert_str_eq(APR_ARRAY_IDX(back->sites, 0, atl_site_t).id,
                     "1324a887-45db-1bf4-1e99-ef0ff456d421");
    ck_assert_str_eq(APR_ARRAY_IDX(back->groups, 0, const char *), "globex/confluence-users");
    ck_assert(back->groups_checked == 1764950100);
}
END_TEST

/* The text code: every byte but NUL comes back; one spelling only. */
START_TEST(text_code)
{
    char in[255], out[255];
    unsigned char coded[600];
    const unsigned char *c;
    apr_size_t n;
    int i;

    for (i = 0; i < 255; i++) {
        in[i] = (char)(i + 1);
    }
    n = atl_textcode_size(in, sizeof(in));
    ck_assert_uint_le(n, sizeof(coded));
    atl_textcode_put(coded, in, sizeof(in));
    c = coded;
    ck_assert(atl_textcode_get(out, sizeof(in), &c, coded + n));
    ck_assert(c == coded + n);
    ck_assert(memcmp(in, out, sizeof(in)) == 0);
    /* Cut short: refused. */
    c = coded;
    ck_assert(!atl_textcode_get(out, sizeof(in), &c, coded + n - 1));
    /* Short text is short. */
    ck_assert_uint_le(atl_textcode_size("mia@example.com", 15), 10);
    /* Padding bits that are not zero: refused. "e" is shorter than 8
     * bits, so its byte has padding. */
    n = atl_textcode_size("e", 1);
    ck_assert_uint_eq(n, 1);
    atl_textcode_put(coded, "e", 1);
    coded[0] |= 1;
    c = coded;
    ck_assert(!atl_textcode_get(out, 1, &c, coded + 1));
}
END_TEST

/* Logins stored in format 2 (before format 3) are read as they were. */
START_TEST(second_format_still_read)
{
    static const char doc[] = "\x02\xf0\xff\xcb\xc9\x06\x01\x24\x31\x31\x32\x32\x33\x33\x61\x61\x2d\x62\x62\x31\x31\x2d\x63\x63\x32\x32\x2d\x33\x33\x64\x64\x2d\x34\x34\x35\x35\x36\x36\x61\x62\x63\x61\x62\x63\x02\x0f\x6d\x69\x61\x40\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d\x03\x0b\x4d\x69\x61\x20\x4b\x72\x79\x73\x74\x6f\x66\x04\x08\x6d\x6b\x72\x79\x73\x74\x6f\x66\x85\x00\x11\x31\x31\x32\x32\x33\x33\x61\x61\x2f\x31\x32\x33\x34\x61\x62\x63\x64\x86\x00\x00\x87\x00\x00\x88\x00\x00\x89\x02\x06\x53\x79\x64\x6e\x65\x79\x0b\x08\x44\x65\x73\x69\x67\x6e\x65\x72\x0c\x0b\x44\x65\x73\x69\x67\x6e\x20\x74\x65\x61\x6d\x4d\x02\x0e\x06\x53\x79\x64\x6e\x65\x79\x00";
    static const char forms[] = "\x02\xf0\xff\xcb\xc9\x06\x01\x24\x31\x31\x32\x32\x33\x33\x61\x61\x2d\x62\x62\x31\x31\x2d\x63\x63\x32\x32\x2d\x33\x33\x64\x64\x2d\x34\x34\x35\x35\x36\x36\x61\x62\x63\x61\x62\x63\x02\x0f\x6d\x69\x61\x40\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d\x03\x0b\x4d\x69\x61\x20\x4b\x72\x79\x73\x74\x6f\x66\x44\x03\x85\x01\x00\x86\x01\x05\x2d\x6c\x69\x6b\x65\x87\x00\x00\x08\x01\x65\x89\x01\x06\x42\x65\x72\x6c\x69\x6e\x8a\x01\x00\x0b\x08\x44\x65\x73\x69\x67\x6e\x65\x72\x0c\x0b\x44\x65\x73\x69\x67\x6e\x20\x74\x65\x61\x6d\x4d\x02\x0e\x06\x53\x79\x64\x6e\x65\x79\x0f\x03\x74\x6f\x6b\x30\x80\x9c\xcc\xc9\x06\x31\x07\x72\x65\x66\x72\x65\x73\x68\x32\x33\x24\x31\x33\x32\x34\x61\x38\x38\x37\x2d\x34\x35\x64\x62\x2d\x31\x62\x66\x34\x2d\x31\x65\x39\x39\x2d\x65\x66\x30\x66\x66\x34\x35\x36\x64\x34\x32\x31\x34\x04\x61\x63\x6d\x65\x35\x12\x61\x63\x6d\x65\x2e\x61\x74\x6c\x61\x73\x73\x69\x61\x6e\x2e\x6e\x65\x74\x36\xd4\x80\xcc\xc9\x06\x37\x0f\x61\x63\x6d\x65\x2f\x6a\x69\x72\x61\x2d\x75\x73\x65\x72\x73\x00";
    atl_identity_t *id = documented(), *back;

    back = decode_ok(doc, sizeof(doc) - 1);
    id->f[ATL_F_LOGIN_TIME] = "1764950000";
    assert_same(id, back);
    back = decode_ok(forms, sizeof(forms) - 1);
    ck_assert_str_eq(back->f[ATL_F_PICTURE], "https://secure.gravatar.com/avatar/");
    ck_assert_str_eq(back->f[ATL_F_ZONEINFO], "Europe/Berlin");
    ck_assert_str_eq(back->f[ATL_F_LOCALE], "e");
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_TYPE], "app-like");
    ck_assert_str_eq(back->f[ATL_F_EMAIL_VERIFIED], "false");
    ck_assert_str_eq(back->f[ATL_F_NICKNAME], "Mia Krystof");
    ck_assert_str_eq(back->f[ATL_F_ORGANIZATION], "mia@example.com");
    ck_assert_str_eq(back->f[ATL_F_ACCESS_TOKEN], "tok");
    ck_assert_str_eq(back->refresh_token, "refresh");
    ck_assert(back->token_expiry == 1764953600);
    ck_assert_str_eq(back->f[ATL_F_SITES], "acme.atlassian.net");
    ck_assert_str_eq(back->f[ATL_F_SITE_IDS], "1324a887-45db-1bf4-1e99-ef0ff456d421");
    ck_assert_str_eq(back->f[ATL_F_GROUPS], "acme/jira-users");
    ck_assert(back->groups_checked == 1764950100);
}
END_TEST

/* A string literal and its length, NULs included. */
#define B(lit) lit, sizeof(lit) - 1

/* Encodings of format 3 that must be refused. The
 * smallest valid one: format, time 0 (zigzag of -ID_TIME_BASE... is long,
 * so the time is the base itself: 0), fields {1}, a raw "abc", the end. */
START_TEST(format3_garbage)
{
    static const struct {
        const char *s;
        apr_size_t n;
        const char *why;
    } bad[] = {
        {B("\x03\x00\x00\x00"), "no account id"},
        {B("\x03\x00\x01\x03" "abc"), "no end"},
        {B("\x03\x00\x01\x03" "abc\x00\x00"), "bytes after the end"},
        {B("\x03\x00\x01\x00\x00"), "an empty value"},
        {B("\x03\x00\x01\x04" "abc\x00"), "a length past the end"},
        {B("\x03\x00\x01\x03" "a\tc\x00"), "a control character"},
        {B("\x03\x00\x81\x80\x80\x01\x03" "abc\x00"), "an unknown field number"},
        {B("\x03\x00\x01\x03" "abc\x3f\x00"), "an unknown tag"},
        {B("\x03\x00\x21\x03" "abc\x87\x00\x00"), "a common value out of range"},
        {B("\x03\x00\x03\x03" "abc\x80\x00\x00"), "a field without common values"},
        {B("\x03\x00\x05\x03" "abc\x42\x00"), "a copy of a field not stored"},
        {B("\x03\x00\x01\x41\x00"), "a copy of itself"},
        {B("\x03\x00\x81\x04\x03" "abc\x03yes\x00"), "email_verified not a boolean"},
        {B("\x03\x00\x01\xc0\x01\x02\x00"), "a UUID cut short"},
        {B("\x03\x00\x01\xc1\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x00"), "a prefixed UUID without prefix"},
        {B("\x03\x00\x01\xc4\xab\x00"), "hex cut short"},
        {B("\x03\x00\x01\xe2\x00\x00"), "a coded text of no characters"},
        {B("\x03\x00\x01\xe3\x4f\x00"), "code padding bits set"},
        {B("\x03\x00\x01\xe3\xfc\x98\x40\x00"), "an escaped printable byte"},
        {B("\x03\x00\x01\xe4\xf5\x00"), "code bits cut short"},
        {B("\x03\x00\x01\x03" "abc\x33\x03id1\x00"), "a site without the sites record"},
        {B("\x03\x00\x01\x03" "abc\x32\x34\x01n\x00"), "a name without a site"},
        {B("\x03\x00\x01\x03" "abc\x32\x32\x00"), "sites twice"},
        {B("\x03\x00\x01\x03" "abc\x30\x01\x30\x01\x00"), "expiry twice"},
        {B("\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01\x03" "abc\x00"), "a time past 63 bits"},
        {B("\x03\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x01\x03" "abc\x00"), "a varint too long"},
    };
    atl_identity_t *back;
    const char *enc;
    apr_size_t len, cut, i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        back = (atl_identity_t *)1;
        ck_assert_msg(atl_identity_decode(&back, pool, bad[i].s, bad[i].n)
                          == ATL_E_MALFORMED,
                      "decoded: %s", bad[i].why);
        ck_assert_ptr_null(back);
    }
    /* The smallest valid encoding, for contrast. */
    back = decode_ok("\x03\x00\x01\x03" "abc\x00", 8);
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
    back = decode_ok("\x03\x00\x01\xe3\x40\x00", 6);
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "e");
    ck_assert(back->login_time == 1700000000);
    /* Every proper prefix of a full encoding is refused. */
    ck_assert_int_eq(atl_identity_encode(&enc, &len, pool, documented()), APR_SUCCESS);
    for (cut = 0; cut < len; cut++) {
        ck_assert_msg(atl_identity_decode(&back, pool, enc, cut) == ATL_E_MALFORMED,
                      "prefix of %u bytes decoded", (unsigned)cut);
    }
}
END_TEST

START_TEST(first_format_still_read)
{
    static const char v1[] =
        "I1\na112233aa\nemia@example.com\nvtrue\nt1764950000\n"
        "x1764953600\nrrefresh\nL\nSid1\nNAcme\nHacme.atlassian.net\n.\n";
    atl_identity_t *back = decode_ok(v1, sizeof(v1) - 1);

    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "112233aa");
    ck_assert_str_eq(back->f[ATL_F_EMAIL], "mia@example.com");
    ck_assert_str_eq(back->f[ATL_F_EMAIL_VERIFIED], "true");
    ck_assert_str_eq(back->f[ATL_F_LOGIN_TIME], "1764950000");
    ck_assert_str_eq(back->f[ATL_F_SITES], "acme.atlassian.net");
    ck_assert_str_eq(back->refresh_token, "refresh");
    ck_assert(back->token_expiry == 1764953600);
}
END_TEST

/* Encodings of format 2 that must be refused, with their lengths. */
START_TEST(format2_garbage)
{
    static const struct {
        const char *s;
        apr_size_t n;
        const char *why;
    } bad[] = {
        {"\x02\x01\x00", 3, "no account id"},
        {"\x02\x01\x01\x03"
         "abc",
         7, "no end"},
        {"\x02\x01\x01\x03"
         "abc\x00\x00",
         9, "bytes after the end"},
        {"\x02\x01\x01\x03"
         "abc\x01\x03"
         "abc\x00",
         13, "a field twice"},
        {"\x02\x01\x01\x00\x00", 5, "an empty value"},
        {"\x02\x01\x01\x04"
         "abc\x00",
         8, "a length past the end"},
        {"\x02\x01\x01\x03"
         "a\tc\x00",
         8, "a control character"},
        {"\x02\x01\x01\x03"
         "abc\x2f\x01x\x00",
         11, "an unknown field number"},
        {"\x02\x01\x01\x03"
         "abc\x3f\x00",
         8, "an unknown tag"},
        {"\x02\x01\x01\x03"
         "abc\x86\x07\x00\x00",
         10, "a common value out of range"},
        {"\x02\x01\x01\x03"
         "abc\x82\x00\x00\x00",
         10, "a field without common values"},
        {"\x02\x01\x01\x03"
         "abc\x43\x02\x00",
         9, "a copy of a field not stored"},
        {"\x02\x01\x01\x03"
         "abc\x42\x02\x00",
         9, "a copy into a field already stored"},
        {"\x02\x01\x01\x03"
         "abc\xc2\x01\x00",
         9, "both forms at once"},
        {"\x02\x01\x01\x03"
         "abc\x0a\x03yes\x00",
         11, "email_verified not a boolean"},
        {"\x02\x01\x01\x03"
         "abc\x33\x02id\x00",
         10, "a site without the sites record"},
        {"\x02\x01\x01\x03"
         "abc\x32\x34\x01n\x00",
         11, "a name without a site"},
        {"\x02\x01\x01\x03"
         "abc\x32\x32\x00",
         9, "sites twice"},
        {"\x02\x01\x01\x03"
         "abc\x30\x01\x30\x01\x00",
         11, "expiry twice"},
        {"\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01\x03"
         "abc\x00",
         18, "a time past 63 bits"},
        {"\x02\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x01\x03"
         "abc\x00",
         19, "a varint too long"},
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
    /* The smallest valid encoding, for contrast. */
    back = decode_ok("\x02\x01\x01\x03"
                     "abc\x00",
                     8);
    ck_assert_str_eq(back->f[ATL_F_ACCOUNT_ID], "abc");
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
    tcase_add_test(tc, documented_profile_is_short);
    tcase_add_test(tc, every_form_round_trips);
    tcase_add_test(tc, every_text_form_round_trips);
    tcase_add_test(tc, text_code);
    tcase_add_test(tc, second_format_still_read);
    tcase_add_test(tc, format3_garbage);
    tcase_add_test(tc, first_format_still_read);
    tcase_add_test(tc, format2_garbage);
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
