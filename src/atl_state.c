/* SPDX-License-Identifier: Apache-2.0 */
/* Pending logins, kept in the session between the redirect to /authorize
 * and the callback.
 *
 * The list is encoded as one line per entry, each line ending in '\n':
 *
 *     <state> ' ' <created> ' ' <flags> ' ' <return URL, URL-encoded> '\n'
 *
 * state is the 43-character base64url value, created and flags are
 * decimal, and the URL is escaped with apr_pescape_urlencoded, so it holds
 * neither spaces nor newlines whatever bytes the URL has. */

#include <string.h>

#include <apr_encode.h>
#include <apr_escape.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_seal.h"
#include "atl_state.h"

#define STATE_RAW_LEN 32
#define STATE_LEN     43

/* Entries read by decode, at most; prune brings it down to the real bound. */
#define STATE_MAX_DECODE (ATL_STATE_MAX_PENDING * 2)

/* An encoded list longer than this is not ours. One entry takes at most
 * 43 + 20 + 10 + 3 * ATL_STATE_MAX_URL + 4 bytes. */
#define STATE_MAX_ENCODED (STATE_MAX_DECODE * (STATE_LEN + 40 + 3 * ATL_STATE_MAX_URL))

/* Nodes behind a load balancer disagree a little about the time; a login
 * started on a node whose clock is ahead is not "from the future". */
#define STATE_CLOCK_SKEW 60

#define ALL_FLAGS (ATL_PENDING_SITES | ATL_PENDING_TOKEN | ATL_PENDING_REFRESH)

apr_status_t atl_state_generate(const char **state, apr_pool_t *p)
{
    unsigned char raw[STATE_RAW_LEN];
    apr_status_t rv;

    *state = NULL;
    rv = apr_generate_random_bytes(raw, sizeof(raw));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *state = apr_pencode_base64_binary(p, raw, sizeof(raw), APR_ENCODE_BASE64URL, NULL);
    memset(raw, 0, sizeof(raw));
    return *state ? APR_SUCCESS : APR_ENOMEM;
}

static int is_b64url(char c)
{
    return apr_isalnum(c) || c == '-' || c == '_';
}

int atl_state_well_formed(const char *s)
{
    int i;

    if (s == NULL) {
        return 0;
    }
    for (i = 0; i < STATE_LEN; i++) {
        if (!is_b64url(s[i])) {
            return 0;
        }
    }
    return s[STATE_LEN] == '\0';
}

apr_status_t atl_state_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                              const apr_array_header_t *list)
{
    apr_array_header_t *lines;
    const char *s;
    int i;

    *out = NULL;
    if (len) {
        *len = 0;
    }
    lines = apr_array_make(p, list ? list->nelts : 1, sizeof(const char *));
    for (i = 0; list && i < list->nelts; i++) {
        const atl_pending_t *e = &APR_ARRAY_IDX(list, i, atl_pending_t);
        const char *url = e->return_url;

        /* Decode reads back only what it could use: a non-empty URL
         * within the limit, a time that is not negative. */
        if (url == NULL || *url == '\0' || strlen(url) > ATL_STATE_MAX_URL) {
            url = "/";
        }
        if (!atl_state_well_formed(e->state) || e->created < 0) {
            return ATL_E_BADINPUT;
        }
        APR_ARRAY_PUSH(lines, const char *) =
            apr_psprintf(p, "%s %" APR_INT64_T_FMT " %u %s\n", e->state, e->created,
                         e->flags & ALL_FLAGS, apr_pescape_urlencoded(p, url));
    }
    s = apr_array_pstrcat(p, lines, 0);
    *out = s;
    if (len) {
        *len = strlen(s);
    }
    return APR_SUCCESS;
}

/* A non-negative decimal of at most max_digits digits, all of [b, e). */
static int parse_decimal(apr_int64_t *v, const char *b, const char *e, int max_digits)
{
    apr_int64_t n = 0;

    if (b == e || e - b > max_digits) {
        return 0;
    }
    for (; b < e; b++) {
        if (!apr_isdigit(*b)) {
            return 0;
        }
        n = n * 10 + (*b - '0');
    }
    *v = n;
    return 1;
}

