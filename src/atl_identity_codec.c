/* SPDX-License-Identifier: Apache-2.0 */
/* How the identity is stored before it is sealed, and read back. The
 * format is specified in docs/storage-format.md; in short:
 *
 *     0x01                  the format
 *     records               each: varint key = number << 3 | wire type,
 *                           then the value in that wire type
 *     0x00                  the end (key 0): a cut encoding is never read
 *                           as a shorter one
 *
 * A varint is LEB128 (7 bits a byte, low bits first). Every record names
 * its field by number (atl_identity_fields[].num for the profile fields,
 * N_* below for the rest), so the order of atl_field_e means nothing to
 * the format. A number this reader does not know is skipped, so a field
 * removed from the code leaves stored logins readable; a number is never
 * given to another field. The wire types:
 *
 *     W_VARINT   varint                   a time, a marker
 *     W_TEXT     varint n, n bytes        a value as it is
 *     W_UUID     16 bytes                 a lower-case 8-4-4-4-12 UUID
 *     W_COMMON   varint k, varint n, n    common value or prefix k of the
 *                bytes                    field (atl_identity_fields[]
 *                                         .abbrev), then the rest
 *     W_COPY     varint m                 the value of profile field
 *                                         number m, stored before
 *
 * The login travels in the session cookie of every request, and httpd's
 * work on a cookie grows with its length (about 130 instructions a byte):
 * the packed UUID, the common values and the copy each pay for their few
 * lines (bench/README.md). Values never hold control characters (checked
 * when encoding and when decoding). ATL_F_SITES, ATL_F_SITE_IDS,
 * ATL_F_GROUPS and ATL_F_LOGIN_TIME are not stored: decode derives them. */

#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_identity_private.h"

#define fields atl_identity_fields

#define ID_FORMAT 0x01

/* Numbers of the records that are not profile fields (those have theirs in
 * atl_identity_fields[]: 2 to 16). */
enum {
    N_END = 0,
    N_LOGIN_TIME = 1,
    N_TOKEN_EXPIRY = 17,
    N_REFRESH = 18,
    N_SITES = 19,     /* the sites were fetched (possibly none) */
    N_SITE_ID = 20,   /* starts a site */
    N_SITE_NAME = 21, /* of the site started last */
    N_SITE_HOST = 22,
    N_GROUPS = 23, /* the groups were checked, at this time */
    N_GROUP = 24   /* one configured "site/group" the user is in */
};

enum { W_VARINT = 0, W_TEXT = 1, W_UUID = 2, W_COMMON = 3, W_COPY = 4 };

/* Largest time stored: 18 decimal digits. */
#define ID_MAX_TIME APR_INT64_C(999999999999999999)

/* Longest stored encoding that decode accepts; anything larger is not ours. */
#define ID_MAX_ENCODED (64 * 1024)

#define UUID_LEN 36

/* A UUID's groups of bytes, written as hex and joined by dashes. */
static const apr_size_t uuid_groups[] = {4, 2, 2, 2, 6};

