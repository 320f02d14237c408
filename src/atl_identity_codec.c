/* How the identity is stored before it is sealed, and read back.
 *
 * Format 3 (written): bytes, made to be short, since the sealed login
 * travels in the session cookie of every request and httpd's work on a
 * cookie grows with its length (about 130 instructions a byte).
 *
 *     0x03                      the format
 *     varint                    login_time - ID_TIME_BASE, zigzag
 *     varint                    which profile fields follow: bit num - 1
 *                               for field number num
 *     one record per field      in the order of their numbers
 *     records                   token expiry, refresh token, sites, groups
 *     0x00                      the end: a cut encoding is never read as a
 *                               shorter one
 *
 * A varint is LEB128 (7 bits a byte, low bits first); zigzag maps 0, -1, 1,
 * -2 ... to 0, 1, 2, 3 ... A field's record starts with a byte h: two mode
 * bits and six bits x.
 *
 *     0x40 | x           the same value as field number x, stored before
 *     0x80 | x           the field's x-th common value or prefix
 *                        (atl_identity_fields[].abbrev), then a text item:
 *                        the rest (0x00 when there is none)
 *     else               h starts a text item: the value
 *
 * A text item starts with a byte h as well:
 *
 *     0x00 | x           x bytes (1 to 62) follow; x = 63: 63 + a varint
 *     0xC0 | 0           a UUID: 16 bytes, the value is their lower-case
 *                        hex in 8-4-4-4-12 groups
 *     0xC0 | 1           varint n, n bytes, then a UUID as above: the value
 *                        is those bytes followed by the UUID ("557058:...")
 *     0xC0 | 2..33       x - 1 bytes: the value is their lower-case hex
 *     0xC0 | 34          varint n, then n characters in the text code
 *     0xC0 | 35..63      x - 34 characters in the text code
 *
 * The text code (atl_textcode.c) is a fixed Huffman code of about 5 bits a
 * character for profile text. The writer takes the shortest form.
 *
 * The records after the fields have tags of their own (T_* in
 * atl_identity_private.h): T_EXPIRY varint; T_REFRESH text item; T_SITES
 * (sites were fetched, possibly none); T_SITE_ID text item starts a site,
 * T_SITE_NAME and T_SITE_HOST text items of that site may follow; T_GROUPS
 * varint (groups were checked then); T_GROUP text item, one configured
 * "site/group" the user is in.
 *
 * Values never hold control characters (checked when encoding and when
 * decoding). ATL_F_SITES, ATL_F_SITE_IDS, ATL_F_GROUPS and ATL_F_LOGIN_TIME
 * are not stored: decode derives them from the sites, groups and
 * login_time. Formats 1 and 2 are still read (atl_identity_codec_old.c). */

#include <string.h>

#include <apr_encode.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_identity_private.h"
#include "atl_textcode.h"

#define fields atl_identity_fields

#define ID_VERSION_V2 0x02
#define ID_VERSION_V3 0x03

/* login_time is stored as its difference from this (November 2023). */
#define ID_TIME_BASE APR_INT64_C(1700000000)

#define H_MODE   0xC0
#define H_RAW    0x00
#define H_COPY   0x40
#define H_PREFIX 0x80
#define H_PACKED 0xC0
#define H_X      0x3F

#define X_RAW_LONG    63 /* H_RAW: 63 + varint bytes */
#define X_UUID        0
#define X_PREFIX_UUID 1
#define X_HEX_FIRST   2 /* x - 1 bytes of hex */
#define X_HEX_LAST    33
#define X_CODED_LONG  34 /* varint n characters */
#define X_CODED_FIRST 35 /* x - 34 characters */

#define UUID_LEN 36

