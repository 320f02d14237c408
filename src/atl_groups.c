/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership on one site, read with the user's own token: which
 * product to ask, the calls to Jira or Confluence through the API gateway
 * (Confluence page after page), what their failures mean, and matching
 * the configured groups against the answer. The JSON is read by
 * atl_json_groups, the HTTP by atl_http. */

#include <string.h>

#include <apr_cstr.h>
#include <apr_escape.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_uri.h>

#include "atl_groups.h"
#include "atl_json_groups.h"

/* What the gateway says when the token lacks the scope a call needs. */
#define ATL_GROUPS_SCOPE_MESSAGE "scope does not match"

/* The highest "start" a paging link may ask for. */
#define ATL_GROUPS_MAX_START 1000000000

const atl_site_t *atl_groups_find_site(const apr_array_header_t *sites, const char *site)
{
    int i;

    if (sites == NULL || site == NULL || *site == '\0') {
        return NULL;
    }
    for (i = 0; i < sites->nelts; i++) {
        const atl_site_t *s = &APR_ARRAY_IDX(sites, i, atl_site_t);

        if ((s->id && !strcmp(s->id, site))
            || (s->host && !apr_cstr_casecmp(s->host, site))) {
            return s;
        }
    }
    return NULL;
}

/* Whether one of the colon-separated words of scope is word, or starts
 * with word and a dash ("read:jira-user", "read:group:jira"). */
static int atl_groups_scope_names(const char *scope, const char *word)
{
    apr_size_t wlen = strlen(word);
    const char *c = scope;

    while (c && *c) {
        const char *end = strchr(c, ':');
        apr_size_t n = end ? (apr_size_t)(end - c) : strlen(c);

        if (n >= wlen && !strncmp(c, word, wlen) && (n == wlen || c[wlen] == '-')) {
            return 1;
        }
        c = end ? end + 1 : NULL;
    }
    return 0;
}

atl_product_e atl_groups_product(const atl_site_t *site)
{
    int i, confluence = 0;

    if (site == NULL || site->scopes == NULL) {
        return ATL_PRODUCT_NONE;
    }
    for (i = 0; i < site->scopes->nelts; i++) {
        const char *scope = APR_ARRAY_IDX(site->scopes, i, const char *);

        if (scope == NULL) {
            continue;
        }
        /* Jira Service Management runs on Jira: its sites answer
         * /myself as well. */
        if (atl_groups_scope_names(scope, "jira")
            || atl_groups_scope_names(scope, "servicedesk")) {
            return ATL_PRODUCT_JIRA;
        }
        confluence |= atl_groups_scope_names(scope, "confluence");
    }
    return confluence ? ATL_PRODUCT_CONFLUENCE : ATL_PRODUCT_NONE;
}

const char *atl_groups_product_name(atl_product_e product)
{
    switch (product) {
    case ATL_PRODUCT_JIRA: return "jira";
    case ATL_PRODUCT_CONFLUENCE: return "confluence";
    default: return "none";
    }
}

/* The scopes that let a token read groups, for the message of
 * ATL_E_SCOPE. */
static const char *atl_groups_scope_hint(atl_product_e product)
{
    return product == ATL_PRODUCT_JIRA
               ? "read:jira-user (or the granular read:user:jira read:group:jira "
                 "read:application-role:jira read:avatar:jira)"
               : "read:confluence-user (or the granular read:user:confluence "
                 "read:group:confluence)";
}

/* The URL as it may appear in a log line: without user info. */
static const char *atl_groups_log_url(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;

    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.hostname == NULL) {
        return url;
    }
    return apr_uri_unparse(p, &uri, APR_URI_UNP_OMITUSERINFO);
}

/* Whether s contains needle, ignoring the case of ASCII letters. */
static int atl_groups_contains(const char *s, const char *needle)
{
    apr_size_t n = strlen(needle);

    for (; s && *s; s++) {
        if (!apr_cstr_casecmpn(s, needle, n)) {
            return 1;
        }
    }
    return 0;
}

