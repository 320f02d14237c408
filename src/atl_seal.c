/* SPDX-License-Identifier: Apache-2.0 */
/* Sealing of the module's session values with AES-256-SIV (RFC 5297),
 * specified in docs/storage-format.md ("The seal", which also says what
 * deterministic sealing shows of the module's values). A sealed value is
 * base64url (no padding) of
 *
 *     0x01 | ciphertext (as long as the text, at least 1) | SIV (16 bytes)
 *
 * The associated data is one S2V component: the version byte followed by
 * the purpose string (which names the kind of value and the client ID).
 * The SIV is also the tag. OpenSSL hands it over apart from the
 * ciphertext; it goes last because atl_logincache.c compares the end of a
 * value first, in constant time. Keys: HKDF-SHA256 of each
 * AtlassianSessionSecret; the first secret seals, every secret is tried
 * in turn when unsealing. */

#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "atl_seal.h"

#define SEAL_VERSION  0x01
#define SEAL_KEY_LEN  64 /* AES-256-SIV: a CMAC key and a CTR key */
#define SEAL_HASH_LEN 32
#define SEAL_TAG_LEN  16

#if 1 + SEAL_TAG_LEN != ATL_SEAL_OVERHEAD
#error "ATL_SEAL_OVERHEAD in atl_seal.h does not match the format"
#endif

static const char hkdf_info_seal[] = "mod_auth_atlassian seal AES-256-SIV";
/* A separate key, from the first secret, for keyed hashes (atl_seal_hash):
 * a hash never reveals anything about the sealing keys. */
static const char hkdf_info_hash[] = "mod_auth_atlassian keyed hash";

struct atl_seal_keys_t {
    int count;
    unsigned char (*key)[SEAL_KEY_LEN]; /* one per secret */
    unsigned char hash_key[SEAL_HASH_LEN];
};

/* AES-256-SIV, fetched once per process, at startup (OpenSSL 3 has no
 * EVP_aes_256_siv()). Never freed: the pool cleanups of a configuration
 * may run after OpenSSL's own atexit cleanup (httpd children end with
 * exit()), and freeing it then would touch memory OpenSSL has already
 * released. Written only while the configuration is read, which is
 * single-threaded. */
static EVP_CIPHER *seal_siv;

static apr_status_t keys_cleanup(void *data)
{
    atl_seal_keys_t *keys = data;

    OPENSSL_cleanse(keys->key, (size_t)keys->count * SEAL_KEY_LEN);
    OPENSSL_cleanse(keys->hash_key, SEAL_HASH_LEN);
    return APR_SUCCESS;
}

/* HKDF-SHA256 of a secret into outlen bytes of out. */
static int derive_key(unsigned char *out, size_t outlen, const char *secret,
                      const char *info)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t got = outlen;
    int ok;

    ok = pctx && EVP_PKEY_derive_init(pctx) > 0
         && EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) > 0
         && EVP_PKEY_CTX_set1_hkdf_key(pctx, (const unsigned char *)secret,
                                       (int)strlen(secret))
                > 0
         && EVP_PKEY_CTX_add1_hkdf_info(pctx, (const unsigned char *)info,
                                        (int)strlen(info))
                > 0
         && EVP_PKEY_derive(pctx, out, &got) > 0 && got == outlen;
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

apr_status_t atl_seal_keys_make(atl_seal_keys_t **keys, const char **errmsg,
                                apr_pool_t *p, const apr_array_header_t *secrets)
{
    atl_seal_keys_t *k;
    int i;

    *keys = NULL;
    *errmsg = NULL;
    if (secrets == NULL || secrets->nelts == 0) {
        *errmsg = "no session secret given";
        return ATL_E_BADINPUT;
    }
    for (i = 0; i < secrets->nelts; i++) {
        const char *s = APR_ARRAY_IDX(secrets, i, const char *);

        if (s == NULL || strlen(s) < ATL_SEAL_MIN_SECRET) {
            *errmsg = apr_psprintf(p, "session secret number %d is shorter than %d bytes",
                                   i + 1, ATL_SEAL_MIN_SECRET);
            return ATL_E_BADINPUT;
        }
    }
    if (seal_siv == NULL
        && (seal_siv = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL)) == NULL) {
        *errmsg = "OpenSSL offers no AES-256-SIV (is only a FIPS provider loaded?)";
        return APR_ENOTIMPL;
    }

    k = apr_pcalloc(p, sizeof(*k));
    k->count = secrets->nelts;
    k->key = apr_pcalloc(p, (apr_size_t)k->count * SEAL_KEY_LEN);
    /* Registered before the keys exist, so that a failure half-way still
     * wipes whatever was derived. */
    apr_pool_cleanup_register(p, k, keys_cleanup, apr_pool_cleanup_null);
    for (i = 0; i < secrets->nelts; i++) {
        const char *s = APR_ARRAY_IDX(secrets, i, const char *);

        if (!derive_key(k->key[i], SEAL_KEY_LEN, s, hkdf_info_seal)
            || (i == 0 && !derive_key(k->hash_key, SEAL_HASH_LEN, s, hkdf_info_hash))) {
            *errmsg = "deriving the session key failed (OpenSSL HKDF)";
            return APR_EGENERAL;
        }
    }
    *keys = k;
    return APR_SUCCESS;
}

