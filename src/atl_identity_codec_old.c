/* Reading the identity's older storage formats, so that logins sealed
 * before format 3 (atl_identity_codec.c) stay valid. Nothing writes them
 * any more.
 *
 * Format 2: bytes.
 *
 *     0x02                      the format
 *     varint login_time         seconds since the epoch
 *     records                   in any order, each value at most once
 *     0x00                      the end
 *
 * A record starts with a tag byte. A profile field's tag is its number,
 * then
 *
 *     num                varint n, n bytes             the value
 *     0x80 | num         k, varint n, n bytes          the field's k-th common
 *                                                      value or prefix, then
 *                                                      those bytes
 *     0x40 | num         m                             the same value as field
 *                                                      number m, stored before
 *
 * and the other values have the tags of format 3 (T_EXPIRY ... T_GROUP in
 * atl_identity_private.h), each followed by a varint (times) or a varint
 * length and the bytes.
 *
 * Format 1: text lines ending in '\n', "I1" first, then one line per value,
 * a code letter (atl_identity_fields[].code; t login_time, x token_expiry,
 * r refresh_token, L sites fetched, S/N/H a site's cloud id, name, host)
 * and the value, and "." last. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_identity_private.h"

#define fields atl_identity_fields

#define ID_VERSION_V1 "I1"

/* Format 2's record tags of profile fields: the number, and these bits. */
#define M_PREFIX 0x80
#define M_COPY   0x40
#define M_MASK   0xC0

/* -- format 2 --------------------------------------------------------------- */


/* A length-prefixed value of 1 to max bytes without control characters,
 * copied into p. */
static const char *get_value(in_t *in, apr_pool_t *p, apr_size_t max)
{
    apr_uint64_t n;
    const char *v;

    if (!atl_codec_get_varint(in, &n, max) || n == 0 || n > (apr_uint64_t)(in->end - in->c)) {
        return NULL;
    }
    v = (const char *)in->c;
    if (atl_identity_has_control(v, (apr_size_t)n)) {
        return NULL;
    }
    in->c += n;
    return apr_pstrmemdup(p, v, (apr_size_t)n);
}

/* One profile field's record, its tag already read. */
static int get_field(in_t *in, apr_pool_t *p, atl_identity_t *id, unsigned char tag,
                     int *hint)
{
    int f = atl_codec_field_of_num(tag & ~M_MASK, hint), g, k, nk;
    const char *v = NULL;

    if (f < 0 || id->f[f]) {
        return 0;
    }
    switch (tag & M_MASK) {
    case 0: v = get_value(in, p, fields[f].max); break;
    case M_PREFIX: {
        const char *const *a = fields[f].abbrev;
        apr_uint64_t n;
        apr_size_t l;
        char *s;

        if (a == NULL || in->c >= in->end) {
            return 0;
        }
        k = *in->c++;
        for (nk = 0; a[nk]; nk++) {
        }
        if (k >= nk || !atl_codec_get_varint(in, &n, fields[f].max)
            || n > (apr_uint64_t)(in->end - in->c)
            || atl_identity_has_control((const char *)in->c, (apr_size_t)n)) {
            return 0;
        }
        l = strlen(a[k]);
        if (l + n > fields[f].max) {
            return 0;
        }
        s = apr_palloc(p, l + (apr_size_t)n + 1);
        memcpy(s, a[k], l);
        memcpy(s + l, in->c, (apr_size_t)n);
        s[l + n] = '\0';
        in->c += n;
        v = s;
        break;
    }
    case M_COPY: {
        int h = 0;

        if (in->c >= in->end) {
            return 0;
        }
        g = atl_codec_field_of_num(*in->c++, &h);
        if (g < 0 || g == f || !id->f[g] || strlen(id->f[g]) > fields[f].max) {
            return 0;
        }
        v = id->f[g];
        break;
    }
    default: return 0;
    }
    return atl_codec_set_field(id, f, v);
}

apr_status_t atl_codec_decode_v2(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    atl_identity_t *id = atl_identity_make(p);
    atl_record_state_t rs = {NULL, 0};
    in_t in;
    apr_uint64_t t;
    int hint = 0;

    in.c = (const unsigned char *)s + 1;
    in.end = (const unsigned char *)s + len;
    if (!atl_codec_get_varint(&in, &t, (apr_uint64_t)ID_MAX_TIME)) {
        return ATL_E_MALFORMED;
    }
    id->login_time = (apr_int64_t)t;
    for (;;) {
        unsigned char tag;

        if (in.c >= in.end) {
            return ATL_E_MALFORMED; /* no end record */
        }
        tag = *in.c++;
        if (tag == T_END) {
            if (in.c != in.end) {
                return ATL_E_MALFORMED;
            }
            break;
        }
        if ((tag & ~M_MASK) >= 1 && (tag & ~M_MASK) <= ATL_IDENTITY_MAX_NUM) {
            if (!get_field(&in, p, id, tag, &hint)) {
                return ATL_E_MALFORMED;
            }
            continue;
        }
        if (!atl_codec_get_record(&in, p, id, tag, &rs, get_value)) {
            return ATL_E_MALFORMED;
        }
    }
    if (id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_MALFORMED;
    }
    *idp = id;
    return APR_SUCCESS;
}