/* Longest stored encoding that decode accepts; anything larger is not ours. */
#define ID_MAX_ENCODED (64 * 1024)

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether the n bytes of v are lower-case hex digits. */
static int is_hex(const char *v, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (hexval(v[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

/* Whether v (UUID_LEN bytes) is a lower-case UUID: 8-4-4-4-12. */
static int is_uuid(const char *v)
{
    int i;

    for (i = 0; i < UUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? v[i] != '-' : hexval(v[i]) < 0) {
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

/* -- format 3: writing ------------------------------------------------------ */

typedef struct {
    unsigned char *b;
    apr_size_t n;
} out_t;

static void put_byte(out_t *o, unsigned char c)
{
    o->b[o->n++] = c;
}

static apr_size_t varint_size(apr_uint64_t v)
{
    apr_size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint(out_t *o, apr_uint64_t v)
{
    while (v >= 0x80) {
        put_byte(o, (unsigned char)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    put_byte(o, (unsigned char)v);
}

/* A UUID's groups of bytes, each written as hex and followed (but the
 * last) by a dash. */
static const apr_size_t uuid_groups[] = {4, 2, 2, 2, 6};

/* The bytes that the lower-case hex digits of v stand for: all n of them,
 * or a UUID's groups (without its dashes). */
static void put_hex(out_t *o, const char *v, apr_size_t n, int uuid)
{
    apr_size_t k, len = 0;

    if (!uuid) {
        apr_decode_base16_binary(o->b + o->n, v, (apr_ssize_t)n, APR_ENCODE_NONE, &len);
        o->n += len;
        return;
    }
    for (k = 0; k < sizeof(uuid_groups) / sizeof(uuid_groups[0]); k++) {
        apr_decode_base16_binary(o->b + o->n, v, (apr_ssize_t)(2 * uuid_groups[k]),
                                 APR_ENCODE_NONE, &len);
        o->n += len;
        v += 2 * uuid_groups[k] + 1;
    }
}

/* The forms a text item can take, and what each costs. */
typedef enum { TI_RAW, TI_UUID, TI_PREFIX_UUID, TI_HEX, TI_CODED } ti_form_e;

static apr_size_t text_cost(const char *v, apr_size_t n, ti_form_e *form)
{
    apr_size_t best = 1 + (n >= X_RAW_LONG ? varint_size(n - X_RAW_LONG) : 0) + n, c;

    *form = TI_RAW;
    if (n == 0) {
        return best;
    }
    if (n == UUID_LEN && is_uuid(v)) {
        *form = TI_UUID;
        return 17;
    }
    if (n > UUID_LEN && is_uuid(v + n - UUID_LEN)
        && (c = 1 + varint_size(n - UUID_LEN) + (n - UUID_LEN) + 16) < best) {
        best = c;
        *form = TI_PREFIX_UUID;
    }
    if (n % 2 == 0 && n / 2 <= X_HEX_LAST - 1 && is_hex(v, n) && 1 + n / 2 < best) {
        best = 1 + n / 2;
        *form = TI_HEX;
    }
    c = 1 + (n > 29 ? varint_size(n) : 0) + atl_textcode_size(v, n);
    if (c < best) {
        best = c;
        *form = TI_CODED;
    }
    return best;
}

static void put_text(out_t *o, const char *v, apr_size_t n)
{
    ti_form_e form;

    text_cost(v, n, &form);
    switch (form) {
    case TI_UUID:
        put_byte(o, H_PACKED | X_UUID);
        put_hex(o, v, n, 1);
        break;
    case TI_PREFIX_UUID:
        put_byte(o, H_PACKED | X_PREFIX_UUID);
        put_varint(o, n - UUID_LEN);
        memcpy(o->b + o->n, v, n - UUID_LEN);
        o->n += n - UUID_LEN;
        put_hex(o, v + n - UUID_LEN, UUID_LEN, 1);
        break;
    case TI_HEX:
        put_byte(o, (unsigned char)(H_PACKED | (X_HEX_FIRST - 1 + n / 2)));
        put_hex(o, v, n, 0);
        break;
    case TI_CODED:
        if (n > 29) {
            put_byte(o, H_PACKED | X_CODED_LONG);
            put_varint(o, n);
        }
        else {
            put_byte(o, (unsigned char)(H_PACKED | (X_CODED_FIRST - 1 + n)));
        }
        atl_textcode_put(o->b + o->n, v, n);
        o->n += atl_textcode_size(v, n);
        break;
    default:
        if (n >= X_RAW_LONG) {
            put_byte(o, H_RAW | X_RAW_LONG);
            put_varint(o, n - X_RAW_LONG);
        }
        else {
            put_byte(o, (unsigned char)(H_RAW | n));
        }
        memcpy(o->b + o->n, v, n);
        o->n += n;
    }
}

/* The field's value in its shortest form: a copy of an earlier field, a
 * common value or prefix and the rest, or a text item. */
static void put_field(out_t *o, const atl_identity_t *id, int f)
{
    const char *v = id->f[f];
    const char *const *a = fields[f].abbrev;
    apr_size_t n = strlen(v), best, c;
    ti_form_e form;
    int g, k, bestk = -1;

    for (g = 0; g < f && n > 1; g++) {
        if (fields[g].num && id->f[g] && strcmp(id->f[g], v) == 0) {
            put_byte(o, (unsigned char)(H_COPY | fields[g].num));
            return;
        }
    }
    best = text_cost(v, n, &form);
    for (k = 0; a && a[k]; k++) {
        apr_size_t l = strlen(a[k]);

        if (l <= n && memcmp(v, a[k], l) == 0
            && (c = 1 + text_cost(v + l, n - l, &form)) < best) {
            best = c;
            bestk = k;
        }
    }
    if (bestk >= 0) {
        apr_size_t l = strlen(a[bestk]);

        put_byte(o, (unsigned char)(H_PREFIX | bestk));
        put_text(o, v + l, n - l);
        return;
    }
    put_text(o, v, n);
}

static void put_tagged_text(out_t *o, unsigned char tag, const char *v)
{
    put_byte(o, tag);
    put_text(o, v, strlen(v));
}

static apr_uint64_t zigzag(apr_int64_t v)
{
    return v < 0 ? ((apr_uint64_t)(-(v + 1)) << 1) | 1 : (apr_uint64_t)v << 1;
}

/* -- format 3: encoding ---------------------------------------------------- */

apr_status_t atl_identity_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const atl_identity_t *id)
{
    out_t o;
    apr_size_t bound = 32;
    const char **clean = NULL;
    apr_uint64_t present = 0;
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
    put_byte(&o, ID_VERSION_V3);
    put_varint(&o, zigzag(id->login_time - ID_TIME_BASE));
    for (i = 0; i < ATL_F_COUNT; i++) {
        if (fields[i].num && id->f[i] && *id->f[i]) {
            present |= (apr_uint64_t)1 << (fields[i].num - 1);
        }
    }
    put_varint(&o, present);
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
        put_tagged_text(&o, T_REFRESH, id->refresh_token);
    }
    if (id->sites) {
        put_byte(&o, T_SITES);
        for (i = 0; i < nsites; i++) {
            if (clean[3 * i] == NULL) {
                continue;
            }
            put_tagged_text(&o, T_SITE_ID, clean[3 * i]);
            if (clean[3 * i + 1]) {
                put_tagged_text(&o, T_SITE_NAME, clean[3 * i + 1]);
            }
            if (clean[3 * i + 2]) {
                put_tagged_text(&o, T_SITE_HOST, clean[3 * i + 2]);
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
                put_tagged_text(&o, T_GROUP, g);
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

/* -- format 3: reading ------------------------------------------------------ */

int atl_codec_get_varint(in_t *in, apr_uint64_t *v, apr_uint64_t max)
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

int atl_codec_field_of_num(unsigned num, int *hint)
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

/* The lower-case hex of the bytes at in->c, in a UUID's groups with
 * dashes when uuid is set (bytes is 16 then); out holds it and a NUL. */
static int get_hex(in_t *in, char *out, apr_size_t bytes, int uuid)
{
    apr_size_t k, off = 0, len = 0;

    if (bytes > (apr_size_t)(in->end - in->c)) {
        return 0;
    }
    if (!uuid) {
        apr_encode_base16_binary(out, in->c, (apr_ssize_t)bytes, APR_ENCODE_LOWER, &len);
    }
    for (k = 0; uuid && k < sizeof(uuid_groups) / sizeof(uuid_groups[0]); k++) {
        if (k) {
            *out++ = '-';
        }
        apr_encode_base16_binary(out, in->c + off, (apr_ssize_t)uuid_groups[k],
                                 APR_ENCODE_LOWER, &len);
        out += len;
        off += uuid_groups[k];
    }
    in->c += bytes;
    return 1;
}

/* A text item of at most max bytes (at least one unless empty_ok), without
 * control characters, copied into p; NULL when malformed. */
static const char *get_text(in_t *in, apr_pool_t *p, apr_size_t max, int empty_ok)
{
    apr_uint64_t n = 0, pre;
    unsigned char h, x;
    char *v;

    if (in->c >= in->end) {
        return NULL;
    }
    h = *in->c++;
    x = h & H_X;
    switch (h & H_MODE) {
    case H_RAW:
        n = x;
        if (x == X_RAW_LONG) {
            if (!atl_codec_get_varint(in, &n, max)) {
                return NULL;
            }
            n += X_RAW_LONG;
        }
        if ((n == 0 && !empty_ok) || n > max || n > (apr_uint64_t)(in->end - in->c)) {
            return NULL;
        }
        v = apr_pstrmemdup(p, (const char *)in->c, (apr_size_t)n);
        in->c += n;
        break;
    case H_PACKED:
        if (x == X_UUID || x == X_PREFIX_UUID) {
            pre = 0;
            if (x == X_PREFIX_UUID
                && (!atl_codec_get_varint(in, &pre, max)
                    || pre > (apr_uint64_t)(in->end - in->c))) {
                return NULL;
            }
            n = pre + UUID_LEN;
            if (pre == 0 && x == X_PREFIX_UUID) {
                return NULL;
            }
            if (n > max) {
                return NULL;
            }
            v = apr_palloc(p, (apr_size_t)n + 1);
            memcpy(v, in->c, (apr_size_t)pre);
            in->c += pre;
            if (!get_hex(in, v + pre, 16, 1)) {
                return NULL;
            }
        }
        else if (x <= X_HEX_LAST) {
            n = 2 * (apr_uint64_t)(x - X_HEX_FIRST + 1);
            if (n > max) {
                return NULL;
            }
            v = apr_palloc(p, (apr_size_t)n + 1);
            if (!get_hex(in, v, (apr_size_t)n / 2, 0)) {
                return NULL;
            }
        }
        else {
            n = (apr_uint64_t)(x - X_CODED_FIRST + 1);
            if (x == X_CODED_LONG && !atl_codec_get_varint(in, &n, max)) {
                return NULL;
            }
            /* Each character takes at least one bit. */
            if (n == 0 || n > max || n > 8 * (apr_uint64_t)(in->end - in->c)) {
                return NULL;
            }
            v = apr_palloc(p, (apr_size_t)n + 1);
            if (!atl_textcode_get(v, (apr_size_t)n, &in->c, in->end)) {
                return NULL;
            }
        }
        v[n] = '\0';
        break;
    default: return NULL;
    }
    return atl_identity_has_control(v, (apr_size_t)n) ? NULL : v;
}

int atl_codec_set_field(atl_identity_t *id, int f, const char *v)
{
    if (v == NULL
        || (f == ATL_F_EMAIL_VERIFIED && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
        return 0;
    }
    id->f[f] = v;
    return 1;
}

/* A stored value that is not a profile field: a text item, never empty. */
static const char *get_text_stored(in_t *in, apr_pool_t *p, apr_size_t max)
{
    return get_text(in, p, max, 0);
}

int atl_codec_get_record(in_t *in, apr_pool_t *p, atl_identity_t *id, unsigned char tag,
                         atl_record_state_t *rs, atl_codec_value_fn get)
{
    apr_uint64_t t;
    const char **slot, *g;

    switch (tag) {
    case T_EXPIRY:
        if (rs->seen_expiry++ || !atl_codec_get_varint(in, &t, (apr_uint64_t)ID_MAX_TIME)) {
            return 0;
        }
        id->token_expiry = (apr_int64_t)t;
        return 1;
    case T_REFRESH:
        return !id->refresh_token
               && (id->refresh_token = get(in, p, ATL_IDENTITY_MAX_TOKEN)) != NULL;
    case T_SITES:
        if (id->sites) {
            return 0;
        }
        id->sites = apr_array_make(p, 4, sizeof(atl_site_t));
        return 1;
    case T_SITE_ID:
        if (id->sites == NULL || id->sites->nelts >= ATL_IDENTITY_MAX_SITES) {
            return 0;
        }
        rs->site = apr_array_push(id->sites);
        memset(rs->site, 0, sizeof(*rs->site));
        return (rs->site->id = get(in, p, ATL_IDENTITY_MAX_FIELD)) != NULL;
    case T_SITE_NAME:
    case T_SITE_HOST:
        if (rs->site == NULL) {
            return 0;
        }
        slot = tag == T_SITE_NAME ? &rs->site->name : &rs->site->host;
        return !*slot && (*slot = get(in, p, ATL_IDENTITY_MAX_FIELD)) != NULL;
    case T_GROUPS:
        if (id->groups || !atl_codec_get_varint(in, &t, (apr_uint64_t)ID_MAX_TIME)) {
            return 0;
        }
        id->groups_checked = (apr_int64_t)t;
        id->groups = apr_array_make(p, 4, sizeof(const char *));
        return 1;
    case T_GROUP:
        if (id->groups == NULL || id->groups->nelts >= ATL_IDENTITY_MAX_GROUPS
            || !(g = get(in, p, ATL_IDENTITY_MAX_FIELD))) {
            return 0;
        }
        APR_ARRAY_PUSH(id->groups, const char *) = g;
        return 1;
    default: return 0;
    }
}

/* The record of field f. */
static int get_field(in_t *in, apr_pool_t *p, atl_identity_t *id, int f)
{
    const char *v = NULL;
    unsigned char h;
    int g, hint = 0;

    if (in->c >= in->end) {
        return 0;
    }
    h = *in->c;
    switch (h & H_MODE) {
    case H_COPY:
        in->c++;
        g = atl_codec_field_of_num(h & H_X, &hint);
        if (g < 0 || g == f || !id->f[g] || strlen(id->f[g]) > fields[f].max) {
            return 0;
        }
        v = id->f[g];
        break;
    case H_PREFIX: {
        const char *const *a = fields[f].abbrev;
        const char *rest;
        int k = h & H_X, nk;
        apr_size_t l;

        in->c++;
        for (nk = 0; a && a[nk]; nk++) {
        }
        if (k >= nk || (l = strlen(a[k])) > fields[f].max
            || !(rest = get_text(in, p, fields[f].max - l, 1))) {
            return 0;
        }
        v = *rest ? apr_pstrcat(p, a[k], rest, NULL) : a[k];
        break;
    }
    default: v = get_text(in, p, fields[f].max, 0);
    }
    return atl_codec_set_field(id, f, v);
}

static apr_status_t decode_v3(atl_identity_t **idp, apr_pool_t *p, const char *s,
                              apr_size_t len)
{
    atl_identity_t *id = atl_identity_make(p);
    atl_record_state_t rs = {NULL, 0};
    apr_uint64_t t, present, known = 0;
    in_t in;
    int f;

    in.c = (const unsigned char *)s + 1;
    in.end = (const unsigned char *)s + len;
    if (!atl_codec_get_varint(&in, &t, APR_UINT64_MAX >> 1)) {
        return ATL_E_MALFORMED;
    }
    /* Undo the zigzag, then the base; the time must be one format 2 could
     * store too. */
    if (t & 1 ? (t >> 1) >= (apr_uint64_t)ID_TIME_BASE
              : (t >> 1) > (apr_uint64_t)(ID_MAX_TIME - ID_TIME_BASE)) {
        return ATL_E_MALFORMED;
    }
    id->login_time = t & 1 ? ID_TIME_BASE - 1 - (apr_int64_t)(t >> 1)
                           : ID_TIME_BASE + (apr_int64_t)(t >> 1);
    for (f = 0; f < ATL_F_COUNT; f++) {
        if (fields[f].num) {
            known |= (apr_uint64_t)1 << (fields[f].num - 1);
        }
    }
    if (!atl_codec_get_varint(&in, &present, APR_UINT64_MAX >> 1) || (present & ~known)) {
        return ATL_E_MALFORMED;
    }
    for (f = 0; f < ATL_F_COUNT; f++) {
        if (fields[f].num && (present >> (fields[f].num - 1) & 1)
            && !get_field(&in, p, id, f)) {
            return ATL_E_MALFORMED;
        }
    }
    for (;;) {
        unsigned char tag;

        if (in.c >= in.end) {
            return ATL_E_MALFORMED; /* no end record */
        }
        tag = *in.c++;
        if (tag == T_END) {
            if (in.c != in.end || id->f[ATL_F_ACCOUNT_ID] == NULL) {
                return ATL_E_MALFORMED;
            }
            *idp = id;
            return APR_SUCCESS;
        }
        if (!atl_codec_get_record(&in, p, id, tag, &rs, get_text_stored)) {
            return ATL_E_MALFORMED;
        }
    }
}

apr_status_t atl_identity_decode(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    apr_status_t rv;

    *idp = NULL;
    if (s == NULL || len == 0 || len > ID_MAX_ENCODED) {
        return ATL_E_MALFORMED;
    }
    switch ((unsigned char)s[0]) {
    case ID_VERSION_V3: rv = decode_v3(idp, p, s, len); break;
    case ID_VERSION_V2: rv = atl_codec_decode_v2(idp, p, s, len); break;
    default: rv = atl_codec_decode_v1(idp, p, s, len);
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
