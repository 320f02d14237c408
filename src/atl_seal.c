/* Sealing of the module's session values with AES-256-GCM.
 *
 * A sealed value is base64url (no padding) of
 *
 *     version (1 byte, 0x01) | IV (12 bytes) | ciphertext | tag (16 bytes)
 *
 * and the additional authenticated data is the version byte followed by the
 * purpose string, so a value sealed for one purpose never unseals for
 * another and a value of another format version never authenticates. */

#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "atl_seal.h"

#define SEAL_VERSION  0x01
#define SEAL_KEY_LEN  32
#define SEAL_IV_LEN   12
#define SEAL_TAG_LEN  16
#define SEAL_OVERHEAD (1 + SEAL_IV_LEN + SEAL_TAG_LEN)

/* A sealed value longer than this is refused before any decoding, so a
 * hostile cookie cannot make us allocate or decrypt much. A plaintext is
 * at most as long as fits in it, so that every sealed value unseals. */
#define SEAL_MAX_SEALED ATL_SEAL_MAX_SEALED
#define SEAL_MAX_PLAIN  (SEAL_MAX_SEALED / 4 * 3 - SEAL_OVERHEAD)

#if SEAL_MAX_PLAIN != ATL_SEAL_MAX_PLAIN
#error "ATL_SEAL_MAX_PLAIN in atl_seal.h does not match the format"
#endif

static const char hkdf_info[] = "mod_auth_atlassian session seal v1";
/* A separate key, from the first secret, for keyed hashes (atl_seal_hash):
 * a hash never reveals anything about the sealing keys. */
static const char hkdf_info_hash[] = "mod_auth_atlassian keyed hash v1";

struct atl_seal_keys_t {
    int count;
    unsigned char (*key)[SEAL_KEY_LEN];
    unsigned char hash_key[SEAL_KEY_LEN];
    const EVP_CIPHER *cipher; /* seal_gcm, or EVP_aes_256_gcm() */
#if APR_HAS_THREADS
    /* Each thread's decryption context, made on its first unseal and kept
     * (freed when the thread ends): a new context on every request costs
     * more than the decryption itself. NULL: a new one each time. */
    apr_threadkey_t *ctx_key;
#endif
};

#if APR_HAS_THREADS
static void thread_ctx_free(void *ctx)
{
    EVP_CIPHER_CTX_free(ctx);
}
#endif

/* A decryption context for this thread; *owned: the caller frees it. */
static EVP_CIPHER_CTX *thread_ctx(const atl_seal_keys_t *keys, int *owned)
{
    EVP_CIPHER_CTX *ctx;

    *owned = 1;
#if APR_HAS_THREADS
    if (keys->ctx_key) {
        void *v = NULL;

        if (apr_threadkey_private_get(&v, keys->ctx_key) == APR_SUCCESS && v) {
            *owned = 0;
            return v;
        }
        ctx = EVP_CIPHER_CTX_new();
        if (ctx && apr_threadkey_private_set(ctx, keys->ctx_key) == APR_SUCCESS) {
            *owned = 0;
        }
        return ctx;
    }
#endif
    return EVP_CIPHER_CTX_new();
}

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
/* AES-256-GCM fetched once per process, at startup (with OpenSSL 3,
 * EVP_aes_256_gcm() makes every init fetch the implementation again). It
 * is never freed: the pool cleanups of a configuration may run after
 * OpenSSL's own atexit cleanup (httpd children end with exit()), and
 * freeing it then would touch memory OpenSSL has already released. It is
 * written only while the configuration is read, which is single-threaded. */
static EVP_CIPHER *seal_gcm;
#endif

static apr_status_t keys_cleanup(void *data)
{
    atl_seal_keys_t *keys = data;

    if (keys->key) {
        OPENSSL_cleanse(keys->key, (size_t)keys->count * SEAL_KEY_LEN);
    }
    OPENSSL_cleanse(keys->hash_key, SEAL_KEY_LEN);
    return APR_SUCCESS;
}

static const EVP_CIPHER *keys_cipher(const atl_seal_keys_t *keys)
{
    return keys->cipher ? keys->cipher : EVP_aes_256_gcm();
}

