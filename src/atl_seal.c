/* Sealing of the module's session values: AES-256-SIV, and AES-256-GCM
 * for values sealed before it.
 *
 * A sealed value is base64url (no padding) of one of
 *
 *     0x02 | ciphertext | SIV (16 bytes)                   AES-256-SIV
 *     0x01 | IV (12 bytes) | ciphertext | tag (16 bytes)   AES-256-GCM
 *
 * The first byte, the format version, decides the algorithm. atl_seal
 * writes 0x02 (17 bytes of overhead rather than 29: httpd's cost per
 * request grows with the cookie's length), except for an empty plaintext,
 * which OpenSSL before 3.5 cannot seal with SIV, and when libcrypto has no
 * AES-256-SIV (OpenSSL 1.1.1, a FIPS-only provider): those are 0x01.
 * atl_unseal reads both, so values sealed as 0x01 stay valid.
 *
 * The additional authenticated data is the version byte followed by the
 * purpose string: for 0x02 as one associated-data component of RFC 5297's
 * S2V (there is no nonce component), for 0x01 as GCM's AAD. A value
 * sealed for one purpose never unseals for another, and a value never
 * authenticates as another format version.
 *
 * The SIV is RFC 5297's synthetic IV, which is also the tag. OpenSSL hands
 * it over apart from the ciphertext. It goes last, where the GCM tag is
 * (RFC 5297 puts it first), because atl_logincache.c compares the end of
 * a value first, in constant time. A 0x02 value holds at least one byte of
 * ciphertext.
 *
 * 0x02 is deterministic: the same plaintext and purpose under the same
 * secret give the same value, so whoever reads sealed values learns which
 * ones are equal (with 0x01 a random IV made every value new). Nothing
 * more: one changed byte of plaintext or purpose gives another SIV, and
 * with it another keystream for the whole ciphertext. Of what the module
 * seals, pending logins and a kept POST carry a random state, a group
 * check its time, a refresh outcome new tokens, and a login its login time
 * to the second, with tokens only when it keeps them (AtlassianRefresh,
 * AtlassianPassAccessToken, group checks). Equal values are thus the same
 * thing sealed again, and that shows in three cases. Two logins of one
 * account, with the same profile, in the same second, give the same
 * cookie value (nothing on the server tells sessions apart by value: the
 * memo of logins maps it to the same login, a logout only empties its own
 * session). Two shared group checks (mod_atl_groups.c) with the same
 * outcome in the same second are the same value, since the outcome does
 * not name the account (its cache key, a keyed hash, does): whoever reads
 * AtlassianCache sees that two users are in the same configured groups.
 * The shared refresh outcome "the refresh token was refused"
 * (atl_refresh.c) is one constant in AtlassianCache, which its length
 * alone already tells from any other. */

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

#define SEAL_V1          0x01 /* AES-256-GCM, random IV */
#define SEAL_V2          0x02 /* AES-256-SIV, deterministic */
#define SEAL_KEY_LEN     32   /* AES-256-GCM, and the keyed hash */
#define SEAL_SIV_KEY_LEN 64   /* AES-256-SIV: a CMAC key and a CTR key */
#define SEAL_IV_LEN      12
#define SEAL_TAG_LEN     16
#define SEAL_OVERHEAD_V1 (1 + SEAL_IV_LEN + SEAL_TAG_LEN)
#define SEAL_OVERHEAD_V2 (1 + SEAL_TAG_LEN)

/* A sealed value longer than this is refused before any decoding, so a
 * hostile cookie cannot make us allocate or decrypt much. A plaintext is
 * at most as long as fits in it with the larger overhead (0x01), so that
 * every sealed value unseals, whichever version atl_seal writes. */
#define SEAL_MAX_SEALED ATL_SEAL_MAX_SEALED
#define SEAL_MAX_PLAIN  (SEAL_MAX_SEALED / 4 * 3 - SEAL_OVERHEAD_V1)

