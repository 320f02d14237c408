/* SPDX-License-Identifier: Apache-2.0 */
/* The callback's query string. */
#include <string.h>

#include <apr_escape.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_query.h"

/* The slot of a known parameter and its longest accepted value. */
static const char **atl_query_slot(atl_query_t *q, const char *name, apr_size_t *max)
{
    *max = ATL_QUERY_MAX_CODE;
    if (!strcmp(name, "code")) {
        return &q->code;
    }
    if (!strcmp(name, "state")) {
        *max = ATL_QUERY_MAX_STATE;
        return &q->state;
    }
    if (!strcmp(name, "error")) {
        *max = ATL_QUERY_MAX_ERROR;
        return &q->error;
    }
    if (!strcmp(name, "logout")) {
        return &q->logout;
    }
    if (!strcmp(name, "info")) {
        *max = ATL_QUERY_MAX_INFO;
        return &q->info;
    }
    return NULL;
}

apr_status_t atl_query_parse(atl_query_t *q, const char **why, apr_pool_t *p,
                             const char *args)
{
    char *copy, *pair, *last;

    memset(q, 0, sizeof(*q));
    *why = NULL;
    if (!args) {
        return APR_SUCCESS;
    }
    if (strlen(args) > ATL_QUERY_MAX) {
        *why = "the query string is too long";
        return ATL_E_BADINPUT;
    }
    copy = apr_pstrdup(p, args);
    for (pair = apr_strtok(copy, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        const char **slot;
        const char *value;
        apr_size_t max;

        if (eq) {
            *eq = '\0';
        }
        slot = atl_query_slot(q, pair, &max);
        if (!slot) {
            continue;
        }
        if (*slot) {
            *why = apr_psprintf(p, "the parameter %s is duplicated", pair);
            return ATL_E_BADINPUT;
        }
        /* apr_punescape_url refuses a bad escape and %00. */
        value = eq && eq[1] ? apr_punescape_url(p, eq + 1, NULL, NULL, 1) : NULL;
        if (!value || !*value || strlen(value) > max
            || atl_identity_has_control(value, strlen(value))) {
            *why = apr_psprintf(p,
                                "the parameter %s is empty, too long, badly "
                                "escaped or has control characters",
                                pair);
            return ATL_E_BADINPUT;
        }
        *slot = value;
    }
    return APR_SUCCESS;
}