static int derive_key(unsigned char *out, const char *secret, size_t len,
                      const char *info)
{
    EVP_PKEY_CTX *pctx;
    size_t outlen = SEAL_KEY_LEN;
    int ok = 0;

    pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    if (pctx == NULL) {
        return 0;
    }
    if (EVP_PKEY_derive_init(pctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) > 0
        && EVP_PKEY_CTX_set1_hkdf_key(pctx, (const unsigned char *)secret, (int)len) > 0
        && EVP_PKEY_CTX_add1_hkdf_info(pctx, (const unsigned char *)info,
                                       (int)strlen(info))
               > 0
        && EVP_PKEY_derive(pctx, out, &outlen) > 0 && outlen == SEAL_KEY_LEN) {
        ok = 1;
    }
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

    k = apr_pcalloc(p, sizeof(*k));
    k->count = secrets->nelts;
    k->key = apr_pcalloc(p, (apr_size_t)k->count * SEAL_KEY_LEN);
    /* Registered before the keys exist, so that a failure half-way still
     * wipes whatever was derived. */
    apr_pool_cleanup_register(p, k, keys_cleanup, apr_pool_cleanup_null);

    for (i = 0; i < secrets->nelts; i++) {
        const char *s = APR_ARRAY_IDX(secrets, i, const char *);
        if (!derive_key(k->key[i], s, strlen(s), hkdf_info)
            || (i == 0 && !derive_key(k->hash_key, s, strlen(s), hkdf_info_hash))) {
            *errmsg = "deriving the session key failed (OpenSSL HKDF)";
            return APR_EGENERAL;
        }
    }
#if APR_HAS_THREADS
    if (apr_threadkey_private_create(&k->ctx_key, thread_ctx_free, p) != APR_SUCCESS) {
        k->ctx_key = NULL;
    }
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    if (seal_gcm == NULL) {
        seal_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    }
    k->cipher = seal_gcm;
#endif
    *keys = k;
    return APR_SUCCESS;
}

apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *buf, *iv, *ct, *tag;
    unsigned char version = SEAL_VERSION;
    apr_size_t total;
    int outl = 0, finl = 0;
    apr_status_t rv = APR_EGENERAL;

    *sealed = NULL;
    if (keys == NULL || keys->count == 0 || (plain == NULL && len > 0)
        || len > SEAL_MAX_PLAIN) {
        return APR_EINVAL;
    }
    if (purpose == NULL) {
        purpose = "";
    }

    total = SEAL_OVERHEAD + len;
    buf = apr_palloc(p, total);
    buf[0] = version;
    iv = buf + 1;
    ct = iv + SEAL_IV_LEN;
    tag = ct + len;

    if (RAND_bytes(iv, SEAL_IV_LEN) != 1) {
        goto out;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL
        || EVP_EncryptInit_ex(ctx, keys_cipher(keys), NULL, keys->key[0], iv) != 1
        || EVP_EncryptUpdate(ctx, NULL, &outl, &version, 1) != 1
        || EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)purpose,
                             (int)strlen(purpose))
               != 1) {
        goto out;
    }
    outl = 0;
    if (len > 0
        && EVP_EncryptUpdate(ctx, ct, &outl, (const unsigned char *)plain, (int)len)
               != 1) {
        goto out;
    }
    if (EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1
        || (apr_size_t)(outl + finl) != len
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1) {
        goto out;
    }
    *sealed =
        apr_pencode_base64_binary(p, buf, (apr_ssize_t)total, APR_ENCODE_BASE64URL, NULL);
    rv = *sealed ? APR_SUCCESS : APR_ENOMEM;

out:
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

/* Decrypt ct under one key. On failure the output buffer is wiped: GCM
 * writes plaintext before the tag is checked. */
