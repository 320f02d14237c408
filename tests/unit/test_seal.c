/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_seal: sealing of session values with AES-256-SIV
 * (docs/storage-format.md), key rotation, keyed hashes. */

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "atl_check.h"

#include <apr_encode.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "atl_seal.h"

static const char *secret_a = "0123456789abcdef0123456789abcdef-A";
static const char *secret_b = "fedcba9876543210fedcba9876543210-B";

static atl_seal_keys_t *make_keys(const char *first, const char *second)
{
    apr_array_header_t *secrets = apr_array_make(pool, 2, sizeof(const char *));
    atl_seal_keys_t *keys = NULL;
    const char *errmsg = NULL;

    APR_ARRAY_PUSH(secrets, const char *) = first;
    if (second) {
        APR_ARRAY_PUSH(secrets, const char *) = second;
    }
    ck_assert_int_eq(atl_seal_keys_make(&keys, &errmsg, pool, secrets), APR_SUCCESS);
    ck_assert_ptr_nonnull(keys);
    return keys;
}

/* The bytes of a sealed value (base64url), and their number. */
static const unsigned char *decoded(const char *sealed, apr_size_t *len)
{
    const unsigned char *bin = apr_pdecode_base64_binary(
        pool, sealed, (apr_ssize_t)strlen(sealed), APR_ENCODE_BASE64URL, len);

    ck_assert_ptr_nonnull(bin);
    return bin;
}

static int version_of(const char *sealed)
{
    apr_size_t len = 0;
    const unsigned char *bin = decoded(sealed, &len);

    ck_assert_uint_gt(len, 0);
    return bin[0];
}

/* The base64url length of a value of n bytes of plaintext. */
#define SEALED_CHARS(n) ((((n) + ATL_SEAL_OVERHEAD) * 4 + 2) / 3)

static const char *seal_str(const atl_seal_keys_t *keys, const char *purpose,
                            const char *plain)
{
    const char *sealed = NULL;
    ck_assert_int_eq(atl_seal(&sealed, pool, keys, purpose, plain, strlen(plain)),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(sealed);
    return sealed;
}

/* Every proper prefix of sealed, and every change of one character to
 * any other (base64url, the other alphabet's, padding), fails. */
static void assert_every_change_fails(const atl_seal_keys_t *keys, const char *purpose,
                                      const char *sealed)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=";
    apr_size_t n = strlen(sealed), i, j;
    const char *out;

    for (i = 0; i < n; i++) {
        out = "unchanged";
        ck_assert_msg(
            atl_unseal(&out, NULL, pool, keys, purpose, apr_pstrndup(pool, sealed, i))
                == ATL_E_UNSEAL,
            "prefix of %u characters unsealed", (unsigned)i);
        ck_assert_ptr_null(out);
    }
    for (i = 0; i < n; i++) {
        char *t = apr_pstrdup(pool, sealed);

        for (j = 0; j < sizeof(chars) - 1; j++) {
            if (chars[j] == sealed[i]) {
                continue;
            }
            t[i] = chars[j];
            out = "unchanged";
            ck_assert_msg(atl_unseal(&out, NULL, pool, keys, purpose, t) == ATL_E_UNSEAL,
                          "position %u changed to '%c' unsealed", (unsigned)i, chars[j]);
            ck_assert_ptr_null(out);
        }
    }
}

/* Values as an independent implementation of RFC 5297 makes them
 * (python3-cryptography's AESSIV, with HKDF-SHA256 of the secret, no salt,
 * to 64 bytes, info "mod_auth_atlassian seal AES-256-SIV", one
 * associated-data component 0x01 then the purpose; its output is SIV |
 * ciphertext, moved to 0x01 | ciphertext | SIV). Recorded when the format
 * was fixed: atl_seal must write exactly these, and atl_unseal read them,
 * for as long as the format stands. */
static const char known_plain[] = "I1\naacc-123\nemail@example.com\n";
static const char *const known_a =
    "AUDXOWxQjjHwoDPw7p3N2fGAGJ-CttSe92JTBS_GT9mF38c4hvOuZj0FSABw0dk";
