/* Sealing of the module's session values (OpenSSL libcrypto) under keys
 * derived once, at startup, from AtlassianSessionSecret with HKDF-SHA256.
 * The output is base64url without padding of a version byte, then:
 *
 *   0x02  ciphertext | SIV (16)       AES-256-SIV (RFC 5297), deterministic:
 *                                     the same value and purpose under the
 *                                     same secret seal to the same string
 *   0x01  IV (12) | ciphertext | tag (16)    AES-256-GCM, a random IV
 *
 * atl_seal writes 0x02; 0x01 only for an empty value or when libcrypto has
 * no AES-256-SIV. atl_unseal reads both. The tag is always last (see
 * atl_seal.c for the details). */
#ifndef ATL_SEAL_H
#define ATL_SEAL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

#define ATL_SEAL_MIN_SECRET 32 /* bytes of key material, at least */

/* Bytes added to a plaintext before base64url: ATL_SEAL_OVERHEAD (0x02:
 * version and SIV) as atl_seal writes it, ATL_SEAL_OVERHEAD_V1 (0x01:
 * version, IV and tag) for an empty value or without AES-256-SIV.
 * base64url then makes 4 characters of every 3 bytes. */
#define ATL_SEAL_OVERHEAD    17
#define ATL_SEAL_OVERHEAD_V1 29

/* atl_unseal refuses a sealed value longer than ATL_SEAL_MAX_SEALED
 * characters, so atl_seal refuses a plaintext longer than
 * ATL_SEAL_MAX_PLAIN bytes: what fits with the larger overhead, so that
 * every value sealed in either version unseals. */
#define ATL_SEAL_MAX_SEALED (64 * 1024)
#define ATL_SEAL_MAX_PLAIN  (ATL_SEAL_MAX_SEALED / 4 * 3 - ATL_SEAL_OVERHEAD_V1)

typedef struct atl_seal_keys_t atl_seal_keys_t;

/* Derive one key per secret (const char * elements; the first seals, all
 * unseal). Fails with ATL_E_BADINPUT (and *errmsg) when there is no secret
 * or one is shorter than ATL_SEAL_MIN_SECRET bytes. Key material is wiped
 * when the pool is destroyed. */
apr_status_t atl_seal_keys_make(atl_seal_keys_t **keys, const char **errmsg,
                                apr_pool_t *p, const apr_array_header_t *secrets);

/* Seal len bytes of plain. purpose is bound to the result (AAD), so a
 * value sealed for one purpose never unseals for another. Deterministic
 * (0x02): the same plain and purpose give the same result, so whoever
 * sees two results can tell whether they hold the same value (atl_seal.c
 * says when that shows for the module's values). Fails with APR_EINVAL
 * when len is over ATL_SEAL_MAX_PLAIN. */
apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len);

/* Unseal either version with each key in turn. ATL_E_UNSEAL for anything
 * that does not authenticate (tampered, truncated, wrong purpose, unknown
 * key or version, bad base64url, NULL). *plain is NUL-terminated. */
apr_status_t atl_unseal(const char **plain, apr_size_t *len, apr_pool_t *p,
                        const atl_seal_keys_t *keys, const char *purpose,
                        const char *sealed);

/* A keyed hash (HMAC-SHA256, lower-case hex, 64 characters) of len bytes
 * of data under a key derived from the first secret, bound to purpose:
 * a name for a secret value (a cache key from a refresh token) that says
 * nothing about it to whoever reads the cache, and that no one without
 * the session secret can compute. */
apr_status_t atl_seal_hash(const char **hex, apr_pool_t *p, const atl_seal_keys_t *keys,
                           const char *purpose, const char *data, apr_size_t len);

/* Constant-time equality of two strings (lengths may differ). */
int atl_seal_equal(const char *a, const char *b);

#endif
