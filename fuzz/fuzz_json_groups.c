/* SPDX-License-Identifier: Apache-2.0 */
/* The group answers of the products: Jira's myself?expand=groups and a page
 * of Confluence's user/memberof (atl_json_parse_jira_groups,
 * atl_json_parse_confluence_groups), and the error message reader. The
 * first byte picks the parser. They fail closed: on failure the list is
 * unchanged; on success every group has a clean, bounded name, and the
 * matcher finds each of them by its own name. */

#include "fuzz_common.h"

#include "atl_groups.h"
#include "atl_json_groups.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_apr_init();
    return 0;
}

static void check_groups(apr_pool_t *p, const apr_array_header_t *groups, int before)
{
    apr_array_header_t *wanted, *matched = NULL;
    int i;

    FUZZ_CHECK(groups->nelts >= before && groups->nelts - before <= 64);
    wanted = apr_array_make(p, 1, sizeof(const char *));
    for (i = before; i < groups->nelts; i++) {
        const atl_group_t *g = &APR_ARRAY_IDX(groups, i, atl_group_t);
        size_t n;

        FUZZ_CHECK(g->name != NULL);
        n = strlen(g->name);
        FUZZ_CHECK(n > 0 && n <= ATL_GROUPS_MAX_NAME);
        FUZZ_CHECK(!fuzz_has_ctl(g->name, n));
        if (g->id) {
            FUZZ_CHECK(*g->id && !fuzz_has_ctl(g->id, strlen(g->id)));
        }
        /* A group is always found by its own name (unless that name looks
         * like a group id, which only ever matches ids). */
        if (!atl_groups_is_id(g->name)) {
            apr_array_clear(wanted);
            APR_ARRAY_PUSH(wanted, const char *) = g->name;
            FUZZ_CHECK(atl_groups_match(&matched, p, wanted, groups) >= 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_array_header_t *groups;
    const char *errmsg = NULL, *next = NULL, *msg;
    const char *body;
    apr_status_t rv;
    int which;

    if (size < 1) {
        return 0;
    }
    p = fuzz_pool();
    which = data[0] % 4;
    body = fuzz_bytes(p, data + 1, size - 1);
    groups = apr_array_make(p, 4, sizeof(atl_group_t));
    /* One group already there: a failure must leave it alone. */
    APR_ARRAY_PUSH(groups, atl_group_t).name = "already-there";
    if (which == 0) {
        rv = atl_json_parse_jira_groups(groups, &errmsg, p, body, size - 1, 64);
    }
    else if (which == 1) {
        rv = atl_json_parse_confluence_groups(groups, &next, &errmsg, p, body, size - 1,
                                              64);
    }
    else if (which == 3) {
        rv = atl_json_parse_jira_user_groups(groups, &errmsg, p, body, size - 1, 64);
    }
    else {
        msg = atl_json_product_message(p, body, size - 1);
        if (msg) {
            FUZZ_CHECK(strlen(msg) <= 128 && !fuzz_has_ctl(msg, strlen(msg)));
        }
        apr_pool_destroy(p);
        return 0;
    }
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(errmsg != NULL);
        FUZZ_CHECK(groups->nelts == 1);
    }
    else {
        check_groups(p, groups, 1);
        if (next) {
            FUZZ_CHECK(!fuzz_has_ctl(next, strlen(next)));
        }
    }
    apr_pool_destroy(p);
    return 0;
}