/* The state of one fetch, shared by its calls. */
typedef struct {
    apr_pool_t *p;
    const atl_groups_conf_t *c;
    atl_groups_result_t *res;
    const char *token;
    apr_time_t deadline; /* 0: none */
} atl_groups_call_t;

/* One GET. On APR_SUCCESS *resp holds a 2xx answer; otherwise *reason
 * says why, and the code follows the list of atl_groups_fetch. */
static apr_status_t atl_groups_get(atl_http_response_t **resp, const char **reason,
                                   atl_groups_call_t *call, const char *url)
{
    apr_pool_t *p = call->p;
    const char *what = atl_groups_product_name(call->res->product);
    atl_http_opts_t opts = call->c->http;
    const char *errmsg = NULL, *msg;
    apr_status_t rv;
    long status;

    *resp = NULL;
    if (call->deadline) {
        apr_interval_time_t left = call->deadline - apr_time_now();
        long left_ms = (long)apr_time_as_msec(left);

        if (left_ms <= 0) {
            *reason = apr_psprintf(p, "%s groups: the check took longer than %ld ms",
                                   what, call->c->total_timeout_ms);
            return ATL_E_TIMEOUT;
        }
        if (opts.timeout_ms <= 0 || opts.timeout_ms > left_ms) {
            opts.timeout_ms = left_ms;
        }
    }
    call->res->calls++;
    rv = atl_http_request(resp, &errmsg, p, &opts, "GET", url, call->token, NULL, NULL);
    if (rv != APR_SUCCESS) {
        *reason = apr_psprintf(p, "%s groups %s: %s", what, atl_groups_log_url(p, url),
                               errmsg ? errmsg : "request failed");
        *resp = NULL;
        return rv == ATL_E_TIMEOUT || rv == ATL_E_TOOBIG ? rv : ATL_E_UPSTREAM;
    }
    status = call->res->status = (*resp)->status;
    if (status >= 200 && status <= 299) {
        return APR_SUCCESS;
    }

    msg = atl_json_product_message(p, (*resp)->body, (*resp)->body_len);
    *reason = apr_psprintf(p, "%s groups %s answered %ld%s%s%s", what,
                           atl_groups_log_url(p, url), status, msg ? " (" : "",
                           msg ? msg : "", msg ? ")" : "");
    if (status == 401 && msg && atl_groups_contains(msg, ATL_GROUPS_SCOPE_MESSAGE)) {
        *reason = apr_psprintf(p,
                               "%s: the token lacks the scope to read groups; add %s "
                               "to AtlassianScope and to the app in the developer "
                               "console, then users must log in again",
                               *reason, atl_groups_scope_hint(call->res->product));
        rv = ATL_E_SCOPE;
    }
    else if (status == 401 || status == 403) {
        rv = ATL_E_FORBIDDEN;
    }
    else if (status == 429 || status == 503) {
        call->res->retry_after = (*resp)->retry_after;
        if ((*resp)->retry_after > 0) {
            *reason = apr_psprintf(p, "%s, retry after %" APR_INT64_T_FMT " s", *reason,
                                   (*resp)->retry_after);
        }
        rv = ATL_E_RATELIMIT;
    }
    else {
        rv = ATL_E_UPSTREAM;
    }
    *resp = NULL;
    return rv;
}

/* The value of "start" in the query of a paging link: -1 when there is
 * none, -2 when it is not a plain decimal number within bounds or is given
 * twice. */