/* Read one line [b, e) into entry; 0 when it is not well formed. */
static int decode_line(atl_pending_t *entry, apr_pool_t *p, const char *b, const char *e)
{
    const char *f[4];
    const char *fe[4];
    const char *c = b;
    apr_int64_t created, flags;
    const char *url;
    int i;

    for (i = 0; i < 4; i++) {
        const char *sp = i < 3 ? memchr(c, ' ', (apr_size_t)(e - c)) : e;
        if (sp == NULL) {
            return 0;
        }
        f[i] = c;
        fe[i] = sp;
        c = sp + 1;
    }
    if (fe[0] - f[0] != STATE_LEN || fe[3] == f[3]
        || !parse_decimal(&created, f[1], fe[1], 18)
        || !parse_decimal(&flags, f[2], fe[2], 3)
        || (flags & ~(apr_int64_t)ALL_FLAGS) != 0) {
        return 0;
    }
    for (i = 0; i < STATE_LEN; i++) {
        if (!is_b64url(f[0][i])) {
            return 0;
        }
    }
    /* apr_punescape_url refuses bad escapes and %00; the escaped form has
     * no spaces, so the fourth field is the rest of the line. */
    url = apr_punescape_url(p, apr_pstrmemdup(p, f[3], (apr_size_t)(fe[3] - f[3])), NULL,
                            NULL, 1);
    if (url == NULL || *url == '\0') {
        return 0;
    }
    entry->state = apr_pstrmemdup(p, f[0], STATE_LEN);
    entry->created = created;
    entry->flags = (unsigned)flags;
    entry->return_url = url;
    return 1;
}

apr_array_header_t *atl_state_decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_array_header_t *list =
        apr_array_make(p, ATL_STATE_MAX_PENDING + 1, sizeof(atl_pending_t));
    const char *c, *end;

    if (s == NULL || len == 0 || len > STATE_MAX_ENCODED) {
        return list;
    }
    c = s;
    end = s + len;
    /* Every turn consumes at least one byte, so this ends. */
    while (c < end && list->nelts < STATE_MAX_DECODE) {
        const char *nl = memchr(c, '\n', (apr_size_t)(end - c));
        const char *le = nl ? nl : end;
        atl_pending_t entry;

        if (le - c < 300 + 3 * ATL_STATE_MAX_URL && decode_line(&entry, p, c, le)) {
            APR_ARRAY_PUSH(list, atl_pending_t) = entry;
        }
        c = le + 1;
    }
    return list;
}

void atl_state_prune(apr_array_header_t *list, apr_int64_t now, apr_int64_t max_age,
                     int max_count)
{
    int i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < list->nelts;) {
        const atl_pending_t *e = &APR_ARRAY_IDX(list, i, atl_pending_t);
        if (e->created > now + STATE_CLOCK_SKEW || now - e->created > max_age) {
            atl_state_remove(list, i);
        }
        else {
            i++;
        }
    }
    if (max_count < 0) {
        max_count = 0;
    }
    while (list->nelts > max_count) {
        int oldest = 0;
        for (i = 1; i < list->nelts; i++) {
            /* Strictly older only: on a tie the earlier entry, added first,
             * goes. */
            if (APR_ARRAY_IDX(list, i, atl_pending_t).created
                < APR_ARRAY_IDX(list, oldest, atl_pending_t).created) {
                oldest = i;
            }
        }
        atl_state_remove(list, oldest);
    }
}

int atl_state_find(const apr_array_header_t *list, const char *state)
{
    int i, found = -1;

    if (list == NULL || state == NULL) {
        return -1;
    }
    /* Every entry is compared, so the time taken does not tell which one
     * matched or how much of it. */
    for (i = 0; i < list->nelts; i++) {
        int eq = atl_seal_equal(APR_ARRAY_IDX(list, i, atl_pending_t).state, state);
        if (eq && found < 0) {
            found = i;
        }
    }
    return found;
}

void atl_state_remove(apr_array_header_t *list, int idx)
{
    atl_pending_t *base;

    if (list == NULL || idx < 0 || idx >= list->nelts) {
        return;
    }
    base = (atl_pending_t *)list->elts;
    memmove(base + idx, base + idx + 1,
            (apr_size_t)(list->nelts - idx - 1) * sizeof(atl_pending_t));
    list->nelts--;
}
