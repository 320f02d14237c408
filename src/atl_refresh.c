/* SPDX-License-Identifier: Apache-2.0 */
/* The shared outcome of a refresh, one record of atl_json_records.h:
 *
 *     {"e":1}                                  the refresh token was refused
 *     {"a":"<access>","r":"<refresh>","x":<expiry>}    new tokens
 *
 * r only when the answer carried a refresh token, x (seconds since the
 * epoch) only when the expiry is known. */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_json_records.h"
#include "atl_refresh.h"

enum { R_ENDED, R_ACCESS, R_REFRESH, R_EXPIRY, R_N };

static const atl_json_member_t refresh_members[R_N] = {
    [R_ENDED] = {"e", ATL_JSON_INT, 0, 1},
    [R_ACCESS] = {"a", ATL_JSON_STR, 0, ATL_IDENTITY_MAX_TOKEN},
    [R_REFRESH] = {"r", ATL_JSON_STR, 0, ATL_IDENTITY_MAX_TOKEN},
    [R_EXPIRY] = {"x", ATL_JSON_INT, 0, ATL_JSON_MAX_TIME},
};

/* Both tokens, the expiry and the member names: a refresh outcome is never
 * longer than this. */
#define REFRESH_MAX_LEN (2 * 6 * ATL_IDENTITY_MAX_TOKEN + 100)

int atl_refresh_due(apr_int64_t expiry, apr_int64_t now)
{
    return expiry > 0 && now >= expiry - ATL_REFRESH_MARGIN;
}

apr_int64_t atl_refresh_expiry(apr_int64_t expires_in, apr_int64_t now)
{
    return expires_in > 0 ? now + expires_in : now;
}

static int token_ok(const char *t)
{
    apr_size_t n = t ? strlen(t) : 0;

    return n > 0 && n <= ATL_IDENTITY_MAX_TOKEN && !atl_identity_has_control(t, n);
}

apr_status_t atl_refresh_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                const atl_refresh_t *rf)
{
    atl_json_value_t v[R_N] = {{0}};

    *out = NULL;
    *len = 0;
    if (rf->ended) {
        v[R_ENDED] = (atl_json_value_t){1, NULL, 0, 1};
    }
    else {
        if (!token_ok(rf->access_token)
            || (rf->refresh_token && !token_ok(rf->refresh_token)) || rf->expiry < 0) {
            return ATL_E_BADINPUT;
        }
        v[R_ACCESS] = (atl_json_value_t){1, rf->access_token, strlen(rf->access_token)};
        if (rf->refresh_token) {
            v[R_REFRESH] =
                (atl_json_value_t){1, rf->refresh_token, strlen(rf->refresh_token)};
        }
        v[R_EXPIRY] = (atl_json_value_t){rf->expiry > 0, NULL, 0, rf->expiry};
    }
    return atl_json_record_write(out, len, p, refresh_members, R_N, v);
}

apr_status_t atl_refresh_decode(atl_refresh_t **out, apr_pool_t *p, const char *s,
                                apr_size_t len)
{
    atl_refresh_t *rf = apr_pcalloc(p, sizeof(*rf));
    atl_json_value_t v[R_N];

    *out = NULL;
    if (atl_json_record_read(v, p, refresh_members, R_N, s, len, REFRESH_MAX_LEN)
        != APR_SUCCESS) {
        return ATL_E_MALFORMED;
    }
    rf->ended = v[R_ENDED].present && v[R_ENDED].i == 1;
    rf->access_token = v[R_ACCESS].s;
    rf->refresh_token = v[R_REFRESH].s;
    rf->expiry = v[R_EXPIRY].i;
    /* Either refused, or new tokens: never both, never neither; a token
     * is never empty nor holds a control character. */
    if (v[R_ENDED].present ? (!rf->ended || v[R_ACCESS].present || v[R_REFRESH].present
                              || v[R_EXPIRY].present)
                           : (!token_ok(rf->access_token)
                              || (rf->refresh_token && !token_ok(rf->refresh_token))
                              || (v[R_EXPIRY].present && rf->expiry <= 0))) {
        return ATL_E_MALFORMED;
    }
    *out = rf;
    return APR_SUCCESS;
}