static apr_int64_t atl_groups_link_start(apr_pool_t *p, const char *link)
{
    const char *q = strchr(link, '?');
    char *query, *item, *last = NULL;
    apr_int64_t start = -1;

    if (q == NULL) {
        return -1;
    }
    query = apr_pstrdup(p, q + 1);
    /* A fragment is not part of the query. */
    if ((item = strchr(query, '#')) != NULL) {
        *item = '\0';
    }
    for (item = apr_strtok(query, "&", &last); item;
         item = apr_strtok(NULL, "&", &last)) {
        const char *v;
        char *end = NULL;
        apr_int64_t n;

        if (strncmp(item, "start=", 6)) {
            continue;
        }
        v = item + 6;
        if (!apr_isdigit(*v) || strlen(v) > 10) {
            return -2;
        }
        n = apr_strtoi64(v, &end, 10);
        if (*end != '\0' || n > ATL_GROUPS_MAX_START || start >= 0) {
            /* Not a number, too large, or given twice. */
            return -2;
        }
        start = n;
    }
    return start;
}

/* Whether path climbs out of where it starts: a "." or ".." segment, or
 * one written with %2e (a server may decode it before it resolves). */
static int atl_groups_path_climbs(const char *path)
{
    const char *c;

    for (c = path; *c; c++) {
        if (c[0] == '%' && c[1] == '2' && (c[2] == 'e' || c[2] == 'E')) {
            return 1;
        }
        if (c[0] == '/' && c[1] == '.'
            && (c[2] == '/' || c[2] == '\0' || c[2] == '?'
                || (c[2] == '.' && (c[3] == '/' || c[3] == '\0' || c[3] == '?')))) {
            return 1;
        }
    }
    return 0;
}

/* The URL of the next page from Confluence's _links.next, as given:
 * relative to the wiki base of the site through the gateway
 * (<api>/ex/confluence/<cloudid>/wiki), as the site's answers are;
 * "/wiki/..." and "/ex/confluence/<cloudid>/..." relative to the gateway;
 * or absolute. The result must stay on the configured API host (scheme,
 * host and port) and below the site's wiki path: the user's token goes
 * nowhere else, and no other site's list is mixed in. NULL with *why when
 * it does not. */
static const char *atl_groups_next_url(const char **why, apr_pool_t *p,
                                       const char *api_url, const char *site_path,
                                       const char *link)
{
    const char *c, *abs, *wiki;
    apr_uri_t api, next;

    for (c = link; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
            *why = "it is not a plain URL";
            return NULL;
        }
    }
    memset(&api, 0, sizeof(api));
    if (apr_uri_parse(p, api_url, &api) != APR_SUCCESS || !api.scheme || !api.hostname) {
        *why = "the API URL does not parse";
        return NULL;
    }
    if (!api.port) {
        api.port = apr_uri_port_of_scheme(api.scheme);
    }
    wiki = apr_pstrcat(p, site_path, "/wiki", NULL);
    if (!strncmp(link, "//", 2)) {
        *why = "it names another host";
        return NULL;
    }
    if (*link == '/') {
        const char *origin =
            apr_uri_unparse(p, &api, APR_URI_UNP_OMITUSERINFO | APR_URI_UNP_OMITPATHINFO);

        if (!strncmp(link, site_path, strlen(site_path))
            && link[strlen(site_path)] == '/') {
            abs = apr_pstrcat(p, origin, link, NULL);
        }
        else if (!strncmp(link, "/ex/", 4)) {
            *why = "it names another product or site of the gateway";
            return NULL;
        }
        else if (!strncmp(link, "/wiki/", 6)) {
            abs = apr_pstrcat(p, origin, site_path, link, NULL);
        }
        else {
            abs = apr_pstrcat(p, origin, wiki, link, NULL);
        }
    }
    else if (strstr(link, "://") == NULL) {
        abs = apr_pstrcat(
            p,
            apr_uri_unparse(p, &api, APR_URI_UNP_OMITUSERINFO | APR_URI_UNP_OMITPATHINFO),
            wiki, "/", link, NULL);
    }
    else {
        abs = link;
    }
    memset(&next, 0, sizeof(next));
    if (apr_uri_parse(p, abs, &next) != APR_SUCCESS || !next.scheme || !next.hostname) {
        *why = "it does not parse";
        return NULL;
    }
    if (!next.port) {
        next.port = apr_uri_port_of_scheme(next.scheme);
    }
    if (apr_cstr_casecmp(next.scheme, api.scheme)
        || apr_cstr_casecmp(next.hostname, api.hostname) || next.port != api.port
        || next.user || next.password) {
        *why = "it leaves the configured API host (AtlassianAPIURL)";
        return NULL;
    }
    if (!next.path || strncmp(next.path, wiki, strlen(wiki))
        || next.path[strlen(wiki)] != '/' || atl_groups_path_climbs(next.path)) {
        *why = "it leaves the site's Confluence path";
        return NULL;
    }
    /* Rebuilt on the API URL as configured, without a fragment. */
    api.path = next.path;
    api.query = next.query;
    api.fragment = NULL;
    return apr_uri_unparse(p, &api, APR_URI_UNP_OMITUSERINFO);
}