/* The associated data: the version byte, then the purpose. */
static unsigned char *seal_aad(apr_size_t *aadlen, apr_pool_t *p, const char *purpose)
{
    apr_size_t n = strlen(purpose);
    unsigned char *aad = apr_palloc(p, n + 1);

    aad[0] = SEAL_VERSION;
    memcpy(aad + 1, purpose, n);
    *aadlen = n + 1;
    return aad;
}

apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf, *aad;
    apr_size_t aadlen;
    int outl = 0, finl = 0, ok;

    *sealed = NULL;
    /* An empty text is refused: OpenSSL before 3.5 cannot SIV-seal it, and
     * none of the module's values is empty. */
    if (keys == NULL || plain == NULL || len == 0 || len > ATL_SEAL_MAX_PLAIN) {
        return APR_EINVAL;
    }
    aad = seal_aad(&aadlen, p, purpose ? purpose : "");
    buf = apr_palloc(p, ATL_SEAL_OVERHEAD + len);
    buf[0] = SEAL_VERSION;
    /* SIV makes two passes over the text (S2V, then CTR under the SIV):
     * OpenSSL takes the associated data in updates without output before
     * the text in one single update; the SIV is read after the final. */
    ctx = EVP_CIPHER_CTX_new();
    ok = ctx && EVP_EncryptInit_ex(ctx, seal_siv, NULL, keys->key[0], NULL) == 1
         && EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) == 1
         && EVP_EncryptUpdate(ctx, buf + 1, &outl, (const unsigned char *)plain, (int)len)
                == 1
         && (apr_size_t)outl == len && EVP_EncryptFinal_ex(ctx, buf + 1 + len, &finl) == 1
         && finl == 0
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_LEN, buf + 1 + len)
                == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        return APR_EGENERAL;
    }
    *sealed = apr_pencode_base64_binary(p, buf, (apr_ssize_t)(ATL_SEAL_OVERHEAD + len),
                                        APR_ENCODE_BASE64URL, NULL);
    return *sealed ? APR_SUCCESS : APR_ENOMEM;
}

/* Open the ctlen bytes of text of buf under one key into out. The SIV is
 * set before any update, as OpenSSL requires; the one update of the text
 * fails when it does not verify, and the final says so again. On failure
 * out is wiped: the text is decrypted before it is checked. */
static int open_with(EVP_CIPHER_CTX *ctx, const unsigned char *key,
                     const unsigned char *buf, apr_size_t ctlen, const unsigned char *aad,
                     apr_size_t aadlen, unsigned char *out)
{
    unsigned char tag[SEAL_TAG_LEN];
    int outl = 0, finl = 0;

    memcpy(tag, buf + 1 + ctlen, SEAL_TAG_LEN);
    /* A fresh init with the key for every attempt: OpenSSL 3.0 resets the
     * state of SIV only when a key is set. */
    if (EVP_DecryptInit_ex(ctx, seal_siv, NULL, key, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_LEN, tag) != 1
        || EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1) {
        return 0;
    }
    if (EVP_DecryptUpdate(ctx, out, &outl, buf + 1, (int)ctlen) != 1
        || (apr_size_t)outl != ctlen || EVP_DecryptFinal_ex(ctx, out + outl, &finl) != 1
        || finl != 0) {
        OPENSSL_cleanse(out, ctlen);
        return 0;
    }
    return 1;
}

