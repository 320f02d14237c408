/* SPDX-License-Identifier: Apache-2.0 */
/* The shared outcome of a refresh. The serialised form is lines:
 *
 *     R1                   version
 *     e                    the refresh token was refused (nothing else)
 * or
 *     a<access_token>
 *     r<refresh_token>     only when the answer carried one
 *     x<expiry>            decimal seconds since the epoch, only when known
 */

#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_refresh.h"

#define REFRESH_VERSION "R1\n"

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
    const char *s;

    *out = NULL;
    if (rf->ended) {
        s = REFRESH_VERSION "e\n";
    }
    else {
        if (!token_ok(rf->access_token)
            || (rf->refresh_token && !token_ok(rf->refresh_token)) || rf->expiry < 0) {
            return ATL_E_BADINPUT;
        }
        s = apr_pstrcat(
            p, REFRESH_VERSION "a", rf->access_token, "\n", rf->refresh_token ? "r" : "",
            rf->refresh_token ? rf->refresh_token : "", rf->refresh_token ? "\n" : "",
            rf->expiry > 0 ? apr_psprintf(p, "x%" APR_INT64_T_FMT "\n", rf->expiry) : "",
            NULL);
    }
    *out = s;
    *len = strlen(s);
    return APR_SUCCESS;
}

apr_status_t atl_refresh_decode(atl_refresh_t **out, apr_pool_t *p, const char *s,
                                apr_size_t len)
{
    atl_refresh_t *rf = apr_pcalloc(p, sizeof(*rf));
    const char *end = s + len;
    int seen_e = 0;

    *out = NULL;
    if (!s || len < sizeof(REFRESH_VERSION) - 1
        || memcmp(s, REFRESH_VERSION, sizeof(REFRESH_VERSION) - 1)) {
        return ATL_E_MALFORMED;
    }
    s += sizeof(REFRESH_VERSION) - 1;
    while (s < end) {
        const char *nl = memchr(s, '\n', end - s);
        const char *v = s + 1;
        apr_size_t n;

        if (!nl || nl == s) {
            return ATL_E_MALFORMED;
        }
        n = nl - v;
        if (atl_identity_has_control(v, n) || n > ATL_IDENTITY_MAX_TOKEN) {
            return ATL_E_MALFORMED;
        }
        switch (*s) {
        case 'e':
            if (n || seen_e++) {
                return ATL_E_MALFORMED;
            }
            break;
        case 'a':
            if (!n || rf->access_token) {
                return ATL_E_MALFORMED;
            }
            rf->access_token = apr_pstrmemdup(p, v, n);
            break;
        case 'r':
            if (!n || rf->refresh_token) {
                return ATL_E_MALFORMED;
            }
            rf->refresh_token = apr_pstrmemdup(p, v, n);
            break;
        case 'x': {
            char *stop = NULL;
            const char *num = apr_pstrmemdup(p, v, n);

            if (!n || rf->expiry || n > 18 || !apr_isdigit(*num)) {
                return ATL_E_MALFORMED;
            }
            rf->expiry = apr_strtoi64(num, &stop, 10);
            if (!stop || *stop || rf->expiry <= 0) {
                return ATL_E_MALFORMED;
            }
            break;
        }
        default: return ATL_E_MALFORMED;
        }
        s = nl + 1;
    }
    rf->ended = seen_e;
    /* Either refused, or new tokens: never both, never neither. */
    if (seen_e ? (rf->access_token || rf->refresh_token || rf->expiry)
               : !rf->access_token) {
        return ATL_E_MALFORMED;
    }
    *out = rf;
    return APR_SUCCESS;
}
