/* SPDX-License-Identifier: Apache-2.0 */
/* A form POST kept across a login (AtlassianPreservePost), as the session
 * holds it (sealed by the caller): the state of the login it waits for
 * and the body, as the browser sent it. */
#ifndef ATL_KEPTPOST_H
#define ATL_KEPTPOST_H

#include <apr_pools.h>
#include "atl_status.h"

/* Bytes of request body kept at most. */
#define ATL_KEPTPOST_MAX 8192

/* Serialise for sealing, and back. encode refuses (ATL_E_BADINPUT) a state
 * that atl_state_generate would not make, and a body longer than
 * ATL_KEPTPOST_MAX or not UTF-8; decode fails with ATL_E_MALFORMED (or
 * ATL_E_TOOBIG) on anything encode would not have written. */
apr_status_t atl_keptpost_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const char *state, const char *body);
apr_status_t atl_keptpost_decode(const char **state, const char **body, apr_pool_t *p,
                                 const char *s, apr_size_t len);

#endif