#if SEAL_MAX_PLAIN != ATL_SEAL_MAX_PLAIN
#error "ATL_SEAL_MAX_PLAIN in atl_seal.h does not match the format"
#endif
#if SEAL_OVERHEAD_V2 != ATL_SEAL_OVERHEAD || SEAL_OVERHEAD_V1 != ATL_SEAL_OVERHEAD_V1
#error "ATL_SEAL_OVERHEAD or ATL_SEAL_OVERHEAD_V1 in atl_seal.h does not match the format"
#endif

/* One key per secret and version: a 0x01 key is never a 0x02 key. */
static const char hkdf_info[] = "mod_auth_atlassian session seal v1";
static const char hkdf_info_siv[] = "mod_auth_atlassian session seal v2 (AES-256-SIV)";
/* A separate key, from the first secret, for keyed hashes (atl_seal_hash):
 * a hash never reveals anything about the sealing keys. */
static const char hkdf_info_hash[] = "mod_auth_atlassian keyed hash v1";

struct atl_seal_keys_t {
    int count;
    unsigned char (*key)[SEAL_KEY_LEN];         /* 0x01, one per secret */
    unsigned char (*siv_key)[SEAL_SIV_KEY_LEN]; /* 0x02, one per secret */
    unsigned char hash_key[SEAL_KEY_LEN];
    const EVP_CIPHER *cipher; /* seal_gcm, or EVP_aes_256_gcm() */
    const EVP_CIPHER *siv;    /* seal_siv; NULL: none, atl_seal writes 0x01 */
#if APR_HAS_THREADS
    /* Each thread's decryption context, made on its first unseal and kept
     * (freed when the thread ends): a new context on every request costs
     * more than the decryption itself. It serves both versions (see
     * ctx_init). NULL: a new one each time. */
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
/* AES-256-GCM and AES-256-SIV fetched once per process, at startup (with
 * OpenSSL 3, EVP_aes_256_gcm() makes every init fetch the implementation
 * again). They are never freed: the pool cleanups of a configuration may
 * run after OpenSSL's own atexit cleanup (httpd children end with exit()),
 * and freeing them then would touch memory OpenSSL has already released.
 * They are written only while the configuration is read, which is
 * single-threaded. seal_siv stays NULL where no provider has AES-256-SIV
 * (FIPS): atl_seal then writes 0x01. */
static EVP_CIPHER *seal_gcm;
static EVP_CIPHER *seal_siv;
#endif

static apr_status_t keys_cleanup(void *data)
{
    atl_seal_keys_t *keys = data;

    if (keys->key) {
        OPENSSL_cleanse(keys->key, (size_t)keys->count * SEAL_KEY_LEN);
    }
    if (keys->siv_key) {
        OPENSSL_cleanse(keys->siv_key, (size_t)keys->count * SEAL_SIV_KEY_LEN);
    }
    OPENSSL_cleanse(keys->hash_key, SEAL_KEY_LEN);
    return APR_SUCCESS;
}

static const EVP_CIPHER *keys_cipher(const atl_seal_keys_t *keys)
{
    return keys->cipher ? keys->cipher : EVP_aes_256_gcm();
}

/* HKDF-SHA256 of a secret into outlen bytes of out. */
static int derive_key(unsigned char *out, size_t outlen, const char *secret, size_t len,
                      const char *info)
{
    EVP_PKEY_CTX *pctx;
    size_t got = outlen;
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
        && EVP_PKEY_derive(pctx, out, &got) > 0 && got == outlen) {
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
    k->siv_key = apr_pcalloc(p, (apr_size_t)k->count * SEAL_SIV_KEY_LEN);
    /* Registered before the keys exist, so that a failure half-way still
     * wipes whatever was derived. */
    apr_pool_cleanup_register(p, k, keys_cleanup, apr_pool_cleanup_null);

    for (i = 0; i < secrets->nelts; i++) {
        const char *s = APR_ARRAY_IDX(secrets, i, const char *);
        if (!derive_key(k->key[i], SEAL_KEY_LEN, s, strlen(s), hkdf_info)
            || !derive_key(k->siv_key[i], SEAL_SIV_KEY_LEN, s, strlen(s), hkdf_info_siv)
            || (i == 0
                && !derive_key(k->hash_key, SEAL_KEY_LEN, s, strlen(s),
                               hkdf_info_hash))) {
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
    if (seal_siv == NULL) {
        seal_siv = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
    }
    k->siv = seal_siv;
#endif
    *keys = k;
    return APR_SUCCESS;
}

/* The additional authenticated data: the version byte, then the purpose. */
static unsigned char *seal_aad(apr_size_t *aadlen, apr_pool_t *p, unsigned char version,
                               const char *purpose)
{
    apr_size_t n = strlen(purpose);
    unsigned char *aad = apr_palloc(p, n + 1);

    aad[0] = version;
    memcpy(aad + 1, purpose, n);
    *aadlen = n + 1;
    return aad;
}

/* 0x01 into buf (SEAL_OVERHEAD_V1 + len bytes), under the first key. */
static int seal_v1(unsigned char *buf, const atl_seal_keys_t *keys,
                   const unsigned char *aad, apr_size_t aadlen, const char *plain,
                   apr_size_t len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *iv = buf + 1, *ct = iv + SEAL_IV_LEN, *tag = ct + len;
    int outl = 0, finl = 0, ok = 0;

    buf[0] = SEAL_V1;
    if (RAND_bytes(iv, SEAL_IV_LEN) != 1) {
        return 0;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL
        || EVP_EncryptInit_ex(ctx, keys_cipher(keys), NULL, keys->key[0], iv) != 1
        || EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1) {
        goto out;
    }
    outl = 0;
    if (len > 0
        && EVP_EncryptUpdate(ctx, ct, &outl, (const unsigned char *)plain, (int)len)
               != 1) {
        goto out;
    }
    if (EVP_EncryptFinal_ex(ctx, ct + outl, &finl) == 1
        && (apr_size_t)(outl + finl) == len
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) == 1) {
        ok = 1;
    }
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* 0x02 into buf (SEAL_OVERHEAD_V2 + len bytes, len > 0), under the first
 * key. SIV makes two passes over the text (S2V, then CTR under the SIV):
 * OpenSSL takes the associated data in updates without output before it,
 * and the text in one single update; the SIV is read after the final. */
static int seal_v2(unsigned char *buf, const atl_seal_keys_t *keys,
                   const unsigned char *aad, apr_size_t aadlen, const char *plain,
                   apr_size_t len)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *ct = buf + 1, *tag = ct + len;
    int outl = 0, finl = 0, ok = 0;

    buf[0] = SEAL_V2;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return 0;
    }
    if (EVP_EncryptInit_ex(ctx, keys->siv, NULL, keys->siv_key[0], NULL) != 1
        || EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1) {
        goto out;
    }
    outl = 0;
    if (EVP_EncryptUpdate(ctx, ct, &outl, (const unsigned char *)plain, (int)len) == 1
        && (apr_size_t)outl == len && EVP_EncryptFinal_ex(ctx, ct + outl, &finl) == 1
        && finl == 0
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_LEN, tag) == 1) {
        ok = 1;
    }
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len)
{
    unsigned char *buf, *aad;
    unsigned char version;
    apr_size_t total, aadlen;
    int ok;

    *sealed = NULL;
    if (keys == NULL || keys->count == 0 || (plain == NULL && len > 0)
        || len > SEAL_MAX_PLAIN) {
        return APR_EINVAL;
    }
    if (purpose == NULL) {
        purpose = "";
    }

    /* An empty text as 0x01: OpenSSL before 3.5 refuses to SIV-seal it,
     * and none of the module's values is empty. */
    version = len > 0 && keys->siv ? SEAL_V2 : SEAL_V1;
    total = (version == SEAL_V2 ? SEAL_OVERHEAD_V2 : SEAL_OVERHEAD_V1) + len;
    buf = apr_palloc(p, total);
    aad = seal_aad(&aadlen, p, version, purpose);
    ok = version == SEAL_V2 ? seal_v2(buf, keys, aad, aadlen, plain, len)
                            : seal_v1(buf, keys, aad, aadlen, plain, len);
    if (!ok) {
        return APR_EGENERAL;
    }
    *sealed =
        apr_pencode_base64_binary(p, buf, (apr_ssize_t)total, APR_ENCODE_BASE64URL, NULL);
    return *sealed ? APR_SUCCESS : APR_ENOMEM;
}

