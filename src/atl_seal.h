/* Sealing of the module's session values: AES-256-GCM (OpenSSL libcrypto)
 * under keys derived once, at startup, from AtlassianSessionSecret with
 * HKDF-SHA256. A fresh random 96-bit IV per seal, so two seals of the same
 * value differ. The output is base64url without padding. */
#ifndef ATL_SEAL_H
#define ATL_SEAL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

#define ATL_SEAL_MIN_SECRET 32 /* bytes of key material, at least */

/* atl_unseal refuses a sealed value longer than ATL_SEAL_MAX_SEALED
 * characters, so atl_seal refuses a plaintext longer than
 * ATL_SEAL_MAX_PLAIN bytes: 29 bytes of version, IV and tag are added,
 * then base64url makes 4 characters of every 3 bytes. */
#define ATL_SEAL_MAX_SEALED (64 * 1024)
#define ATL_SEAL_MAX_PLAIN  (ATL_SEAL_MAX_SEALED / 4 * 3 - 29)

typedef struct atl_seal_keys_t atl_seal_keys_t;

/* Derive one key per secret (const char * elements; the first seals, all
 * unseal). Fails with ATL_E_BADINPUT (and *errmsg) when there is no secret
 * or one is shorter than ATL_SEAL_MIN_SECRET bytes. Key material is wiped
 * when the pool is destroyed. */
apr_status_t atl_seal_keys_make(atl_seal_keys_t **keys, const char **errmsg,
                                apr_pool_t *p, const apr_array_header_t *secrets);

/* Seal len bytes of plain. purpose is bound to the result (AAD), so a
 * value sealed for one purpose never unseals for another. Fails with
 * APR_EINVAL when len is over ATL_SEAL_MAX_PLAIN. */
apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len);

/* Unseal with each key in turn. ATL_E_UNSEAL for anything that does not
 * authenticate (tampered, truncated, wrong purpose, unknown key, bad
 * base64url, NULL). *plain is NUL-terminated. */
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