/* Jira's complete list when myself?expand=groups was cut short: GET
 * /rest/api/3/user/groups?accountId=<id> (scope read:jira-user, or
 * read:group:jira; the "Browse users and groups" global permission, 403
 * without it). It fails as the cut list would (ATL_E_MALFORMED), but for a
 * rate limit or a timeout, which say when to ask again. */
static apr_status_t atl_groups_jira_all(const char **reason, atl_groups_call_t *call,
                                        const char *site_url, const char *account_id,
                                        const char *cut)
{
    apr_pool_t *p = call->p;
    atl_http_response_t *resp = NULL;
    const char *url, *why = NULL, *errmsg = NULL;
    apr_status_t rv;

    if (account_id == NULL || *account_id == '\0') {
        *reason = apr_psprintf(p, "%s; no account id to read the complete list", cut);
        return ATL_E_MALFORMED;
    }
    url = apr_pstrcat(p, site_url, "/rest/api/3/user/groups?accountId=",
                      apr_pescape_urlencoded(p, account_id), NULL);
    rv = atl_groups_get(&resp, &why, call, url);
    if (rv == APR_SUCCESS) {
        call->res->groups->nelts = 0;
        rv = atl_json_parse_jira_user_groups(call->res->groups, &errmsg, p, resp->body,
                                             resp->body_len, ATL_GROUPS_MAX_GROUPS);
        if (rv == APR_SUCCESS) {
            return APR_SUCCESS;
        }
        why = apr_psprintf(p, "jira groups %s: %s", atl_groups_log_url(p, url), errmsg);
    }
    *reason = apr_psprintf(p,
                           "%s; the complete list failed too (it needs the \"Browse "
                           "users and groups\" global permission in Jira): %s",
                           cut, why);
    return rv == ATL_E_RATELIMIT || rv == ATL_E_TIMEOUT || rv == ATL_E_TOOBIG
               ? rv
               : ATL_E_MALFORMED;
}

static apr_status_t atl_groups_jira(const char **reason, atl_groups_call_t *call,
                                    const char *site_url, const char *account_id)
{
    atl_http_response_t *resp = NULL;
    const char *url, *errmsg = NULL;
    apr_status_t rv;

    url = apr_pstrcat(call->p, site_url, "/rest/api/3/myself?expand=groups", NULL);
    rv = atl_groups_get(&resp, reason, call, url);
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_jira_groups(call->res->groups, &errmsg, call->p, resp->body,
                                        resp->body_len, ATL_GROUPS_MAX_GROUPS);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(call->p, "jira groups %s: %s",
                                   atl_groups_log_url(call->p, url), errmsg);
        }
        if (rv == ATL_E_GROUPS_INCOMPLETE) {
            rv = atl_groups_jira_all(reason, call, site_url, account_id, *reason);
        }
    }
    return rv;
}

/* Confluence's memberof, page after page, following _links.next as
 * given (atl_groups_next_url says where it may lead). */
