/* SPDX-License-Identifier: Apache-2.0 */
/* What the json-c files of the core share with one another. Only
 * src/atl_json*.c include this header, since it includes json-c. */
#ifndef ATL_JSON_PRIVATE_H
#define ATL_JSON_PRIVATE_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "atl_status.h"

/* Parse a complete JSON text of len bytes into *out (released by the
 * caller with json_object_put). Refuses empty input, a NUL byte, anything
 * but well-formed UTF-8 (RFC 3629: no overlong form, surrogate or cut
 * sequence), nesting deeper than 16 levels and anything after the value
 * but white space. Raw UTF-8 is accepted with every json-c from 0.14 on
 * (atl_json_load.c says how). */
apr_status_t atl_json_load(json_object **out, const char **errmsg, apr_pool_t *p,
                           const char *body, apr_size_t len);

/* atl_json_load, then insist
 * that the top-level value has this type. *out is released by the caller
 * with json_object_put. On failure *errmsg names the answer by "what"
 * ("profile is not a JSON object") and the code is ATL_E_MALFORMED (or
 * ATL_E_TOOBIG, APR_ENOMEM). */
apr_status_t atl_json_load_as(json_object **out, const char **errmsg, apr_pool_t *p,
                              const char *body, apr_size_t len, json_type type,
                              const char *what);

/* Whether the len bytes of s are well-formed UTF-8 (the check of
 * atl_json_load), so that a record written with them reads back. */
int atl_json_utf8_valid(const char *s, apr_size_t len);

/* The JSON string v copied whole, or NULL when v is NULL or not a string,
 * is empty, longer than max bytes or holds a control character (a NUL from
 * "\u0000" included). Never cleaned or cut: values that decide who is let
 * in are taken as they are or not at all. */
const char *atl_json_whole_value(apr_pool_t *p, json_object *v, apr_size_t max);

#endif
