/* SPDX-License-Identifier: Apache-2.0 */
/* The module's own records as JSON objects (see atl_json_records.h): one
 * description of the members writes a record and reads it back. Written
 * with json-c's plain writer; read through atl_json_load, so a record
 * meets the same strict parser, UTF-8 check and depth limit as every
 * answer from Atlassian. */

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#include "atl_json_private.h"
#include "atl_json_records.h"

/* Whether a string of len bytes fits a member of at most max bytes and
 * reads back unchanged (UTF-8, no NUL). */
static int rec_str_ok(const char *s, apr_size_t len, apr_int64_t max)
{
    return s && (apr_int64_t)len <= max && atl_json_record_text_ok(s, len);
}

int atl_json_record_text_ok(const char *s, apr_size_t len)
{
    return s && !memchr(s, '\0', len) && atl_json_utf8_valid(s, len);
}

static json_object *rec_build(const atl_json_member_t *m, int n,
                              const atl_json_value_t *v);

/* The JSON value of one member, or NULL when its value is outside its
 * description. */
static json_object *rec_build_value(const atl_json_member_t *m, const atl_json_value_t *v)
{
    json_object *a;
    int i;

    switch (m->kind) {
    case ATL_JSON_STR:
        return rec_str_ok(v->s, v->len, m->max)
                   ? json_object_new_string_len(v->s, (int)v->len)
                   : NULL;
    case ATL_JSON_INT:
        return v->i >= 0 && v->i <= m->max ? json_object_new_int64(v->i) : NULL;
    case ATL_JSON_STRS:
    case ATL_JSON_RECS:
        if (!v->list || v->list->nelts > m->max || !(a = json_object_new_array())) {
            return NULL;
        }
        for (i = 0; i < v->list->nelts; i++) {
            json_object *item;

            if (m->kind == ATL_JSON_STRS) {
                const char *s = APR_ARRAY_IDX(v->list, i, const char *);
                apr_size_t len = s ? strlen(s) : 0;

                item = rec_str_ok(s, len, (apr_int64_t)m->item_bytes)
                           ? json_object_new_string_len(s, (int)len)
                           : NULL;
            }
            else {
                item = rec_build(m->sub, m->nsub,
                                 APR_ARRAY_IDX(v->list, i, const atl_json_value_t *));
            }
            if (!item || json_object_array_add(a, item) != 0) {
                json_object_put(item);
                json_object_put(a);
                return NULL;
            }
        }
        return a;
    }
    return NULL;
}

static json_object *rec_build(const atl_json_member_t *m, int n,
                              const atl_json_value_t *v)
{
    json_object *o = v ? json_object_new_object() : NULL;
    int i;

    for (i = 0; o && i < n; i++) {
        json_object *jv;

        if (!v[i].present) {
            if (m[i].required) {
                json_object_put(o);
                return NULL;
            }
            continue;
        }
        jv = rec_build_value(&m[i], &v[i]);
        if (!jv || json_object_object_add(o, m[i].name, jv) != 0) {
            json_object_put(jv);
            json_object_put(o);
            return NULL;
        }
    }
    return o;
}

apr_status_t atl_json_record_write(const char **out, apr_size_t *len, apr_pool_t *p,
                                   const atl_json_member_t *m, int n,
                                   const atl_json_value_t *v)
{
    json_object *o = rec_build(m, n, v);
    const char *s;
    size_t slen = 0;

    *out = NULL;
    *len = 0;
    if (!o) {
        return ATL_E_BADINPUT;
    }
    s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
    if (s) {
        *out = apr_pstrmemdup(p, s, slen);
        *len = slen;
    }
    json_object_put(o);
    return *out ? APR_SUCCESS : APR_ENOMEM;
}

static int rec_parse(atl_json_value_t *v, apr_pool_t *p, const atl_json_member_t *m,
                     int n, json_object *o);