static const char *const known_x = "AbeIY7FRNvtNmjRra2zz5017";
/* "sealed before the rotation" under secret A, then under secret B. */
static const char *const rotated_a =
    "AQmvDlJtRFnBcxwIMhOYhpJuBp1XJ3pL4WoyIEvgzqcP5u2hwPtmUXPDyg";
static const char *const rotated_b =
    "AdYvMl67ysMR7bBNVCI2ahRtl7o4YCiyEOPpr5tKssSfyrHLG8NwKoQplA";

static void assert_unseals_to(const atl_seal_keys_t *keys, const char *purpose,
                              const char *sealed, const char *plain)
{
    const char *out = NULL;
    apr_size_t len = 99;

    ck_assert_int_eq(atl_unseal(&out, &len, pool, keys, purpose, sealed), APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(plain));
    ck_assert_str_eq(out, plain);
}

START_TEST(known_values)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *out;

    ck_assert_str_eq(seal_str(keys, "identity", known_plain), known_a);
    ck_assert_str_eq(seal_str(keys, "identity", "x"), known_x);
    ck_assert_str_eq(seal_str(keys, "identity", "sealed before the rotation"), rotated_a);
    assert_unseals_to(keys, "identity", known_a, known_plain);
    assert_unseals_to(keys, "identity", known_x, "x");
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "login", known_a), ATL_E_UNSEAL);
}
END_TEST

/* A value sealed under the old secret unseals after a rotation (the new
 * secret first, the old one after it), and no longer once the old secret
 * is gone. */
START_TEST(known_values_after_rotation)
{
    atl_seal_keys_t *kba = make_keys(secret_b, secret_a);
    atl_seal_keys_t *kb = make_keys(secret_b, NULL);
    const char *out;

    assert_unseals_to(kba, "identity", rotated_a, "sealed before the rotation");
    assert_unseals_to(kba, "identity", rotated_b, "sealed before the rotation");
    assert_unseals_to(kb, "identity", rotated_b, "sealed before the rotation");
    ck_assert_str_eq(seal_str(kba, "identity", "sealed before the rotation"), rotated_b);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, kb, "identity", rotated_a),
                     ATL_E_UNSEAL);
}
END_TEST

/* Nothing sealed otherwise is read: values of the AES-256-GCM seal and of
 * an earlier SIV key derivation, sealed during development and never
 * released (recorded from src/atl_seal.c at commit e3fd5e6), are refused
 * like any other string. */
START_TEST(unreleased_seals_refused)
{
    static const char *const old[] = {
        /* AES-256-GCM, version 0x01, "I1\naacc-123\nemail@example.com\n" */
        "Aa8AVUhkmf-msBzQpnCyU1m_3zRoFHzApqG1UYr6d9vTIKn1P46i-3AIAQwjZdcZxRR1b1n4u-OoIns",
        /* AES-256-GCM, an empty value */
        "ASl14zFpqVnWt3UGrWpxdwlMhIzZqsyvZWnRzt4",
        /* AES-256-SIV as version 0x02, the same text, another key */
        "ApHazdseLyr8kxe1H5SW_oph3kIko8TSc7Y5Mi2vgEDFk6olOAZTMEsX5l_jGvQ",
        "AqUARWefHeq-vlK_bBZDOETC",
    };
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *out;
    apr_size_t i;

    for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        out = "unchanged";
        ck_assert_msg(atl_unseal(&out, NULL, pool, keys, "identity", old[i])
                          == ATL_E_UNSEAL,
                      "value %u unsealed", (unsigned)i);
        ck_assert_ptr_null(out);
    }
}
END_TEST

START_TEST(round_trip)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *plain = "I1\naacc-123\nemail@example.com\n";
    const char *sealed = seal_str(keys, "identity", plain);
    const char *out = NULL;
    apr_size_t len = 0;
    const char *c;

    /* base64url without padding: no '+', '/', '=' */
    for (c = sealed; *c; c++) {
        ck_assert_msg(strchr("+/=", *c) == NULL, "non-base64url char in %s", sealed);
    }
    ck_assert_int_eq(atl_unseal(&out, &len, pool, keys, "identity", sealed), APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(plain));
    ck_assert_str_eq(out, plain);
    /* The version byte and the SIV: 17 bytes added. */
    ck_assert_int_eq(version_of(sealed), 0x01);
    ck_assert_uint_eq(strlen(sealed), SEALED_CHARS(strlen(plain)));
}
END_TEST