/* Make ctx ready to decrypt with cipher under key. The thread's context
 * serves both versions. One that holds the other cipher is reset first,
 * so that nothing of a GCM message is left for a SIV one or the reverse
 * (without the reset, the first unseal after a change of version fails).
 * One that holds the same cipher keeps it, and gets the key (and IV) of
 * this message: the key is always given, because OpenSSL 3.0 resets the
 * state of SIV only when a key is set (after an init without one, the
 * update of the text fails). */
static int ctx_init(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher,
                    const unsigned char *key, const unsigned char *iv)
{
    const EVP_CIPHER *held = EVP_CIPHER_CTX_get0_cipher(ctx);

    if (held != NULL && held != cipher) {
        if (EVP_CIPHER_CTX_reset(ctx) != 1) {
            return 0;
        }
        held = NULL;
    }
    return EVP_DecryptInit_ex(ctx, held ? NULL : cipher, NULL, key, iv) == 1;
}

/* Open a 0x01 value's ctlen bytes under one key. On failure the output
 * buffer is wiped: GCM writes plaintext before the tag is checked. */
static int open_v1(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher,
                   const unsigned char *key, const unsigned char *buf, apr_size_t ctlen,
                   const unsigned char *aad, apr_size_t aadlen, unsigned char *out)
{
    const unsigned char *iv = buf + 1;
    const unsigned char *ct = iv + SEAL_IV_LEN;
    unsigned char tag[SEAL_TAG_LEN];
    int outl = 0, finl = 0;

    memcpy(tag, ct + ctlen, SEAL_TAG_LEN);
    if (!ctx_init(ctx, cipher, key, iv)
        || EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1) {
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

/* Open a 0x02 value's ctlen bytes (at least one) under one key. The SIV is
 * set before any update, as OpenSSL requires; the one update of the text
 * fails when it does not verify, and the final says so again. On failure
 * the output buffer is wiped: the text is decrypted before it is
 * checked. */
static int open_v2(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher,
                   const unsigned char *key, const unsigned char *buf, apr_size_t ctlen,
                   const unsigned char *aad, apr_size_t aadlen, unsigned char *out)
{
    const unsigned char *ct = buf + 1;
    unsigned char tag[SEAL_TAG_LEN];
    int outl = 0, finl = 0;

    memcpy(tag, ct + ctlen, SEAL_TAG_LEN);
    if (!ctx_init(ctx, cipher, key, NULL)
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_LEN, tag) != 1
        || EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1) {
        return 0;
    }
    outl = 0;
    if (EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen) != 1
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
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *buf, *out, *aad;
    apr_size_t slen, blen = 0, ctlen, want, aadlen;
    apr_status_t rv = ATL_E_UNSEAL;
    int i, owned = 1, ok;

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
    /* Bounded length check: never scan far into a hostile value. The
     * shortest value is a 0x02 one of one byte of text. */
    slen = strnlen(sealed, SEAL_MAX_SEALED + 1);
    if (slen > SEAL_MAX_SEALED || slen < ((SEAL_OVERHEAD_V2 + 1) * 4 + 2) / 3) {
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
        || blen != want) {
        return ATL_E_UNSEAL;
    }
    /* The version, and the least length of each: 0x02 has no IV, and
     * always some text. */
    if (buf[0] == SEAL_V1 && blen >= SEAL_OVERHEAD_V1) {
        ctlen = blen - SEAL_OVERHEAD_V1;
    }
    else if (buf[0] == SEAL_V2 && blen > SEAL_OVERHEAD_V2 && keys->siv) {
        ctlen = blen - SEAL_OVERHEAD_V2;
    }
    else {
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

    aad = seal_aad(&aadlen, p, buf[0], purpose);
    out = apr_palloc(p, ctlen + 1);
    ctx = thread_ctx(keys, &owned);
    if (ctx == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < keys->count; i++) {
        ok = buf[0] == SEAL_V2
                 ? open_v2(ctx, keys->siv, keys->siv_key[i], buf, ctlen, aad, aadlen, out)
                 : open_v1(ctx, keys_cipher(keys), keys->key[i], buf, ctlen, aad, aadlen,
                           out);
        if (ok) {
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