/* One string of at most max bytes that the writer would write (UTF-8, no
 * NUL), copied; NULL when j is anything else. */
static const char *rec_parse_str(apr_size_t *len, apr_pool_t *p, json_object *j,
                                 apr_int64_t max)
{
    const char *s;
    int n;

    if (!json_object_is_type(j, json_type_string)) {
        return NULL;
    }
    s = json_object_get_string(j);
    n = json_object_get_string_len(j);
    /* Checked again after json-c decoded the escapes: what the writer
     * would refuse is not read either. */
    if (!s || n < 0 || (apr_int64_t)n > max
        || !atl_json_record_text_ok(s, (apr_size_t)n)) {
        return NULL;
    }
    *len = (apr_size_t)n;
    return apr_pstrmemdup(p, s, (apr_size_t)n);
}

static int rec_parse_value(atl_json_value_t *v, apr_pool_t *p, const atl_json_member_t *m,
                           json_object *j)
{
    size_t i, count;

    switch (m->kind) {
    case ATL_JSON_STR: return (v->s = rec_parse_str(&v->len, p, j, m->max)) != NULL;
    case ATL_JSON_INT:
        if (!json_object_is_type(j, json_type_int)) {
            return 0;
        }
        v->i = json_object_get_int64(j);
        return v->i >= 0 && v->i <= m->max;
    case ATL_JSON_STRS:
    case ATL_JSON_RECS:
        if (!json_object_is_type(j, json_type_array)
            || (count = json_object_array_length(j)) > (size_t)m->max) {
            return 0;
        }
        v->list = apr_array_make(p, count ? (int)count : 1,
                                 m->kind == ATL_JSON_STRS ? sizeof(const char *)
                                                          : sizeof(atl_json_value_t *));
        for (i = 0; i < count; i++) {
            json_object *item = json_object_array_get_idx(j, i);

            if (m->kind == ATL_JSON_STRS) {
                apr_size_t len;
                const char *s = rec_parse_str(&len, p, item, (apr_int64_t)m->item_bytes);

                if (!s) {
                    return 0;
                }
                APR_ARRAY_PUSH(v->list, const char *) = s;
            }
            else {
                atl_json_value_t *sub = apr_pcalloc(p, m->nsub * sizeof(*sub));

                if (!rec_parse(sub, p, m->sub, m->nsub, item)) {
                    return 0;
                }
                APR_ARRAY_PUSH(v->list, atl_json_value_t *) = sub;
            }
        }
        return 1;
    }
    return 0;
}

static int rec_parse(atl_json_value_t *v, apr_pool_t *p, const atl_json_member_t *m,
                     int n, json_object *o)
{
    int i;

    if (!json_object_is_type(o, json_type_object)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        json_object *j = NULL;

        memset(&v[i], 0, sizeof(v[i]));
        if (!json_object_object_get_ex(o, m[i].name, &j)) {
            if (m[i].required) {
                return 0;
            }
            continue;
        }
        if (!rec_parse_value(&v[i], p, &m[i], j)) {
            return 0;
        }
        v[i].present = 1;
    }
    return 1;
}

apr_status_t atl_json_record_read(atl_json_value_t *v, apr_pool_t *p,
                                  const atl_json_member_t *m, int n, const char *s,
                                  apr_size_t len, apr_size_t max_len)
{
    json_object *o = NULL;
    const char *errmsg = NULL;
    apr_status_t rv;

    memset(v, 0, n * sizeof(*v));
    if (!s || len > max_len) {
        return s ? ATL_E_TOOBIG : ATL_E_MALFORMED;
    }
    rv = atl_json_load_as(&o, &errmsg, p, s, len, json_type_object, "record");
    if (rv == APR_SUCCESS && !rec_parse(v, p, m, n, o)) {
        memset(v, 0, n * sizeof(*v));
        rv = ATL_E_MALFORMED;
    }
    json_object_put(o);
    return rv;
}
