/* What the identity's files share among themselves: the description of
 * each field. Not for the rest of the module. */
#ifndef ATL_IDENTITY_PRIVATE_H
#define ATL_IDENTITY_PRIVATE_H

#include "atl_identity.h"

/* Field numbers of the storage format run from 1 to this. */
#define ATL_IDENTITY_MAX_NUM 47

typedef struct {
    const char *var;
    const char *header;
    const char *json;
    char code;                 /* first format's code; 0: not stored */
    unsigned char num;         /* storage number; 0: derived, not stored */
    apr_size_t max;            /* longest value stored */
    const char *const *abbrev; /* common values and prefixes, or NULL */
} atl_field_desc_t;

/* Indexed by atl_field_e. */
extern const atl_field_desc_t atl_identity_fields[ATL_F_COUNT];

/* -- shared by the storage formats (atl_identity_codec*.c) -- */

/* Tags of the records that follow the profile fields (formats 2 and 3). */
#define T_END       0x00
#define T_EXPIRY    0x30
#define T_REFRESH   0x31
#define T_SITES     0x32
#define T_SITE_ID   0x33
#define T_SITE_NAME 0x34
#define T_SITE_HOST 0x35
#define T_GROUPS    0x36
#define T_GROUP     0x37

/* Largest time the formats store: 18 decimal digits. */
#define ID_MAX_TIME APR_INT64_C(999999999999999999)

/* Bytes being read. */
typedef struct {
    const unsigned char *c, *end;
} in_t;

/* A LEB128 varint (7 bits a byte, low bits first) of at most 9 bytes, not
 * above max. */
int atl_codec_get_varint(in_t *in, apr_uint64_t *v, apr_uint64_t max);

/* The field stored under number num, or -1. The search starts at *hint,
 * the field after the last one found: fields come in their order. */
int atl_codec_field_of_num(unsigned num, int *hint);

/* Set field f of id to v, a value read: 0 when there is none (NULL) or
 * it is not one the field takes (email_verified is "true" or "false"). */
int atl_codec_set_field(atl_identity_t *id, int f, const char *v);

/* Reading the records after the profile fields (T_EXPIRY ... T_GROUP),
 * the same in formats 2 and 3 but for how a value is stored: get reads
 * one (NULL: malformed). */
typedef const char *(*atl_codec_value_fn)(in_t *in, apr_pool_t *p, apr_size_t max);

typedef struct {
    atl_site_t *site; /* the site that T_SITE_ID started last */
    int seen_expiry;
} atl_record_state_t;

/* One such record, its tag already read: 0 when malformed (an unknown
 * tag, a value twice, a site value without a site, a value too long). */
int atl_codec_get_record(in_t *in, apr_pool_t *p, atl_identity_t *id, unsigned char tag,
                         atl_record_state_t *rs, atl_codec_value_fn get);

/* The older formats (atl_identity_codec_old.c). s[0] is the format's
 * byte; ATL_E_MALFORMED for anything else than a whole, valid encoding. */
apr_status_t atl_codec_decode_v2(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len);
apr_status_t atl_codec_decode_v1(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len);

#endif
