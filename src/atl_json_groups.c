/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON of the product answers that list a user's groups. A json-c file
 * of the core (with atl_json.c): every json_object made here is released
 * before the function returns, and only pool memory leaves it. */

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#include "atl_identity.h"
#include "atl_json_groups.h"
#include "atl_json_private.h"

/* A paging link longer than this is not believed. */
#define ATL_JSON_GROUPS_MAX_LINK 2048

/* An error message is cut to this for the log. */
#define ATL_JSON_GROUPS_MAX_MESSAGE 128

/* The member key of o, or NULL when absent (a JSON null is NULL too). */
static json_object *atl_json_groups_member(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return v;
}

/* A list size beyond this is not believed (no list is that long); json-c
 * versions differ in how they keep integers past int64 (0.16 saturates,
 * 0.18 makes a double), and both are refused alike. */
#define ATL_JSON_GROUPS_MAX_SIZE 1000000000

/* The non-negative integer *n of member key of o. Doubles ("3.0"), strings,
 * negative numbers, sizes above ATL_JSON_GROUPS_MAX_SIZE and absence are
 * refused. */
static int atl_json_groups_count(apr_int64_t *n, json_object *o, const char *key)
{
    json_object *v = atl_json_groups_member(o, key);

    if (v == NULL || !json_object_is_type(v, json_type_int)) {
        return 0;
    }
    *n = json_object_get_int64(v);
    return *n >= 0 && *n <= ATL_JSON_GROUPS_MAX_SIZE;
}

/* The groups of the array items, checked against size (what the answer
 * says the list holds): appended to groups only when every entry is
 * acceptable. idkey names the id member ("groupId" or "id"); with
 * check_type, an entry's "type" must be absent or "group". what names the
 * list in messages ("groups.items"). */
static apr_status_t atl_json_groups_list(apr_array_header_t *groups, const char **errmsg,
                                         apr_pool_t *p, json_object *items,
                                         apr_int64_t size, const char *idkey,
                                         int check_type, const char *what, int max)
{
    apr_array_header_t *found;
    size_t i, n;

    n = json_object_array_length(items);
    if (n == 0 && size > 0) {
        *errmsg = apr_psprintf(p,
                               "%s is empty but the size is %" APR_INT64_T_FMT
                               " (the group list was not expanded)",
                               what, size);
        return ATL_E_MALFORMED;
    }
    if ((apr_int64_t)n != size) {
        *errmsg = apr_psprintf(p,
                               "%s holds %lu groups but the size is %" APR_INT64_T_FMT
                               " (an incomplete list)",
                               what, (unsigned long)n, size);
        return ATL_E_MALFORMED;
    }
    if (max < 0 || n > (size_t)max) {
        *errmsg = apr_psprintf(p, "%s: more than %d groups", what, ATL_GROUPS_MAX_GROUPS);
        return ATL_E_TOOBIG;
    }
    found = apr_array_make(p, n ? (int)n : 1, sizeof(atl_group_t));
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(items, i);
        json_object *v;
        atl_group_t *g;

        if (!json_object_is_type(e, json_type_object)) {
            *errmsg = apr_psprintf(p, "%s[%lu] is not an object", what, (unsigned long)i);
            return ATL_E_MALFORMED;
        }
        if (check_type && (v = atl_json_groups_member(e, "type")) != NULL
            && (!json_object_is_type(v, json_type_string)
                || strcmp(json_object_get_string(v), "group"))) {
            *errmsg = apr_psprintf(p, "%s[%lu] is not a group", what, (unsigned long)i);
            return ATL_E_MALFORMED;
        }
        g = apr_array_push(found);
        g->name = atl_json_whole_value(p, atl_json_groups_member(e, "name"),
                                       ATL_GROUPS_MAX_NAME);
        if (g->name == NULL) {
            *errmsg = apr_psprintf(p,
                                   "%s[%lu] has no name (or an empty, too long or "
                                   "unclean one)",
                                   what, (unsigned long)i);
            return ATL_E_MALFORMED;
        }
        /* A group may lack an id (null): it can then match by name only.
         * An id of another type or an unclean one is not guessed at. */
        v = atl_json_groups_member(e, idkey);
        g->id = NULL;
        if (v != NULL) {
            g->id = atl_json_whole_value(p, v, ATL_GROUPS_MAX_NAME);
            if (g->id == NULL) {
                *errmsg = apr_psprintf(p, "%s[%lu].%s is not a clean string", what,
                                       (unsigned long)i, idkey);
                return ATL_E_MALFORMED;
            }
        }
    }
    apr_array_cat(groups, found);
    return APR_SUCCESS;
}