/* Whether v (UUID_LEN bytes) is a lower-case UUID: 8-4-4-4-12. */
static int is_uuid(const char *v)
{
    int i;

    for (i = 0; i < UUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? v[i] != '-'
                 : !((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* Whether v is fit to be stored: non-empty, at most max bytes, no control
 * character. */
static int storable(const char *v, apr_size_t max)
{
    apr_size_t i;

    for (i = 0; v[i]; i++) {
        if (i >= max || atl_identity_has_control(v + i, 1)) {
            return 0;
        }
    }
    return i > 0;
}

/* -- writing ---------------------------------------------------------------- */

typedef struct {
    unsigned char *b;
    apr_size_t n;
} out_t;

static void put_varint(out_t *o, apr_uint64_t v)
{
    while (v >= 0x80) {
        o->b[o->n++] = (unsigned char)(v & 0x7f) | 0x80;
        v >>= 7;
    }
    o->b[o->n++] = (unsigned char)v;
}

static void put_key(out_t *o, unsigned num, unsigned wire)
{
    put_varint(o, (apr_uint64_t)num << 3 | wire);
}

static void put_bytes(out_t *o, const char *v, apr_size_t n)
{
    put_varint(o, n);
    memcpy(o->b + o->n, v, n);
    o->n += n;
}

/* Record num holding v in its shortest form. f is the profile field it
 * is (its common values, earlier fields to copy), or -1. */
static void put_text(out_t *o, unsigned num, const char *v, const atl_identity_t *id,
                     int f)
{
    const char *const *a = f >= 0 ? fields[f].abbrev : NULL;
    apr_size_t n = strlen(v), l, best = 0;
    int g, k, bestk = -1;

    /* A copy of a profile field written before this one. */
    for (g = 0; f >= 0 && g < f && n > 2; g++) {
        if (fields[g].num && id->f[g] && strcmp(id->f[g], v) == 0) {
            put_key(o, num, W_COPY);
            put_varint(o, fields[g].num);
            return;
        }
    }
    if (n == UUID_LEN && is_uuid(v)) {
        apr_size_t len = 0;

        put_key(o, num, W_UUID);
        for (k = 0; k < 5; k++) {
            apr_decode_base16_binary(o->b + o->n, v, (apr_ssize_t)(2 * uuid_groups[k]),
                                     APR_ENCODE_NONE, &len);
            o->n += len;
            v += 2 * uuid_groups[k] + 1;
        }
        return;
    }
    /* The longest common value or prefix: one index byte for its bytes. */
    for (k = 0; a && a[k]; k++) {
        l = strlen(a[k]);
        if (l > best && l <= n && memcmp(v, a[k], l) == 0) {
            best = l;
            bestk = k;
        }
    }
    if (bestk >= 0 && best > 1) {
        put_key(o, num, W_COMMON);
        put_varint(o, (apr_uint64_t)bestk);
        put_bytes(o, v + best, n - best);
        return;
    }
    put_key(o, num, W_TEXT);
    put_bytes(o, v, n);
}

static void put_number(out_t *o, unsigned num, apr_int64_t v)
{
    put_key(o, num, W_VARINT);
    put_varint(o, (apr_uint64_t)v);
}

/* The refusal for a value that cannot be stored. */
static apr_status_t unstorable(const char *v, apr_size_t max)
{
    return strlen(v) > max ? ATL_E_TOOBIG : ATL_E_BADINPUT;
}

apr_status_t atl_identity_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const atl_identity_t *id)
{
    out_t o;
    apr_size_t bound = 64;
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
            return unstorable(v, fields[i].max);
        }
        if (i == ATL_F_EMAIL_VERIFIED && strcmp(v, "true") && strcmp(v, "false")) {
            return ATL_E_BADINPUT;
        }
        bound += strlen(v) + 12;
    }
    if (id->login_time < 0 || id->token_expiry < 0 || id->login_time > ID_MAX_TIME
        || id->token_expiry > ID_MAX_TIME
        || (id->groups && (id->groups_checked < 0 || id->groups_checked > ID_MAX_TIME))) {
        return ATL_E_BADINPUT;
    }
    if (id->refresh_token && *id->refresh_token) {
        if (!storable(id->refresh_token, ATL_IDENTITY_MAX_TOKEN)) {
            return unstorable(id->refresh_token, ATL_IDENTITY_MAX_TOKEN);
        }
        bound += strlen(id->refresh_token) + 12;
    }
    if (id->sites) {
        /* Site values are display data from Atlassian: cleaned here rather
         * than refused, so that one odd site name cannot break a login. A
         * site without an id cannot be stored. */
        nsites = id->sites->nelts < ATL_IDENTITY_MAX_SITES ? id->sites->nelts
                                                           : ATL_IDENTITY_MAX_SITES;
        clean = apr_pcalloc(p, sizeof(const char *) * 3 * (apr_size_t)(nsites + 1));
        for (i = 0; i < 3 * nsites; i++) {
            const atl_site_t *site = &APR_ARRAY_IDX(id->sites, i / 3, atl_site_t);
            const char *v = i % 3 == 0 ? site->id : i % 3 == 1 ? site->name : site->host;

            clean[i] =
                v ? atl_identity_sanitize(p, v, strlen(v), ATL_IDENTITY_MAX_FIELD) : NULL;
            bound += clean[i] ? strlen(clean[i]) + 12 : 0;
        }
    }
    for (i = 0; id->groups && i < id->groups->nelts && i < ATL_IDENTITY_MAX_GROUPS; i++) {
        const char *g = APR_ARRAY_IDX(id->groups, i, const char *);

        bound += g ? strlen(g) + 12 : 0;
    }

    o.b = apr_palloc(p, bound);
    o.n = 0;
    o.b[o.n++] = ID_FORMAT;
    if (id->login_time > 0) {
        put_number(&o, N_LOGIN_TIME, id->login_time);
    }
    for (i = 0; i < ATL_F_COUNT; i++) {
        if (fields[i].num && id->f[i] && *id->f[i]) {
            put_text(&o, fields[i].num, id->f[i], id, i);
        }
    }
    if (id->token_expiry > 0) {
        put_number(&o, N_TOKEN_EXPIRY, id->token_expiry);
    }
    if (id->refresh_token && *id->refresh_token) {
        put_text(&o, N_REFRESH, id->refresh_token, id, -1);
    }
    if (id->sites) {
        put_number(&o, N_SITES, 1);
        for (i = 0; i < 3 * nsites; i += 3) {
            if (clean[i]) {
                put_text(&o, N_SITE_ID, clean[i], id, -1);
                if (clean[i + 1]) {
                    put_text(&o, N_SITE_NAME, clean[i + 1], id, -1);
                }
                if (clean[i + 2]) {
                    put_text(&o, N_SITE_HOST, clean[i + 2], id, -1);
                }
            }
        }
    }
    if (id->groups) {
        put_number(&o, N_GROUPS, id->groups_checked);
        for (i = 0; i < id->groups->nelts && i < ATL_IDENTITY_MAX_GROUPS; i++) {
            const char *g = APR_ARRAY_IDX(id->groups, i, const char *);

            /* Configured values: one that cannot be stored is left out (it
             * then does not grant), never stored changed. */
            if (g && storable(g, ATL_IDENTITY_MAX_FIELD)) {
                put_text(&o, N_GROUP, g, id, -1);
            }
        }
    }
    o.b[o.n++] = N_END;
    *out = (const char *)o.b;
    if (len) {
        *len = o.n;
    }
    return APR_SUCCESS;
}

/* -- reading ---------------------------------------------------------------- */

typedef struct {
    const unsigned char *c, *end;
} in_t;

/* One record's value as it is stored, before it is made a string. */
typedef struct {
    unsigned wire;
    apr_uint64_t v;         /* W_VARINT: the value; W_COMMON: the index; W_COPY: the
                               number */
    const unsigned char *b; /* W_TEXT, W_COMMON: the bytes; W_UUID: 16 */
    apr_size_t n;
} item_t;

/* A varint of at most 9 bytes, not above max. */
static int get_varint(in_t *in, apr_uint64_t *v, apr_uint64_t max)
{
    apr_uint64_t r = 0;
    int shift;

    for (shift = 0; shift < 63 && in->c < in->end; shift += 7) {
        unsigned char b = *in->c++;

        r |= (apr_uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return r <= max;
        }
    }
    return 0;
}

/* The value of a record of wire type wire: 0 when it is cut short or the
 * wire type is unknown (which cannot be skipped). */
static int get_item(in_t *in, item_t *it, unsigned wire)
{
    apr_uint64_t n = 16;

    memset(it, 0, sizeof(*it));
    it->wire = wire;
    switch (wire) {
    case W_VARINT:
    case W_COPY: return get_varint(in, &it->v, (apr_uint64_t)ID_MAX_TIME);
    case W_COMMON:
        if (!get_varint(in, &it->v, 255)) {
            return 0;
        }
        /* fall through */
    case W_TEXT:
        if (!get_varint(in, &n, ID_MAX_ENCODED)) {
            return 0;
        }
        break;
    case W_UUID: break;
    default: return 0;
    }
    if (n > (apr_uint64_t)(in->end - in->c)) {
        return 0;
    }
    it->b = in->c;
    it->n = (apr_size_t)n;
    in->c += n;
    return 1;
}

/* The string a text record holds, at most max bytes, never empty, without
 * control characters; NULL when it holds none. Copies and common values
 * only for a profile field f (else -1). */
static const char *item_text(apr_pool_t *p, const item_t *it, const atl_identity_t *id,
                             int f, apr_size_t max)
{
    const char *const *a = f >= 0 ? fields[f].abbrev : NULL;
    const char *pre = "";
    char *v, *w;
    apr_size_t k, len = 0;
    int g;

    switch (it->wire) {
    case W_COPY:
        for (g = 0; f >= 0 && g < ATL_F_COUNT; g++) {
            if (g != f && fields[g].num && fields[g].num == it->v && id->f[g]) {
                return strlen(id->f[g]) <= max ? id->f[g] : NULL;
            }
        }
        return NULL;
    case W_UUID:
        v = w = apr_palloc(p, UUID_LEN + 1);
        for (k = 0; k < 5; k++) {
            apr_encode_base16_binary(w, it->b + len / 2, (apr_ssize_t)uuid_groups[k],
                                     APR_ENCODE_LOWER, NULL);
            w += 2 * uuid_groups[k];
            len += 2 * uuid_groups[k];
            *w++ = '-';
        }
        v[UUID_LEN] = '\0';
        return UUID_LEN <= max ? v : NULL;
    case W_COMMON:
        for (k = 0; a && a[k] && k < it->v; k++) {
        }
        if (a == NULL || a[k] == NULL) {
            return NULL;
        }
        pre = a[k];
        /* fall through */
    case W_TEXT:
        len = strlen(pre);
        if (len + it->n == 0 || len + it->n > max
            || atl_identity_has_control((const char *)it->b, it->n)) {
            return NULL;
        }
        v = apr_palloc(p, len + it->n + 1);
        memcpy(v, pre, len);
        memcpy(v + len, it->b, it->n);
        v[len + it->n] = '\0';
        return v;
    default: return NULL;
    }
}

/* What reading has seen so far. */
typedef struct {
    atl_site_t *site; /* the site that N_SITE_ID started last */
    int seen_time, seen_expiry;
} read_state_t;

/* One record, its key read: 0 when malformed (a value twice, a site value
 * without a site, a value too long, a wire type the number does not take). */
static int get_record(in_t *in, apr_pool_t *p, atl_identity_t *id, read_state_t *rs,
                      apr_uint64_t num, unsigned wire)
{
    item_t it;
    const char *v, **slot;
    int f;

    if (!get_item(in, &it, wire)) {
        return 0;
    }
    for (f = 0; f < ATL_F_COUNT; f++) {
        if (fields[f].num && fields[f].num == num) {
            if (id->f[f] || !(v = item_text(p, &it, id, f, fields[f].max))
                || (f == ATL_F_EMAIL_VERIFIED && strcmp(v, "true")
                    && strcmp(v, "false"))) {
                return 0;
            }
            id->f[f] = v;
            return 1;
        }
    }
    switch (num) {
    case N_LOGIN_TIME:
    case N_TOKEN_EXPIRY:
        if (wire != W_VARINT
            || (num == N_LOGIN_TIME ? rs->seen_time++ : rs->seen_expiry++)) {
            return 0;
        }
        *(num == N_LOGIN_TIME ? &id->login_time : &id->token_expiry) = (apr_int64_t)it.v;
        return 1;
    case N_REFRESH:
        return !id->refresh_token
               && (id->refresh_token = item_text(p, &it, id, -1, ATL_IDENTITY_MAX_TOKEN));
    case N_SITES:
        if (wire != W_VARINT || id->sites) {
            return 0;
        }
        id->sites = apr_array_make(p, 4, sizeof(atl_site_t));
        return 1;
    case N_SITE_ID:
        if (!id->sites || id->sites->nelts >= ATL_IDENTITY_MAX_SITES) {
            return 0;
        }
        rs->site = apr_array_push(id->sites);
        memset(rs->site, 0, sizeof(*rs->site));
        return (rs->site->id = item_text(p, &it, id, -1, ATL_IDENTITY_MAX_FIELD)) != NULL;
    case N_SITE_NAME:
    case N_SITE_HOST:
        if (rs->site == NULL) {
            return 0;
        }
        slot = num == N_SITE_NAME ? &rs->site->name : &rs->site->host;
        return !*slot && (*slot = item_text(p, &it, id, -1, ATL_IDENTITY_MAX_FIELD));
    case N_GROUPS:
        if (wire != W_VARINT || id->groups) {
            return 0;
        }
        id->groups_checked = (apr_int64_t)it.v;
        id->groups = apr_array_make(p, 4, sizeof(const char *));
        return 1;
    case N_GROUP:
        if (!id->groups || id->groups->nelts >= ATL_IDENTITY_MAX_GROUPS
            || !(v = item_text(p, &it, id, -1, ATL_IDENTITY_MAX_FIELD))) {
            return 0;
        }
        APR_ARRAY_PUSH(id->groups, const char *) = v;
        return 1;
    default: return 1; /* a number this reader does not know: skipped */
    }
}

apr_status_t atl_identity_decode(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    atl_identity_t *id;
    read_state_t rs = {NULL, 0, 0};
    apr_uint64_t key;
    in_t in;

    *idp = NULL;
    if (s == NULL || len < 2 || len > ID_MAX_ENCODED
        || (unsigned char)s[0] != ID_FORMAT) {
        return ATL_E_MALFORMED;
    }
    id = atl_identity_make(p);
    in.c = (const unsigned char *)s + 1;
    in.end = (const unsigned char *)s + len;
    for (;;) {
        if (!get_varint(&in, &key, APR_UINT64_C(0xffffffff))) {
            return ATL_E_MALFORMED;
        }
        if (key == N_END) {
            break;
        }
        if (!get_record(&in, p, id, &rs, key >> 3, (unsigned)(key & 7))) {
            return ATL_E_MALFORMED;
        }
    }
    if (in.c != in.end || id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_MALFORMED;
    }
    if (id->login_time > 0) {
        id->f[ATL_F_LOGIN_TIME] = apr_psprintf(p, "%" APR_INT64_T_FMT, id->login_time);
    }
    atl_identity_join_sites(id, p);
    atl_identity_join_groups(id, p);
    *idp = id;
    return APR_SUCCESS;
}
