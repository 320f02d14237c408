/* How the identity is stored before it is sealed, and read back.
 *
 * Format 2 (written): bytes, made to be short, since the sealed login
 * travels in the session cookie of every request and httpd's work on a
 * cookie grows with its length.
 *
 *     0x02                      the format
 *     varint login_time         seconds since the epoch
 *     records                   in any order, each value at most once
 *     0x00                      the end: a cut encoding is never read as a
 *                               shorter one
 *
 * A varint is LEB128 (7 bits a byte, low bits first). A record starts with
 * a tag byte. A profile field's tag is its number (1 to
 * ATL_IDENTITY_MAX_NUM, from atl_identity_fields[]), then
 *
 *     num                varint n, n bytes             the value
 *     0x80 | num         k, varint n, n bytes          the field's k-th common
 *                                                      value or prefix, then
 *                                                      those bytes
 *     0x40 | num         m                             the same value as field
 *                                                      number m, stored before
 *
 * and the other values have tags of their own:
 *
 *     0x30 varint        token_expiry (only when not 0)
 *     0x31 varint n, n   refresh_token (only when kept)
 *     0x32               sites were fetched (possibly none)
 *     0x33 varint n, n   starts a site: its cloud id; 0x34 (name) and
 *                        0x35 (URL host) of that site may follow
 *     0x36 varint        groups were checked then (Require atlassian-group)
 *     0x37 varint n, n   one configured "site/group" the user is in
 *
 * Values never hold control characters (checked when encoding and when
 * decoding). ATL_F_SITES, ATL_F_SITE_IDS, ATL_F_GROUPS and ATL_F_LOGIN_TIME
 * are not stored: decode derives them from the sites, groups and
 * login_time.
 *
 * Format 1 (read only, so that logins sealed before format 2 stay valid):
 * text lines ending in '\n', "I1" first, then one line per value, a code
 * letter (atl_identity_fields[].code; t login_time, x token_expiry, r
 * refresh_token, L sites fetched, S/N/H a site's cloud id, name, host) and
 * the value, and "." last. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_identity_private.h"

#define fields atl_identity_fields

#define ID_VERSION_V1 "I1"
#define ID_VERSION_V2 0x02

/* Tags of format 2. */
#define T_END       0x00
#define T_EXPIRY    0x30
#define T_REFRESH   0x31
#define T_SITES     0x32
#define T_SITE_ID   0x33
#define T_SITE_NAME 0x34
#define T_SITE_HOST 0x35
#define T_GROUPS    0x36
#define T_GROUP     0x37
#define M_PREFIX    0x80
#define M_COPY      0x40
#define M_MASK      0xC0

/* Longest stored encoding that decode accepts; anything larger is not ours. */
#define ID_MAX_ENCODED (64 * 1024)

/* Largest time either format stores: 18 decimal digits. */
#define ID_MAX_TIME APR_INT64_C(999999999999999999)

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Whether v is fit to be stored: non-empty, at most max bytes, no control
 * character. */
static int storable(const char *v, apr_size_t max)
{
    apr_size_t i;

    for (i = 0; v[i]; i++) {
        if (i >= max || is_ctl((unsigned char)v[i])) {
            return 0;
        }
    }
    return i > 0;
}

/* -- format 2: writing ------------------------------------------------------ */

typedef struct {
    unsigned char *b;
    apr_size_t n;
} out_t;

static void put_byte(out_t *o, unsigned char c)
{
    o->b[o->n++] = c;
}

