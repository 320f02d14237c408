/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON of the product answers that list a user's groups (Jira's
 * myself?expand=groups, Confluence's user/memberof) and of their errors.
 * Implemented with json-c in atl_json_groups.c; this header includes no
 * json-c. Every parser fails closed: an answer that could hide a group is
 * an error, never a shorter list. */
#ifndef ATL_JSON_GROUPS_H
#define ATL_JSON_GROUPS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"
#include "atl_groups.h"

/* What atl_json_parse_jira_groups answers for a list that Jira cut short
 * (fewer items than its size, but some): atl_groups_fetch then reads the
 * complete list another way. It never leaves atl_groups_fetch. */
#define ATL_E_GROUPS_INCOMPLETE (APR_OS_START_USERERR + 4190)

/* Jira's GET /rest/api/3/myself?expand=groups: appends every entry of
 * groups.items to groups (of atl_group_t). Fails with ATL_E_MALFORMED (and
 * *errmsg) when the answer is not a JSON object, has no "groups" object,
 * groups.size is not a non-negative integer, groups.items is not an array,
 * items is empty while size is not (the expansion was not applied), there
 * are more items than size, an item is not an object, has no clean name of at most
 * ATL_GROUPS_MAX_NAME bytes, or a groupId that is neither null nor such a
 * string. Fails with ATL_E_GROUPS_INCOMPLETE when there are items, but
 * fewer than size (Jira lists at most max-results groups), and with
 * ATL_E_TOOBIG when there are more than max items. groups is left
 * unchanged on failure. */
apr_status_t atl_json_parse_jira_groups(apr_array_header_t *groups, const char **errmsg,
                                        apr_pool_t *p, const char *body, apr_size_t len,
                                        int max);

/* Jira's GET /rest/api/3/user/groups?accountId=<id>: a JSON array of
 * {"name", "groupId" (may be null or absent), "self"}, the complete list
 * (not paged). Appends them to groups; the failures of the items are
 * those above, and groups is left unchanged on failure. */
apr_status_t atl_json_parse_jira_user_groups(apr_array_header_t *groups,
                                             const char **errmsg, apr_pool_t *p,
                                             const char *body, apr_size_t len, int max);

/* One page of Confluence's GET /wiki/rest/api/user/memberof: appends the
 * groups of "results" to groups and sets *next to _links.next (NULL when
 * absent or null: the last page). The same failures as above, for
 * "results" and "size" (the number of results on this page); an entry
 * with a "type" other than "group", or a next that is not a string, fails
 * as well. groups is left unchanged on failure. */
apr_status_t atl_json_parse_confluence_groups(apr_array_header_t *groups,
                                              const char **next, const char **errmsg,
                                              apr_pool_t *p, const char *body,
                                              apr_size_t len, int max);

/* The message of a product's error answer, for the log: "message" (the API
 * gateway's {"code":401,"message":"..."}), else the first of Jira's
 * "errorMessages". Sanitised and cut to 128 bytes; NULL when there is none
 * or the body is not a JSON object. */
const char *atl_json_product_message(apr_pool_t *p, const char *body, apr_size_t len);

#endif