static apr_status_t atl_groups_confluence(const char **reason, atl_groups_call_t *call,
                                          const char *site_url, const char *site_path,
                                          const char *account_id)
{
    apr_pool_t *p = call->p;
    int max_pages = call->c->max_pages;
    apr_array_header_t *seen = apr_array_make(p, 4, sizeof(const char *));
    const char *url;
    apr_int64_t start = 0;
    int page;

    if (max_pages <= 0 || max_pages > ATL_GROUPS_MAX_PAGES) {
        max_pages = ATL_GROUPS_MAX_PAGES;
    }
    url = apr_psprintf(p,
                       "%s/wiki/rest/api/user/memberof?accountId=%s"
                       "&start=0&limit=%d",
                       site_url, apr_pescape_urlencoded(p, account_id),
                       ATL_GROUPS_PAGE_LIMIT);
    for (page = 0;; page++) {
        atl_http_response_t *resp = NULL;
        const char *next = NULL, *errmsg = NULL, *why = NULL, *next_url;
        apr_int64_t next_start;
        apr_status_t rv;
        int i;

        if (page >= max_pages) {
            *reason = apr_psprintf(p, "confluence groups: more than %d pages", max_pages);
            return ATL_E_MALFORMED;
        }
        APR_ARRAY_PUSH(seen, const char *) = url;
        rv = atl_groups_get(&resp, reason, call, url);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        rv = atl_json_parse_confluence_groups(
            call->res->groups, &next, &errmsg, p, resp->body, resp->body_len,
            ATL_GROUPS_MAX_GROUPS - call->res->groups->nelts);
        if (rv != APR_SUCCESS) {
            *reason = apr_psprintf(p, "confluence groups %s: %s",
                                   atl_groups_log_url(p, url), errmsg);
            return rv;
        }
        if (next == NULL) {
            return APR_SUCCESS;
        }
        next_url = atl_groups_next_url(&why, p, call->c->api_url, site_path, next);
        if (next_url == NULL) {
            *reason = apr_psprintf(p,
                                   "confluence groups %s: the next-page link is not "
                                   "followed: %s",
                                   atl_groups_log_url(p, url), why);
            return ATL_E_MALFORMED;
        }
        /* A link must move on: to a start beyond this page's, or (without
         * a start) to a page not asked for yet. */
        next_start = atl_groups_link_start(p, next_url);
        for (i = 0; i < seen->nelts && next_start != -2; i++) {
            if (!strcmp(APR_ARRAY_IDX(seen, i, const char *), next_url)) {
                next_start = -2;
            }
        }
        if (next_start == -2 || (next_start >= 0 && next_start <= start)) {
            *reason = apr_psprintf(p,
                                   "confluence groups %s: the next-page link does not "
                                   "move on beyond start %" APR_INT64_T_FMT,
                                   atl_groups_log_url(p, url), start);
            return ATL_E_MALFORMED;
        }
        if (next_start >= 0) {
            start = next_start;
        }
        url = next_url;
    }
}

