/* SPDX-License-Identifier: Apache-2.0 */
/* Pending logins, kept in the session between the redirect to /authorize
 * and the callback.
 *
 * The list is one record of atl_json_records.h:
 *
 *     {"p":[{"s":"<state>","t":<created>,"f":<flags>,"u":"<return URL>"},...]}
 *
 * s is the 43-character base64url state, t the time the login started in
 * seconds since the epoch, f the ATL_PENDING_* flags and u the local URL
 * the login comes back to. */

#include <string.h>

#include <apr_encode.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_json_records.h"
#include "atl_seal.h"
#include "atl_state.h"

#define STATE_RAW_LEN 32
#define STATE_LEN     43

/* Entries read by decode, at most; prune brings it down to the real bound. */
#define STATE_MAX_DECODE (ATL_STATE_MAX_PENDING * 2)

/* An encoded list longer than this is not ours: JSON writes a byte of the
 * URL as at most six ("\u001f"), and an entry's other members take less
 * than 100 bytes. */
#define STATE_MAX_ENCODED (STATE_MAX_DECODE * (100 + 6 * ATL_STATE_MAX_URL))

/* Nodes behind a load balancer disagree a little about the time; a login
 * started on a node whose clock is ahead is not "from the future". */
#define STATE_CLOCK_SKEW 60

#define ALL_FLAGS (ATL_PENDING_SITES | ATL_PENDING_TOKEN | ATL_PENDING_REFRESH)

enum { E_STATE, E_CREATED, E_FLAGS, E_URL, E_N };

static const atl_json_member_t entry_members[E_N] = {
    [E_STATE] = {"s", ATL_JSON_STR, 1, STATE_LEN},
    [E_CREATED] = {"t", ATL_JSON_INT, 1, ATL_JSON_MAX_TIME},
    [E_FLAGS] = {"f", ATL_JSON_INT, 1, ALL_FLAGS},
    [E_URL] = {"u", ATL_JSON_STR, 1, ATL_STATE_MAX_URL},
};

static const atl_json_member_t list_members[1] = {
    {"p", ATL_JSON_RECS, 1, STATE_MAX_DECODE, 0, entry_members, E_N},
};

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
    atl_json_value_t top = {1};
    apr_size_t n;
    int i;

    *out = NULL;
    if (len) {
        *len = 0;
    }
    if (list && list->nelts > STATE_MAX_DECODE) {
        return ATL_E_BADINPUT;
    }
    top.list = apr_array_make(p, list && list->nelts ? list->nelts : 1,
                              sizeof(atl_json_value_t *));
    for (i = 0; list && i < list->nelts; i++) {
        const atl_pending_t *e = &APR_ARRAY_IDX(list, i, atl_pending_t);
        atl_json_value_t *v = apr_pcalloc(p, E_N * sizeof(*v));
        const char *url = e->return_url;

        /* Decode reads back only what it could use: a non-empty URL
         * within the limit (a URL that is not UTF-8 could not be read
         * back either), a time that is not negative. */
        if (url == NULL || *url == '\0' || strlen(url) > ATL_STATE_MAX_URL
            || !atl_json_record_text_ok(url, strlen(url))) {
            url = "/";
        }
        if (!atl_state_well_formed(e->state) || e->created < 0) {
            return ATL_E_BADINPUT;
        }
        v[E_STATE] = (atl_json_value_t){1, e->state, STATE_LEN};
        v[E_CREATED] = (atl_json_value_t){1, NULL, 0, e->created};
        v[E_FLAGS] = (atl_json_value_t){1, NULL, 0, e->flags & ALL_FLAGS};
        v[E_URL] = (atl_json_value_t){1, url, strlen(url)};
        APR_ARRAY_PUSH(top.list, atl_json_value_t *) = v;
    }
    return atl_json_record_write(out, len ? len : &n, p, list_members, 1, &top);
}

apr_array_header_t *atl_state_decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_array_header_t *list =
        apr_array_make(p, ATL_STATE_MAX_PENDING + 1, sizeof(atl_pending_t));
    atl_json_value_t top;
    int i;

    if (s == NULL || len == 0
        || atl_json_record_read(&top, p, list_members, 1, s, len, STATE_MAX_ENCODED)
               != APR_SUCCESS) {
        return list;
    }
    for (i = 0; i < top.list->nelts; i++) {
        const atl_json_value_t *v = APR_ARRAY_IDX(top.list, i, const atl_json_value_t *);
        atl_pending_t *e;

        /* An entry that could not be used is dropped, the others kept. */
        if (!atl_state_well_formed(v[E_STATE].s) || v[E_URL].len == 0) {
            continue;
        }
        e = &APR_ARRAY_PUSH(list, atl_pending_t);
        e->state = v[E_STATE].s;
        e->created = v[E_CREATED].i;
        e->flags = (unsigned)v[E_FLAGS].i;
        e->return_url = v[E_URL].s;
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