START_TEST(round_trip_binary_and_empty)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char bin[] = {'a', '\0', 'b', '\n', (char)0xff};
    const char *sealed = NULL, *out = NULL;
    apr_size_t len = 99;

    ck_assert_int_eq(atl_seal(&sealed, pool, keys, "p", bin, sizeof(bin)), APR_SUCCESS);
    ck_assert_int_eq(version_of(sealed), 0x01);
    ck_assert_int_eq(atl_unseal(&out, &len, pool, keys, "p", sealed), APR_SUCCESS);
    ck_assert_uint_eq(len, sizeof(bin));
    ck_assert_int_eq(memcmp(out, bin, sizeof(bin)), 0);
    ck_assert_int_eq(out[len], '\0');

    /* One byte: the shortest value. */
    ck_assert_int_eq(atl_seal(&sealed, pool, keys, "p", "x", 1), APR_SUCCESS);
    ck_assert_int_eq(version_of(sealed), 0x01);
    ck_assert_uint_eq(strlen(sealed), SEALED_CHARS(1));
    ck_assert_int_eq(atl_unseal(&out, &len, pool, keys, "p", sealed), APR_SUCCESS);
    ck_assert_uint_eq(len, 1);
    ck_assert_str_eq(out, "x");

    /* Empty: refused (OpenSSL before 3.5 cannot SIV-seal it, and the
     * module never seals an empty value). */
    sealed = "unchanged";
    ck_assert_int_eq(atl_seal(&sealed, pool, keys, "p", "", 0), APR_EINVAL);
    ck_assert_ptr_null(sealed);
}
END_TEST

/* How many of n bytes differ. */
static apr_size_t bytes_differing(const unsigned char *a, const unsigned char *b,
                                  apr_size_t n)
{
    apr_size_t i, d = 0;

    for (i = 0; i < n; i++) {
        d += a[i] != b[i];
    }
    return d;
}

/* Two values of plaintexts of the same length: the SIV (the tag, the
 * last 16 bytes) is another, not partly the same, and so is the
 * ciphertext, not only where the plaintexts differ. The inputs are fixed,
 * so the counts are too; a new SIV makes any byte equal by chance with
 * probability 1/256, hence the margins. */
static void assert_unrelated(const char *s1, const char *s2)
{
    apr_size_t n1 = 0, n2 = 0, ctlen;
    const unsigned char *b1 = decoded(s1, &n1), *b2 = decoded(s2, &n2);

    ck_assert_uint_eq(n1, n2);
    ctlen = n1 - ATL_SEAL_OVERHEAD;
    ck_assert_uint_ge(bytes_differing(b1 + 1 + ctlen, b2 + 1 + ctlen, 16), 14);
    ck_assert_uint_ge(bytes_differing(b1 + 1, b2 + 1, ctlen), ctlen * 7 / 8);
}

/* Sealing is deterministic (AES-SIV): the same value and purpose
 * seal to the same string (src/atl_seal.c says when that shows for the
 * module's values). Another secret, purpose or byte of plaintext changes
 * the whole value. */
START_TEST(sealing_is_deterministic)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    atl_seal_keys_t *keys2 = make_keys(secret_a, secret_b);
    atl_seal_keys_t *other = make_keys(secret_b, NULL);
    const char *value = "I1\naacc-123\nt1700000000\nemail@example.com\n";
    char *changed = apr_pstrdup(pool, value);
    const char *s1 = seal_str(keys, "identity", value);

    ck_assert_str_eq(seal_str(keys, "identity", value), s1);
    /* Only the first secret seals. */
    ck_assert_str_eq(seal_str(keys2, "identity", value), s1);
    assert_unrelated(s1, seal_str(other, "identity", value));
    /* Another purpose. */
    ck_assert_str_ne(seal_str(keys, "identitz", value), s1);
    assert_unrelated(s1, seal_str(keys, "identitz", value));
    assert_unrelated(s1, seal_str(keys, "pending", value));
    /* One changed byte of plaintext: first, in the middle, last. */
    changed[0] = 'J';
    assert_unrelated(s1, seal_str(keys, "identity", changed));
    changed[0] = value[0];
    changed[20] ^= 1;
    assert_unrelated(s1, seal_str(keys, "identity", changed));
    changed[20] = value[20];
    changed[strlen(value) - 1] = '\r';
    assert_unrelated(s1, seal_str(keys, "identity", changed));
}
END_TEST

