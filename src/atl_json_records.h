/* SPDX-License-Identifier: Apache-2.0 */
/* The one serialisation of the module's own records: the pending logins,
 * the shared outcome of a refresh, the shared group check and the kept
 * form POST. Each record is one JSON object whose members are described
 * once, by an array of atl_json_member_t, and that description serves
 * both to write a record and to read it back: required and optional
 * members, each of one exact type, every size bounded. A record is sealed
 * by its caller; what fails to read is refused whole.
 *
 * Members a reader does not know are ignored, so a later version may add
 * an optional member without breaking a node that still runs this one. */
#ifndef ATL_JSON_RECORDS_H
#define ATL_JSON_RECORDS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

/* The largest time a record holds, in seconds since the epoch (the end of
 * the year 9999): a bound for every member that is a time, so that no
 * arithmetic on it overflows. */
#define ATL_JSON_MAX_TIME 253402300799

typedef enum {
    ATL_JSON_STR,  /* a string of at most max bytes, UTF-8, no NUL */
    ATL_JSON_INT,  /* an integer from 0 to max */
    ATL_JSON_STRS, /* an array of at most max strings of item_bytes each */
    ATL_JSON_RECS  /* an array of at most max objects of the members sub */
} atl_json_kind_e;

typedef struct atl_json_member_s {
    const char *name;
    atl_json_kind_e kind;
    int required;
    apr_int64_t max;
    apr_size_t item_bytes;               /* ATL_JSON_STRS only */
    const struct atl_json_member_s *sub; /* ATL_JSON_RECS only */
    int nsub;
} atl_json_member_t;

/* The value of one member, at the same index as its description. */
typedef struct atl_json_value_s {
    int present;
    const char *s; /* ATL_JSON_STR */
    apr_size_t len;
    apr_int64_t i; /* ATL_JSON_INT */
    /* ATL_JSON_STRS: of const char *; ATL_JSON_RECS: of atl_json_value_t *,
     * each an array of nsub values. */
    apr_array_header_t *list;
} atl_json_value_t;

/* Whether the len bytes of s can be a string of a record (well-formed
 * UTF-8 without NUL), so that they read back unchanged. */
int atl_json_record_text_ok(const char *s, apr_size_t len);

/* Write the n members m with their values v (an absent optional member is
 * left out) as one JSON object into *out (pool memory, NUL-terminated,
 * *len bytes). ATL_E_BADINPUT when a required member is absent or a value
 * is outside its description: what is written can always be read. */
apr_status_t atl_json_record_write(const char **out, apr_size_t *len, apr_pool_t *p,
                                   const atl_json_member_t *m, int n,
                                   const atl_json_value_t *v);

/* Read one record of at most max_len bytes into v (n values, zeroed first).
 * ATL_E_TOOBIG past max_len; ATL_E_MALFORMED when it is not one JSON
 * object, a required member is missing or a member has another type or
 * size than its description says. */
apr_status_t atl_json_record_read(atl_json_value_t *v, apr_pool_t *p,
                                  const atl_json_member_t *m, int n, const char *s,
                                  apr_size_t len, apr_size_t max_len);

#endif