static void put_varint(out_t *o, apr_uint64_t v)
{
    while (v >= 0x80) {
        put_byte(o, (unsigned char)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    put_byte(o, (unsigned char)v);
}

static void put_bytes(out_t *o, const char *v, apr_size_t n)
{
    put_varint(o, n);
    memcpy(o->b + o->n, v, n);
    o->n += n;
}

static void put_value(out_t *o, unsigned char tag, const char *v)
{
    put_byte(o, tag);
    put_bytes(o, v, strlen(v));
}

/* The field's value in its shortest form: a copy of an earlier field, a
 * common prefix and the rest, or the bytes. */
static void put_field(out_t *o, const atl_identity_t *id, int f)
{
    const char *v = id->f[f];
    const char *const *a = fields[f].abbrev;
    apr_size_t n = strlen(v), best = 0;
    int g, k, bestk = -1;

    for (g = 0; g < f && n > 2; g++) {
        if (fields[g].num && id->f[g] && strcmp(id->f[g], v) == 0) {
            put_byte(o, M_COPY | fields[f].num);
            put_byte(o, fields[g].num);
            return;
        }
    }
    for (k = 0; a && a[k]; k++) {
        apr_size_t l = strlen(a[k]);

        if (l > best && l <= n && memcmp(v, a[k], l) == 0) {
            best = l;
            bestk = k;
        }
    }
    if (bestk >= 0 && best >= 2) {
        put_byte(o, M_PREFIX | fields[f].num);
        put_byte(o, (unsigned char)bestk);
        put_bytes(o, v + best, n - best);
        return;
    }
    put_byte(o, fields[f].num);
    put_bytes(o, v, n);
}

apr_status_t atl_identity_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const atl_identity_t *id)
{
    out_t o;
    apr_size_t bound = 32;
    const char **clean = NULL;
    int i, nsites = 0;

    *out = NULL;
    if (len) {
        *len = 0;
    }
    if (id == NULL || id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_BADINPUT;
    }
    for (i = 0; i < ATL_F_COUNT; i++) {
        const char *v = id->f[i];
        if (fields[i].num == 0 || v == NULL || *v == '\0') {
            continue;
        }
        if (!storable(v, fields[i].max)) {
            return strlen(v) > fields[i].max ? ATL_E_TOOBIG : ATL_E_BADINPUT;
        }
        if (i == ATL_F_EMAIL_VERIFIED && strcmp(v, "true") != 0
            && strcmp(v, "false") != 0) {
            return ATL_E_BADINPUT;
        }
        bound += strlen(v) + 8;
    }
    if (id->login_time < 0 || id->token_expiry < 0 || id->login_time > ID_MAX_TIME
        || id->token_expiry > ID_MAX_TIME) {
        return ATL_E_BADINPUT;
    }
    if (id->refresh_token && *id->refresh_token) {
        if (!storable(id->refresh_token, ATL_IDENTITY_MAX_TOKEN)) {
            return strlen(id->refresh_token) > ATL_IDENTITY_MAX_TOKEN ? ATL_E_TOOBIG
                                                                      : ATL_E_BADINPUT;
        }
        bound += strlen(id->refresh_token) + 8;
    }
    if (id->sites) {
        /* Site values are display data from Atlassian: cleaned here rather
         * than refused, so that one odd site name cannot break a login. A
         * site without an id cannot be stored. */
        nsites = id->sites->nelts < ATL_IDENTITY_MAX_SITES ? id->sites->nelts
                                                           : ATL_IDENTITY_MAX_SITES;
        clean = apr_pcalloc(p, sizeof(const char *) * 3 * (apr_size_t)(nsites + 1));
        for (i = 0; i < nsites; i++) {
            const atl_site_t *site = &APR_ARRAY_IDX(id->sites, i, atl_site_t);
            const char *vals[3] = {site->id, site->name, site->host};
            int j;

            for (j = 0; j < 3; j++) {
                clean[3 * i + j] =
                    vals[j] ? atl_identity_sanitize(p, vals[j], strlen(vals[j]),
                                                    ATL_IDENTITY_MAX_FIELD)
                            : NULL;
                bound += clean[3 * i + j] ? strlen(clean[3 * i + j]) + 8 : 0;
            }
        }
        bound += 1;
    }
    if (id->groups) {
        if (id->groups_checked < 0 || id->groups_checked > ID_MAX_TIME) {
            return ATL_E_BADINPUT;
        }
        bound += 12;
        for (i = 0; i < id->groups->nelts && i < ATL_IDENTITY_MAX_GROUPS; i++) {
            const char *g = APR_ARRAY_IDX(id->groups, i, const char *);

            bound += g ? strlen(g) + 8 : 0;
        }
    }

    o.b = apr_palloc(p, bound);
    o.n = 0;
    put_byte(&o, ID_VERSION_V2);
    put_varint(&o, (apr_uint64_t)id->login_time);
    for (i = 0; i < ATL_F_COUNT; i++) {
        if (fields[i].num && id->f[i] && *id->f[i]) {
            put_field(&o, id, i);
        }
    }
    if (id->token_expiry > 0) {
        put_byte(&o, T_EXPIRY);
        put_varint(&o, (apr_uint64_t)id->token_expiry);
    }
    if (id->refresh_token && *id->refresh_token) {
        put_value(&o, T_REFRESH, id->refresh_token);
    }
    if (id->sites) {
        put_byte(&o, T_SITES);
        for (i = 0; i < nsites; i++) {
            if (clean[3 * i] == NULL) {
                continue;
            }
            put_value(&o, T_SITE_ID, clean[3 * i]);
            if (clean[3 * i + 1]) {
                put_value(&o, T_SITE_NAME, clean[3 * i + 1]);
            }
            if (clean[3 * i + 2]) {
                put_value(&o, T_SITE_HOST, clean[3 * i + 2]);
            }
        }
    }
    if (id->groups) {
        put_byte(&o, T_GROUPS);
        put_varint(&o, (apr_uint64_t)id->groups_checked);
        for (i = 0; i < id->groups->nelts && i < ATL_IDENTITY_MAX_GROUPS; i++) {
            const char *g = APR_ARRAY_IDX(id->groups, i, const char *);

            /* Configured values: one that cannot be stored is left out (it
             * then does not grant), never stored changed. */
            if (g && storable(g, ATL_IDENTITY_MAX_FIELD)) {
                put_value(&o, T_GROUP, g);
            }
        }
    }
    put_byte(&o, T_END);
    *out = (const char *)o.b;
    if (len) {
        *len = o.n;
    }
    return APR_SUCCESS;
}

/* -- format 2: reading ------------------------------------------------------ */

typedef struct {
    const unsigned char *c, *end;
} in_t;

/* A varint of at most 9 bytes (63 bits) not above max. */
static int get_varint(in_t *in, apr_uint64_t *v, apr_uint64_t max)
{
    apr_uint64_t r = 0;
    int shift;

    for (shift = 0; shift < 63; shift += 7) {
        unsigned char b;

        if (in->c >= in->end) {
            return 0;
        }
        b = *in->c++;
        r |= (apr_uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (r > max) {
                return 0;
            }
            *v = r;
            return 1;
        }
    }
    return 0;
}

/* A length-prefixed value of 1 to max bytes without control characters,
 * copied into p. */
static const char *get_value(in_t *in, apr_pool_t *p, apr_size_t max)
{
    apr_uint64_t n;
    const char *v;

    if (!get_varint(in, &n, max) || n == 0 || n > (apr_uint64_t)(in->end - in->c)) {
        return NULL;
    }
    v = (const char *)in->c;
    if (atl_identity_has_control(v, (apr_size_t)n)) {
        return NULL;
    }
    in->c += n;
    return apr_pstrmemdup(p, v, (apr_size_t)n);
}

/* The field stored under number num, or -1. The search starts at *hint:
 * fields are written in their order, so reading them costs one step
 * each. */
static int field_of_num(unsigned num, int *hint)
{
    int i;

    for (i = 0; i < ATL_F_COUNT; i++) {
        int f = (*hint + i) % ATL_F_COUNT;

        if (fields[f].num && fields[f].num == num) {
            *hint = f + 1;
            return f;
        }
    }
    return -1;
}

/* One profile field's record, its tag already read. */
static int get_field(in_t *in, apr_pool_t *p, atl_identity_t *id, unsigned char tag,
                     int *hint)
{
    int f = field_of_num(tag & ~M_MASK, hint), g, k, nk;
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
        if (k >= nk || !get_varint(in, &n, fields[f].max)
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
        g = field_of_num(*in->c++, &h);
        if (g < 0 || g == f || !id->f[g] || strlen(id->f[g]) > fields[f].max) {
            return 0;
        }
        v = id->f[g];
        break;
    }
    default: return 0;
    }
    if (v == NULL) {
        return 0;
    }
    if (f == ATL_F_EMAIL_VERIFIED && strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        return 0;
    }
    id->f[f] = v;
    return 1;
}