/* Every proper prefix and every one-character change of a value fails;
 * so does another purpose or key. */
START_TEST(every_change_fails)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    atl_seal_keys_t *other = make_keys(secret_b, NULL);
    const char *sealed = seal_str(keys, "login", "I1\naacc-123\nt1700000000\n");
    const char *one = seal_str(keys, "login", "x");
    const char *out;

    ck_assert_int_eq(version_of(sealed), 0x01);
    assert_every_change_fails(keys, "login", sealed);
    assert_every_change_fails(keys, "identity", known_a);
    assert_every_change_fails(keys, "login", one);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "pending", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "login ", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, other, "login", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "login", sealed), APR_SUCCESS);
}
END_TEST

/* Only version 0x01 opens: the same bytes under any other version byte
 * are refused, and the version byte is authenticated too. */
START_TEST(other_version_byte_fails)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    apr_size_t n = 0;
    const unsigned char *orig = decoded(known_a, &n);
    unsigned char *bin = apr_pmemdup(pool, orig, n);
    const char *out;
    int v;

    for (v = 0; v < 256; v++) {
        if (v == 0x01) {
            continue;
        }
        bin[0] = (unsigned char)v;
        ck_assert_int_eq(
            atl_unseal(&out, NULL, pool, keys, "identity",
                       apr_pencode_base64_binary(pool, bin, (apr_ssize_t)n,
                                                 APR_ENCODE_BASE64URL, NULL)),
            ATL_E_UNSEAL);
    }
}
END_TEST

START_TEST(tamper_every_position)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *sealed = seal_str(keys, "identity", "account=alice;admin=0");
    apr_size_t n = strlen(sealed), i;
    const char *out;

    for (i = 0; i < n; i++) {
        char *t = apr_pstrdup(pool, sealed);
        /* Replace by a different base64url character. */
        t[i] = t[i] == 'A' ? 'B' : 'A';
        out = "unchanged";
        ck_assert_msg(atl_unseal(&out, NULL, pool, keys, "identity", t) == ATL_E_UNSEAL,
                      "tampered position %u unsealed", (unsigned)i);
        ck_assert_ptr_null(out);
        /* The other alphabet's spelling of a char must not pass either. */
        t = apr_pstrdup(pool, sealed);
        if (t[i] == '-' || t[i] == '_') {
            t[i] = t[i] == '-' ? '+' : '/';
            ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", t),
                             ATL_E_UNSEAL);
        }
    }
}
END_TEST

START_TEST(truncation_and_extension_fail)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *sealed = seal_str(keys, "identity", "some value to protect");
    apr_size_t n = strlen(sealed), cut;
    const char *out;

    for (cut = 0; cut < n; cut++) {
        const char *t = apr_pstrndup(pool, sealed, cut);
        ck_assert_msg(atl_unseal(&out, NULL, pool, keys, "identity", t) == ATL_E_UNSEAL,
                      "truncated to %u unsealed", (unsigned)cut);
    }
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity",
                                apr_pstrcat(pool, sealed, "A", NULL)),
                     ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity",
                                apr_pstrcat(pool, sealed, "==", NULL)),
                     ATL_E_UNSEAL);
}
END_TEST

START_TEST(wrong_purpose_fails)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *sealed = seal_str(keys, "identity", "value");
    const char *out;

    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "pending", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identit", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "", sealed), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", sealed), APR_SUCCESS);
}
END_TEST

START_TEST(rotation)
{
    atl_seal_keys_t *ka = make_keys(secret_a, NULL);
    atl_seal_keys_t *kba = make_keys(secret_b, secret_a);
    atl_seal_keys_t *kb = make_keys(secret_b, NULL);
    const char *sealed_a = seal_str(ka, "identity", "rotated value");
    const char *sealed_ba = seal_str(kba, "identity", "new value");
    const char *out = NULL;

    ck_assert_int_eq(atl_unseal(&out, NULL, pool, kba, "identity", sealed_a),
                     APR_SUCCESS);
    ck_assert_str_eq(out, "rotated value");
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, kb, "identity", sealed_a),
                     ATL_E_UNSEAL);
    /* The first secret seals: [B, A] seals with B. */
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, kb, "identity", sealed_ba),
                     APR_SUCCESS);
    ck_assert_str_eq(out, "new value");
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, ka, "identity", sealed_ba),
                     ATL_E_UNSEAL);
}
END_TEST