apr_status_t atl_groups_fetch(atl_groups_result_t **resp, const char **reason,
                              apr_pool_t *p, const atl_groups_conf_t *c,
                              const char *cloud_id, atl_product_e product,
                              const char *account_id, const char *access_token)
{
    atl_groups_result_t *res;
    atl_groups_call_t call;
    const char *base, *site, *site_url, *site_path, *api_path;
    apr_size_t blen, plen;
    apr_uri_t api;
    apr_status_t rv;

    *reason = NULL;
    res = apr_pcalloc(p, sizeof(*res));
    res->product = product;
    *resp = res;
    if (c == NULL || c->api_url == NULL || *c->api_url == '\0') {
        *reason = "groups: no API URL configured";
        return ATL_E_BADINPUT;
    }
    if (cloud_id == NULL || *cloud_id == '\0') {
        *reason = "groups: no cloud id for the site";
        return ATL_E_BADINPUT;
    }
    if (access_token == NULL || *access_token == '\0') {
        *reason = "groups: no access token";
        return ATL_E_BADINPUT;
    }
    if (product != ATL_PRODUCT_JIRA && product != ATL_PRODUCT_CONFLUENCE) {
        *reason = apr_psprintf(p,
                               "groups: site %s shows neither Jira nor Confluence in its "
                               "scopes",
                               cloud_id);
        return ATL_E_BADINPUT;
    }
    if (product == ATL_PRODUCT_CONFLUENCE
        && (account_id == NULL || *account_id == '\0')) {
        *reason = "confluence groups: no account id";
        return ATL_E_BADINPUT;
    }

    base = c->api_url;
    blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') {
        blen--;
    }
    /* The cloud id is one path segment, whatever it holds. */
    site = apr_pstrcat(p, "/ex/", atl_groups_product_name(product), "/",
                       apr_pescape_path_segment(p, cloud_id), NULL);
    site_url = apr_pstrcat(p, apr_pstrmemdup(p, base, blen), site, NULL);
    memset(&api, 0, sizeof(api));
    if (apr_uri_parse(p, c->api_url, &api) != APR_SUCCESS || api.hostname == NULL) {
        *reason = "groups: the API URL does not parse";
        return ATL_E_BADINPUT;
    }
    api_path = api.path ? api.path : "";
    plen = strlen(api_path);
    while (plen > 0 && api_path[plen - 1] == '/') {
        plen--;
    }
    site_path = apr_pstrcat(p, apr_pstrmemdup(p, api_path, plen), site, NULL);

    memset(&call, 0, sizeof(call));
    call.p = p;
    call.c = c;
    call.res = res;
    call.token = access_token;
    if (c->total_timeout_ms > 0) {
        call.deadline = apr_time_now() + apr_time_from_msec(c->total_timeout_ms);
    }
    res->groups = apr_array_make(p, 16, sizeof(atl_group_t));
    if (product == ATL_PRODUCT_JIRA) {
        rv = atl_groups_jira(reason, &call, site_url, account_id);
    }
    else {
        rv = atl_groups_confluence(reason, &call, site_url, site_path, account_id);
    }
    if (rv != APR_SUCCESS) {
        res->groups = NULL;
        *reason = atl_http_hide(p, *reason, access_token);
    }
    return rv;
}

int atl_groups_is_id(const char *wanted)
{
    int i;

    if (wanted == NULL || strlen(wanted) != 36) {
        return 0;
    }
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (wanted[i] != '-') {
                return 0;
            }
        }
        else if (!apr_isxdigit(wanted[i])) {
            return 0;
        }
    }
    return 1;
}

int atl_groups_match(apr_array_header_t **matched, apr_pool_t *p,
                     const apr_array_header_t *wanted, const apr_array_header_t *groups)
{
    int i, j;

    *matched = apr_array_make(p, 4, sizeof(atl_group_match_t));
    if (wanted == NULL || groups == NULL) {
        return 0;
    }
    for (i = 0; i < wanted->nelts; i++) {
        const char *w = APR_ARRAY_IDX(wanted, i, const char *);
        int by_id = atl_groups_is_id(w);

        if (w == NULL || *w == '\0') {
            continue;
        }
        for (j = 0; j < groups->nelts; j++) {
            const atl_group_t *g = &APR_ARRAY_IDX(groups, j, atl_group_t);
            int hit;

            /* apr_cstr_casecmp folds ASCII letters only, whatever the
             * locale: hex digits of an id, and names as Jira compares
             * them (other letters must match exactly). */
            if (by_id) {
                hit = g->id != NULL && !apr_cstr_casecmp(g->id, w);
            }
            else {
                hit = g->name != NULL && !apr_cstr_casecmp(g->name, w);
            }
            if (hit) {
                atl_group_match_t *m = apr_array_push(*matched);

                m->wanted = w;
                m->name = g->name;
                m->id = g->id;
                break;
            }
        }
    }
    return (*matched)->nelts;
}