apr_status_t atl_json_parse_jira_groups(apr_array_header_t *groups, const char **errmsg,
                                        apr_pool_t *p, const char *body, apr_size_t len,
                                        int max)
{
    json_object *o = NULL, *g, *items;
    apr_int64_t size = 0;
    apr_status_t rv;
    size_t n;

    *errmsg = NULL;
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_object, "Jira myself");
    if (rv != APR_SUCCESS) {
        goto done;
    }
    g = atl_json_groups_member(o, "groups");
    if (g == NULL || !json_object_is_type(g, json_type_object)) {
        *errmsg = "Jira myself has no groups object (the expansion was not applied)";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    if (!atl_json_groups_count(&size, g, "size")) {
        *errmsg = "Jira groups.size is not a plausible non-negative integer";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    items = atl_json_groups_member(g, "items");
    if (items == NULL || !json_object_is_type(items, json_type_array)) {
        *errmsg = "Jira groups.items is not an array";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    /* Jira lists at most max-results groups (1,000) with the full size:
     * the caller reads the whole list another way. */
    n = json_object_array_length(items);
    if (n > 0 && (apr_int64_t)n < size) {
        *errmsg = apr_psprintf(p,
                               "Jira groups.items holds %lu groups but the size is "
                               "%" APR_INT64_T_FMT " (an incomplete list)",
                               (unsigned long)n, size);
        rv = ATL_E_GROUPS_INCOMPLETE;
        goto done;
    }
    rv = atl_json_groups_list(groups, errmsg, p, items, size, "groupId", 0,
                              "Jira groups.items", max);

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

apr_status_t atl_json_parse_jira_user_groups(apr_array_header_t *groups,
                                             const char **errmsg, apr_pool_t *p,
                                             const char *body, apr_size_t len, int max)
{
    json_object *o = NULL;
    apr_status_t rv;

    *errmsg = NULL;
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_array, "Jira user groups");
    if (rv == APR_SUCCESS) {
        rv = atl_json_groups_list(groups, errmsg, p, o,
                                  (apr_int64_t)json_object_array_length(o), "groupId", 0,
                                  "Jira user groups", max);
    }
    if (o) {
        json_object_put(o);
    }
    return rv;
}

apr_status_t atl_json_parse_confluence_groups(apr_array_header_t *groups,
                                              const char **next, const char **errmsg,
                                              apr_pool_t *p, const char *body,
                                              apr_size_t len, int max)
{
    json_object *o = NULL, *results, *links, *v;
    apr_int64_t size = 0;
    const char *link = NULL;
    apr_status_t rv;

    *next = NULL;
    *errmsg = NULL;
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_object,
                          "Confluence memberof");
    if (rv != APR_SUCCESS) {
        goto done;
    }
    results = atl_json_groups_member(o, "results");
    if (results == NULL || !json_object_is_type(results, json_type_array)) {
        *errmsg = "Confluence memberof results is not an array";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    if (!atl_json_groups_count(&size, o, "size")) {
        *errmsg = "Confluence memberof size is not a plausible non-negative integer";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    /* The link is read first, so that the list is only appended to when
     * the whole page is acceptable. */
    links = atl_json_groups_member(o, "_links");
    if (links != NULL && json_object_is_type(links, json_type_object)
        && (v = atl_json_groups_member(links, "next")) != NULL) {
        link = atl_json_whole_value(p, v, ATL_JSON_GROUPS_MAX_LINK);
        if (link == NULL) {
            *errmsg = "Confluence memberof _links.next is not a clean string";
            rv = ATL_E_MALFORMED;
            goto done;
        }
    }
    rv = atl_json_groups_list(groups, errmsg, p, results, size, "id", 1,
                              "Confluence memberof results", max);
    if (rv == APR_SUCCESS) {
        *next = link;
    }

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

const char *atl_json_product_message(apr_pool_t *p, const char *body, apr_size_t len)
{
    json_object *o = NULL, *v;
    const char *msg = NULL, *err = NULL;

    if (atl_json_load_as(&o, &err, p, body, len, json_type_object, "error")
        != APR_SUCCESS) {
        return NULL;
    }
    v = atl_json_groups_member(o, "message");
    if (v == NULL || !json_object_is_type(v, json_type_string)) {
        v = atl_json_groups_member(o, "errorMessages");
        v = v && json_object_is_type(v, json_type_array) && json_object_array_length(v)
                ? json_object_array_get_idx(v, 0)
                : NULL;
    }
    if (v != NULL && json_object_is_type(v, json_type_string)) {
        msg = atl_identity_sanitize(p, json_object_get_string(v),
                                    (apr_size_t)json_object_get_string_len(v),
                                    ATL_JSON_GROUPS_MAX_MESSAGE);
    }
    json_object_put(o);
    return msg;
}