START_TEST(short_or_missing_secret_refused)
{
    apr_array_header_t *secrets = apr_array_make(pool, 2, sizeof(const char *));
    atl_seal_keys_t *keys = (atl_seal_keys_t *)1;
    const char *errmsg = NULL;
    char s31[32];

    memset(s31, 'x', 31);
    s31[31] = '\0';

    ck_assert_int_eq(atl_seal_keys_make(&keys, &errmsg, pool, secrets), ATL_E_BADINPUT);
    ck_assert_ptr_null(keys);
    ck_assert_ptr_nonnull(errmsg);

    ck_assert_int_eq(atl_seal_keys_make(&keys, &errmsg, pool, NULL), ATL_E_BADINPUT);

    APR_ARRAY_PUSH(secrets, const char *) = secret_a;
    APR_ARRAY_PUSH(secrets, const char *) = s31;
    errmsg = NULL;
    ck_assert_int_eq(atl_seal_keys_make(&keys, &errmsg, pool, secrets), ATL_E_BADINPUT);
    ck_assert_ptr_nonnull(errmsg);
    ck_assert_ptr_null(strstr(errmsg, s31));
    ck_assert_ptr_nonnull(strstr(errmsg, "32"));

    /* Exactly 32 bytes is enough. */
    apr_array_clear(secrets);
    APR_ARRAY_PUSH(secrets, const char *) = "0123456789abcdef0123456789abcdef";
    ck_assert_int_eq(atl_seal_keys_make(&keys, &errmsg, pool, secrets), APR_SUCCESS);
    ck_assert_ptr_nonnull(keys);
}
END_TEST

START_TEST(garbage_fails)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    const char *out = "x";
    char *big;

    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", NULL), ATL_E_UNSEAL);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", ""), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", "A"), ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", "!!!!not base64!!!!"),
                     ATL_E_UNSEAL);
    ck_assert_int_eq(
        atl_unseal(&out, NULL, pool, keys, "identity",
                   "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, NULL, "identity", "AAAA"),
                     ATL_E_UNSEAL);
    /* No ciphertext (never written), then one byte and a tag of zeros. */
    ck_assert_int_eq(
        atl_unseal(&out, NULL, pool, keys, "identity", "AQAAAAAAAAAAAAAAAAAAAAA"),
        ATL_E_UNSEAL);
    ck_assert_int_eq(
        atl_unseal(&out, NULL, pool, keys, "identity", "AQAAAAAAAAAAAAAAAAAAAAAA"),
        ATL_E_UNSEAL);
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity",
                                "AwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                     ATL_E_UNSEAL);
    /* Over the size limit: refused before decoding. */
    big = apr_palloc(pool, 70000);
    memset(big, 'A', 69999);
    big[69999] = '\0';
    ck_assert_int_eq(atl_unseal(&out, NULL, pool, keys, "identity", big), ATL_E_UNSEAL);
}
END_TEST

/* Whatever atl_seal accepts, atl_unseal takes back: the plaintext limit
 * follows from the limit on sealed values (found by fuzz/fuzz_seal_roundtrip:
 * a 60,000-byte value sealed, then never unsealed). */
START_TEST(every_sealed_size_unseals)
{
    atl_seal_keys_t *keys = make_keys(secret_a, NULL);
    static const apr_size_t sizes[] = {ATL_SEAL_MAX_PLAIN - 1, ATL_SEAL_MAX_PLAIN,
                                       ATL_SEAL_MAX_PLAIN + 1, 60000, 65536};
    char *big = apr_palloc(pool, 65536);
    const char *sealed, *out;
    apr_size_t i, len;

    memset(big, 'x', 65536);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        apr_status_t rv = atl_seal(&sealed, pool, keys, "identity", big, sizes[i]);

        if (sizes[i] <= ATL_SEAL_MAX_PLAIN) {
            ck_assert_int_eq(rv, APR_SUCCESS);
            ck_assert_int_eq(version_of(sealed), 0x01);
            ck_assert_uint_eq(strlen(sealed), SEALED_CHARS(sizes[i]));
            ck_assert_uint_le(strlen(sealed), ATL_SEAL_MAX_SEALED);
            ck_assert_int_eq(atl_unseal(&out, &len, pool, keys, "identity", sealed),
                             APR_SUCCESS);
            ck_assert_uint_eq(len, sizes[i]);
            ck_assert_int_eq(memcmp(out, big, len), 0);
        }
        else {
            ck_assert_msg(rv == APR_EINVAL, "%u bytes sealed", (unsigned)sizes[i]);
            ck_assert_ptr_null(sealed);
        }
    }
}
END_TEST

