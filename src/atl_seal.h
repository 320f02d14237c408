/* SPDX-License-Identifier: Apache-2.0 */
/* Sealing of the module's session values (OpenSSL libcrypto): AES-256-SIV
 * under keys derived once, at startup, from AtlassianSessionSecret with
 * HKDF-SHA256. The output is base64url without padding of
 *
 *     0x01 | ciphertext | SIV (16)
 *
 * deterministic: the same value and purpose under the same secret seal to
 * the same string. docs/storage-format.md specifies it, atl_seal.c says
 * what determinism shows. */
#ifndef ATL_SEAL_H
#define ATL_SEAL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

#define ATL_SEAL_MIN_SECRET 32 /* bytes of key material, at least */

/* Bytes added to a plaintext before base64url (the version byte and the
 * SIV); base64url then makes 4 characters of every 3 bytes. */
#define ATL_SEAL_OVERHEAD 17

/* atl_unseal refuses a sealed value longer than ATL_SEAL_MAX_SEALED
 * characters, so atl_seal refuses a plaintext longer than
 * ATL_SEAL_MAX_PLAIN bytes, which would not fit. */
#define ATL_SEAL_MAX_SEALED (64 * 1024)
#define ATL_SEAL_MAX_PLAIN  (ATL_SEAL_MAX_SEALED / 4 * 3 - ATL_SEAL_OVERHEAD)

typedef struct atl_seal_keys_t atl_seal_keys_t;

/* Derive one key per secret (const char * elements; the first seals, all
 * unseal). Fails with ATL_E_BADINPUT (and *errmsg) when there is no secret
 * or one is shorter than ATL_SEAL_MIN_SECRET bytes, with APR_ENOTIMPL when
 * libcrypto has no AES-256-SIV. Key material is wiped
 * when the pool is destroyed. */
apr_status_t atl_seal_keys_make(atl_seal_keys_t **keys, const char **errmsg,
                                apr_pool_t *p, const apr_array_header_t *secrets);

/* Seal len bytes of plain. purpose is bound to the result (associated
 * data), so a value sealed for one purpose never unseals for another.
 * Deterministic: the same plain and purpose give the same result, so
 * whoever sees two results can tell whether they hold the same value
 * (atl_seal.c says when that shows for the module's values). Fails with
 * APR_EINVAL when len is 0 or over ATL_SEAL_MAX_PLAIN. */
apr_status_t atl_seal(const char **sealed, apr_pool_t *p, const atl_seal_keys_t *keys,
                      const char *purpose, const char *plain, apr_size_t len);

/* Unseal with each key in turn. ATL_E_UNSEAL for anything that does not
 * authenticate (tampered, truncated, wrong purpose, unknown key or
 * version, not the one base64url spelling, NULL). *plain is NUL-terminated. */
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