apr_status_t atl_unseal(const char **plain, apr_size_t *len, apr_pool_t *p,
                        const atl_seal_keys_t *keys, const char *purpose,
                        const char *sealed)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf, *out, *aad;
    apr_size_t slen, blen = 0, want, aadlen, tail, tlen = 0;
    char last[5];
    int i;

    *plain = NULL;
    if (len) {
        *len = 0;
    }
    if (keys == NULL || sealed == NULL) {
        return ATL_E_UNSEAL;
    }
    /* Bounded length check: never scan far into a hostile value. The
     * shortest value holds one byte of text. */
    slen = strnlen(sealed, ATL_SEAL_MAX_SEALED + 1);
    if (slen > ATL_SEAL_MAX_SEALED || slen < ((ATL_SEAL_OVERHEAD + 1) * 4 + 2) / 3) {
        return ATL_E_UNSEAL;
    }
    /* Only the one canonical spelling is accepted, so that every change to
     * the string is a failure. The decoder accepts both alphabets and
     * padding, and ignores the unused low bits of the last character: the
     * other alphabet and padding are refused here, a length no encoding
     * has too, and the last characters must be what the last bytes encode
     * to. One pass of decoding into a buffer of the exact size. */
    if (slen % 4 == 1 || strpbrk(sealed, "+/=") != NULL) {
        return ATL_E_UNSEAL;
    }
    want = slen / 4 * 3 + (slen % 4 ? slen % 4 - 1 : 0);
    buf = apr_palloc(p, want + 1);
    if (apr_decode_base64_binary(buf, sealed, (apr_ssize_t)slen, APR_ENCODE_NONE, &blen)
            != APR_SUCCESS
        || blen != want || buf[0] != SEAL_VERSION) {
        return ATL_E_UNSEAL;
    }
    tail = blen % 3 ? blen % 3 : 3;
    if (apr_encode_base64_binary(last, buf + blen - tail, (apr_ssize_t)tail,
                                 APR_ENCODE_BASE64URL, &tlen)
            != APR_SUCCESS
        || tlen > slen || memcmp(last, sealed + slen - tlen, tlen) != 0) {
        return ATL_E_UNSEAL;
    }

    aad = seal_aad(&aadlen, p, purpose ? purpose : "");
    out = apr_palloc(p, blen - ATL_SEAL_OVERHEAD + 1);
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < keys->count; i++) {
        if (open_with(ctx, keys->key[i], buf, blen - ATL_SEAL_OVERHEAD, aad, aadlen,
                      out)) {
            out[blen - ATL_SEAL_OVERHEAD] = '\0';
            *plain = (const char *)out;
            if (len) {
                *len = blen - ATL_SEAL_OVERHEAD;
            }
            break;
        }
    }
    EVP_CIPHER_CTX_free(ctx);
    return *plain ? APR_SUCCESS : ATL_E_UNSEAL;
}

int atl_seal_equal(const char *a, const char *b)
{
    size_t la, lb;
    int diff;

    if (a == NULL || b == NULL) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    /* When the lengths differ, b is compared with itself so that the time
     * taken depends on the lengths only, never on the content. */
    diff = CRYPTO_memcmp(la == lb ? a : b, b, lb);
    return la == lb && diff == 0;
}

apr_status_t atl_seal_hash(const char **hex, apr_pool_t *p, const atl_seal_keys_t *keys,
                           const char *purpose, const char *data, apr_size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    apr_size_t plen;
    unsigned char *msg;

    *hex = NULL;
    if (keys == NULL || purpose == NULL || (data == NULL && len > 0)) {
        return ATL_E_BADINPUT;
    }
    /* purpose, a NUL, then the data: one purpose's hash never equals
     * another's. */
    plen = strlen(purpose) + 1;
    msg = apr_palloc(p, plen + len + 1);
    memcpy(msg, purpose, plen);
    if (len) {
        memcpy(msg + plen, data, len);
    }
    if (HMAC(EVP_sha256(), keys->hash_key, SEAL_HASH_LEN, msg, plen + len, mac, &maclen)
        == NULL) {
        return APR_EGENERAL;
    }
    *hex = apr_pencode_base16_binary(p, mac, maclen, APR_ENCODE_LOWER, NULL);
    return *hex ? APR_SUCCESS : APR_EGENERAL;
}