START_TEST(equal_constant_time_semantics)
{
    ck_assert_int_eq(atl_seal_equal("abc", "abc"), 1);
    ck_assert_int_eq(atl_seal_equal("", ""), 1);
    ck_assert_int_eq(atl_seal_equal("abc", "abd"), 0);
    ck_assert_int_eq(atl_seal_equal("abc", "ab"), 0);
    ck_assert_int_eq(atl_seal_equal("ab", "abc"), 0);
    ck_assert_int_eq(atl_seal_equal("", "a"), 0);
    ck_assert_int_eq(atl_seal_equal(NULL, "a"), 0);
    ck_assert_int_eq(atl_seal_equal("a", NULL), 0);
    ck_assert_int_eq(atl_seal_equal(NULL, NULL), 0);
}
END_TEST

START_TEST(keyed_hash)
{
    atl_seal_keys_t *a = make_keys(secret_a, NULL);
    atl_seal_keys_t *a2 = make_keys(secret_a, secret_b);
    atl_seal_keys_t *b = make_keys(secret_b, secret_a);
    const char *h1 = NULL, *h2 = NULL, *h3 = NULL, *h4 = NULL, *h5 = NULL;

    ck_assert_int_eq(atl_seal_hash(&h1, pool, a, "refresh", "tok", 3), APR_SUCCESS);
    ck_assert_int_eq(strlen(h1), 64);
    ck_assert_int_eq(strspn(h1, "0123456789abcdef"), 64);
    /* Stable, keyed by the first secret only, bound to the purpose. */
    ck_assert_int_eq(atl_seal_hash(&h2, pool, a2, "refresh", "tok", 3), APR_SUCCESS);
    ck_assert_str_eq(h1, h2);
    ck_assert_int_eq(atl_seal_hash(&h3, pool, b, "refresh", "tok", 3), APR_SUCCESS);
    ck_assert_str_ne(h1, h3);
    ck_assert_int_eq(atl_seal_hash(&h4, pool, a, "refresh2", "tok", 3), APR_SUCCESS);
    ck_assert_str_ne(h1, h4);
    ck_assert_int_eq(atl_seal_hash(&h5, pool, a, "refresh", "tok2", 4), APR_SUCCESS);
    ck_assert_str_ne(h1, h5);
    /* The purpose ends where the data begins. */
    ck_assert_int_eq(atl_seal_hash(&h4, pool, a, "refres", "htok", 4), APR_SUCCESS);
    ck_assert_str_ne(h1, h4);
    ck_assert_int_eq(atl_seal_hash(&h5, pool, NULL, "refresh", "tok", 3), ATL_E_BADINPUT);
    ck_assert_ptr_null(h5);
}
END_TEST

static Suite *seal_suite(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, known_values);
    tcase_add_test(tc, known_values_after_rotation);
    tcase_add_test(tc, unreleased_seals_refused);
    tcase_add_test(tc, round_trip_binary_and_empty);
    tcase_add_test(tc, sealing_is_deterministic);
    tcase_add_test(tc, every_change_fails);
    tcase_add_test(tc, other_version_byte_fails);
    tcase_add_test(tc, tamper_every_position);
    tcase_add_test(tc, truncation_and_extension_fail);
    tcase_add_test(tc, wrong_purpose_fails);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, short_or_missing_secret_refused);
    tcase_add_test(tc, garbage_fails);
    tcase_add_test(tc, every_sealed_size_unseals);
    tcase_add_test(tc, equal_constant_time_semantics);
    tcase_add_test(tc, keyed_hash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(seal_suite());
}
