/* SPDX-License-Identifier: Apache-2.0 */
/* A kept form POST, one record of atl_json_records.h:
 *
 *     {"s":"<state>","b":"<body>"}
 *
 * s is the state of the login the POST waits for, b the
 * application/x-www-form-urlencoded body as it came. Form bodies need no
 * JSON escape (browsers percent-encode quotes, backslashes and control
 * characters), so the record costs 15 bytes more than the body and the
 * state. */

#include <string.h>

#include "atl_json_records.h"
#include "atl_keptpost.h"
#include "atl_state.h"

enum { K_STATE, K_BODY, K_N };

static const atl_json_member_t keptpost_members[K_N] = {
    [K_STATE] = {"s", ATL_JSON_STR, 1, 43},
    [K_BODY] = {"b", ATL_JSON_STR, 1, ATL_KEPTPOST_MAX},
};

/* The state, the body written as six bytes each at most, and the names. */
#define KEPTPOST_MAX_LEN (6 * ATL_KEPTPOST_MAX + 100)

apr_status_t atl_keptpost_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const char *state, const char *body)
{
    atl_json_value_t v[K_N];

    *out = NULL;
    *len = 0;
    if (!atl_state_well_formed(state) || !body) {
        return ATL_E_BADINPUT;
    }
    v[K_STATE] = (atl_json_value_t){1, state, strlen(state)};
    v[K_BODY] = (atl_json_value_t){1, body, strlen(body)};
    return atl_json_record_write(out, len, p, keptpost_members, K_N, v);
}

apr_status_t atl_keptpost_decode(const char **state, const char **body, apr_pool_t *p,
                                 const char *s, apr_size_t len)
{
    atl_json_value_t v[K_N];
    apr_status_t rv;

    *state = NULL;
    *body = NULL;
    rv = atl_json_record_read(v, p, keptpost_members, K_N, s, len, KEPTPOST_MAX_LEN);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!atl_state_well_formed(v[K_STATE].s)) {
        return ATL_E_MALFORMED;
    }
    *state = v[K_STATE].s;
    *body = v[K_BODY].s;
    return APR_SUCCESS;
}