/* -- format 1 --------------------------------------------------------------- */

/* A non-negative decimal of 1 to 18 digits, all of [b, b + n). */
static int parse_time(apr_int64_t *v, const char *b, apr_size_t n)
{
    apr_int64_t t = 0;
    apr_size_t i;

    if (n == 0 || n > 18) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(b[i])) {
            return 0;
        }
        t = t * 10 + (b[i] - '0');
    }
    *v = t;
    return 1;
}

static int field_of_code(char code)
{
    int i;

    for (i = 0; i < ATL_F_COUNT; i++) {
        if (fields[i].code == code) {
            return i;
        }
    }
    return -1;
}

/* The first format (lines of text, "I1"): logins sealed before format 2
stay readable. */
apr_status_t atl_codec_decode_v1(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    atl_identity_t *id;
    const char *c, *end;
    atl_site_t *site = NULL;
    int seen_time = 0, seen_expiry = 0, seen_end = 0, first = 1;

    id = atl_identity_make(p);
    c = s;
    end = s + len;
    while (c < end) {
        const char *nl = memchr(c, '\n', (apr_size_t)(end - c));
        const char *v;
        apr_size_t n, i;
        char code;
        int f;

        if (nl == NULL || seen_end) {
            /* Every line, the last one too, ends in '\n', and nothing
             * follows the end line. */
            return ATL_E_MALFORMED;
        }
        if (first) {
            if ((apr_size_t)(nl - c) != sizeof(ID_VERSION_V1) - 1
                || memcmp(c, ID_VERSION_V1, sizeof(ID_VERSION_V1) - 1) != 0) {
                return ATL_E_MALFORMED;
            }
            first = 0;
            c = nl + 1;
            continue;
        }
        if (nl == c) {
            return ATL_E_MALFORMED;
        }
        code = *c;
        v = c + 1;
        n = (apr_size_t)(nl - v);
        c = nl + 1;
        for (i = 0; i < n; i++) {
            if (atl_identity_has_control(v + i, 1)) {
                return ATL_E_MALFORMED;
            }
        }

        switch (code) {
        case '.':
            if (n != 0) {
                return ATL_E_MALFORMED;
            }
            seen_end = 1;
            break;
        case 't':
            if (seen_time++ || !parse_time(&id->login_time, v, n)) {
                return ATL_E_MALFORMED;
            }
            break;
        case 'x':
            if (seen_expiry++ || !parse_time(&id->token_expiry, v, n)) {
                return ATL_E_MALFORMED;
            }
            break;
        case 'r':
            if (id->refresh_token || n == 0 || n > ATL_IDENTITY_MAX_TOKEN) {
                return ATL_E_MALFORMED;
            }
            id->refresh_token = apr_pstrmemdup(p, v, n);
            break;
        case 'L':
            if (id->sites || n != 0) {
                return ATL_E_MALFORMED;
            }
            id->sites = apr_array_make(p, 4, sizeof(atl_site_t));
            break;
        case 'S':
            if (id->sites == NULL || id->sites->nelts >= ATL_IDENTITY_MAX_SITES || n == 0
                || n > ATL_IDENTITY_MAX_FIELD) {
                return ATL_E_MALFORMED;
            }
            site = apr_array_push(id->sites);
            memset(site, 0, sizeof(*site));
            site->id = apr_pstrmemdup(p, v, n);
            break;
        case 'N':
        case 'H': {
            const char **slot;
            if (site == NULL || n == 0 || n > ATL_IDENTITY_MAX_FIELD) {
                return ATL_E_MALFORMED;
            }
            slot = code == 'N' ? &site->name : &site->host;
            if (*slot) {
                return ATL_E_MALFORMED;
            }
            *slot = apr_pstrmemdup(p, v, n);
            break;
        }
        default:
            f = field_of_code(code);
            if (code == 0 || f < 0 || id->f[f] || n == 0 || n > fields[f].max) {
                return ATL_E_MALFORMED;
            }
            id->f[f] = apr_pstrmemdup(p, v, n);
            if (f == ATL_F_EMAIL_VERIFIED && strcmp(id->f[f], "true") != 0
                && strcmp(id->f[f], "false") != 0) {
                return ATL_E_MALFORMED;
            }
            break;
        }
    }
    if (!seen_end || !seen_time || id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_MALFORMED;
    }
    *idp = id;
    return APR_SUCCESS;
}