static apr_status_t decode_v2(atl_identity_t **idp, apr_pool_t *p, const char *s,
                              apr_size_t len)
{
    atl_identity_t *id = atl_identity_make(p);
    atl_site_t *site = NULL;
    in_t in;
    apr_uint64_t t;
    int seen_expiry = 0, hint = 0;

    in.c = (const unsigned char *)s + 1;
    in.end = (const unsigned char *)s + len;
    if (!get_varint(&in, &t, (apr_uint64_t)ID_MAX_TIME)) {
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
        switch (tag) {
        case T_EXPIRY:
            if (seen_expiry++ || !get_varint(&in, &t, (apr_uint64_t)ID_MAX_TIME)) {
                return ATL_E_MALFORMED;
            }
            id->token_expiry = (apr_int64_t)t;
            break;
        case T_REFRESH:
            if (id->refresh_token
                || !(id->refresh_token = get_value(&in, p, ATL_IDENTITY_MAX_TOKEN))) {
                return ATL_E_MALFORMED;
            }
            break;
        case T_SITES:
            if (id->sites) {
                return ATL_E_MALFORMED;
            }
            id->sites = apr_array_make(p, 4, sizeof(atl_site_t));
            break;
        case T_SITE_ID:
            if (id->sites == NULL || id->sites->nelts >= ATL_IDENTITY_MAX_SITES) {
                return ATL_E_MALFORMED;
            }
            site = apr_array_push(id->sites);
            memset(site, 0, sizeof(*site));
            if (!(site->id = get_value(&in, p, ATL_IDENTITY_MAX_FIELD))) {
                return ATL_E_MALFORMED;
            }
            break;
        case T_SITE_NAME:
        case T_SITE_HOST: {
            const char **slot;

            if (site == NULL) {
                return ATL_E_MALFORMED;
            }
            slot = tag == T_SITE_NAME ? &site->name : &site->host;
            if (*slot || !(*slot = get_value(&in, p, ATL_IDENTITY_MAX_FIELD))) {
                return ATL_E_MALFORMED;
            }
            break;
        }
        case T_GROUPS:
            if (id->groups || !get_varint(&in, &t, (apr_uint64_t)ID_MAX_TIME)) {
                return ATL_E_MALFORMED;
            }
            id->groups_checked = (apr_int64_t)t;
            id->groups = apr_array_make(p, 4, sizeof(const char *));
            break;
        case T_GROUP: {
            const char *g;

            if (id->groups == NULL || id->groups->nelts >= ATL_IDENTITY_MAX_GROUPS
                || !(g = get_value(&in, p, ATL_IDENTITY_MAX_FIELD))) {
                return ATL_E_MALFORMED;
            }
            APR_ARRAY_PUSH(id->groups, const char *) = g;
            break;
        }
        default: return ATL_E_MALFORMED;
        }
    }
    if (id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_MALFORMED;
    }
    *idp = id;
    return APR_SUCCESS;
}

/* -- format 1: reading ------------------------------------------------------ */

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
static apr_status_t decode_v1(atl_identity_t **idp, apr_pool_t *p, const char *s,
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
            if (is_ctl((unsigned char)v[i])) {
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

apr_status_t atl_identity_decode(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    apr_status_t rv;

    *idp = NULL;
    if (s == NULL || len == 0 || len > ID_MAX_ENCODED) {
        return ATL_E_MALFORMED;
    }
    if ((unsigned char)s[0] == ID_VERSION_V2) {
        rv = decode_v2(idp, p, s, len);
    }
    else {
        rv = decode_v1(idp, p, s, len);
    }
    if (rv != APR_SUCCESS) {
        *idp = NULL;
        return rv;
    }
    if ((*idp)->login_time > 0) {
        (*idp)->f[ATL_F_LOGIN_TIME] =
            apr_psprintf(p, "%" APR_INT64_T_FMT, (*idp)->login_time);
    }
    atl_identity_join_sites(*idp, p);
    atl_identity_join_groups(*idp, p);
    return APR_SUCCESS;
}