static int open_with(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher,
                     const unsigned char *key, const unsigned char *buf, apr_size_t ctlen,
                     const char *purpose, unsigned char *out)
{
    const unsigned char *iv = buf + 1;
    const unsigned char *ct = iv + SEAL_IV_LEN;
    unsigned char tag[SEAL_TAG_LEN];
    int outl = 0, finl = 0;

    memcpy(tag, ct + ctlen, SEAL_TAG_LEN);
    /* A context that has the cipher already keeps it: only the key and
     * the IV are set, and the state of the last message is reset. */
    if (EVP_CIPHER_CTX_get0_cipher(ctx) != NULL
        && EVP_CIPHER_CTX_get0_cipher(ctx) != cipher && EVP_CIPHER_CTX_reset(ctx) != 1) {
        return 0;
    }
    if (EVP_DecryptInit_ex(ctx, EVP_CIPHER_CTX_get0_cipher(ctx) ? NULL : cipher, NULL,
                           key, iv)
            != 1
        || EVP_DecryptUpdate(ctx, NULL, &outl, buf, 1) != 1
        || EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)purpose,
                             (int)strlen(purpose))
               != 1) {
        return 0;
    }
    outl = 0;
    if (ctlen > 0 && EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen) != 1) {
        OPENSSL_cleanse(out, ctlen);
        return 0;
    }
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1
        || EVP_DecryptFinal_ex(ctx, out + outl, &finl) != 1
        || (apr_size_t)(outl + finl) != ctlen) {
        OPENSSL_cleanse(out, ctlen);
        return 0;
    }
    return 1;
}

apr_status_t atl_unseal(const char **plain, apr_size_t *len, apr_pool_t *p,
                        const atl_seal_keys_t *keys, const char *purpose,
                        const char *sealed)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *buf, *out;
    apr_size_t slen, blen = 0, ctlen, want;
    apr_status_t rv = ATL_E_UNSEAL;
    int i, owned = 1;

    *plain = NULL;
    if (len) {
        *len = 0;
    }
    if (keys == NULL || keys->count == 0 || sealed == NULL) {
        return ATL_E_UNSEAL;
    }
    if (purpose == NULL) {
        purpose = "";
    }
    /* Bounded length check: never scan far into a hostile value. */
    slen = strnlen(sealed, SEAL_MAX_SEALED + 1);
    if (slen > SEAL_MAX_SEALED || slen < 4 * SEAL_OVERHEAD / 3) {
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
        || blen != want || blen < SEAL_OVERHEAD || buf[0] != SEAL_VERSION) {
        return ATL_E_UNSEAL;
    }
    {
        apr_size_t tail = blen % 3 ? blen % 3 : 3, tlen = 0;
        char last[5];

        if (apr_encode_base64_binary(last, buf + blen - tail, (apr_ssize_t)tail,
                                     APR_ENCODE_BASE64URL, &tlen)
                != APR_SUCCESS
            || tlen > slen || memcmp(last, sealed + slen - tlen, tlen) != 0) {
            return ATL_E_UNSEAL;
        }
    }

    ctlen = blen - SEAL_OVERHEAD;
    out = apr_palloc(p, ctlen + 1);
    ctx = thread_ctx(keys, &owned);
    if (ctx == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < keys->count; i++) {
        if (open_with(ctx, keys_cipher(keys), keys->key[i], buf, ctlen, purpose, out)) {
            out[ctlen] = '\0';
            *plain = (const char *)out;
            if (len) {
                *len = ctlen;
            }
            rv = APR_SUCCESS;
            break;
        }
    }
    if (owned) {
        EVP_CIPHER_CTX_free(ctx);
    }
    return rv;
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
    const char *out;

    *hex = NULL;
    if (keys == NULL || keys->count == 0 || purpose == NULL
        || (data == NULL && len > 0)) {
        return ATL_E_BADINPUT;
    }
    /* purpose, a NUL, then the data: one purpose's hash never equals
     * another's. */
    {
        apr_size_t plen = strlen(purpose) + 1;
        unsigned char *msg = apr_palloc(p, plen + len + 1);

        memcpy(msg, purpose, plen);
        if (len) {
            memcpy(msg + plen, data, len);
        }
        if (HMAC(EVP_sha256(), keys->hash_key, SEAL_KEY_LEN, msg, plen + len, mac,
                 &maclen)
            == NULL) {
            return APR_EGENERAL;
        }
    }
    out = apr_pencode_base16_binary(p, mac, maclen, APR_ENCODE_LOWER, NULL);
    if (out == NULL) {
        return APR_EGENERAL;
    }
    *hex = out;
    return APR_SUCCESS;
}
