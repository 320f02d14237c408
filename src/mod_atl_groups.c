/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership for `Require atlassian-group site group...`: the check
 * of the user's groups, site by site, and what a failure means.
 *
 * At login, the groups named by this server's Require atlassian-group lines
 * (collected as the configuration is read) are checked with the fresh
 * token: a site that accessible-resources does not list has none of them;
 * on a listed site, Jira (or Confluence, on a site with Confluence only)
 * tells the user's groups. The login keeps only the configured groups the
 * user is in, as "site/group", and when they were checked. The check again,
 * once that is older than AtlassianGroupCheckInterval, and its sharing
 * across processes and nodes are mod_atl_recheck.c's.
 *
 * Only a definite answer says anything about the user: a failure leaves
 * the membership on that site unknown, the Require line does not grant,
 * and the answer is 502, 503 or 504 rather than the user's 403. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include "atl_gcheck.h"
#include "atl_groups.h"
#include "atl_http.h"
#include "mod_atl_groups.h"
#include "mod_atl_metrics.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_GROUPS_MAX_BODY (1024 * 1024)
#define ATL_GROUPS_RETRY    30 /* seconds, when a 429 or 503 says none */

apr_interval_time_t atl_groups_timeout_ms(const atl_srv_conf *c)
{
    return 1000L * (c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT);
}

apr_array_header_t *atl_groups_config_sites(apr_pool_t *p, const atl_srv_conf *c)
{
    apr_array_header_t *sites = apr_array_make(p, 2, sizeof(const char *));
    int i, j;

    for (i = 0; i < c->groups->nelts; i++) {
        const char *site = APR_ARRAY_IDX(c->groups, i, atl_group_req_t).site;

        for (j = 0; j < sites->nelts; j++) {
            if (!strcmp(APR_ARRAY_IDX(sites, j, const char *), site)) {
                break;
            }
        }
        if (j == sites->nelts) {
            APR_ARRAY_PUSH(sites, const char *) = site;
        }
    }
    return sites;
}

apr_int64_t atl_groups_retry_after(apr_int64_t given)
{
    return given > 0 ? given : ATL_GROUPS_RETRY;
}

static void atl_fail(request_rec *r, atl_gcheck_t *g, const char *site, int status,
                     apr_int64_t retry_after, const char *why)
{
    atl_gfail_t *f = apr_array_push(g->fails);

    f->site = site;
    f->status = status;
    f->retry_until = status == HTTP_SERVICE_UNAVAILABLE
                         ? g->checked + atl_groups_retry_after(retry_after)
                         : 0;
    f->why = atl_identity_sanitize(r->pool, why, strlen(why), 1024);
}

/* Say why the membership on site is not known, and note it. */
static void atl_fetch_failed(request_rec *r, atl_gcheck_t *g, const char *account,
                             const char *site, apr_status_t rv,
                             const atl_groups_result_t *res, const char *reason,
                             int recheck)
{
    const char *why = reason ? reason : "no detail";

    if (rv == ATL_E_SCOPE) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00302: Require atlassian-group: the token of account %s "
                      "may not read groups on site %s: %s. A configuration error: "
                      "add the scope to AtlassianScope and to the app in the "
                      "developer console; users then log in again",
                      account, site, why);
        atl_fail(r, g, site, HTTP_BAD_GATEWAY, 0,
                 apr_pstrcat(r->pool, "scope missing (", why, ")", NULL));
    }
    else if (rv == ATL_E_FORBIDDEN && res->status == 401 && recheck) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00310: account %s: Atlassian refused the token when "
                      "checking groups on site %s again (%s): the login is over, "
                      "a new one is needed",
                      account, site, why);
        g->ended = 1;
    }
    else if (rv == ATL_E_FORBIDDEN) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00303: Require atlassian-group: Atlassian refused to "
                      "tell the groups of account %s on site %s (HTTP %ld): %s",
                      account, site, res->status, why);
        atl_fail(r, g, site, HTTP_BAD_GATEWAY, 0,
                 apr_psprintf(r->pool, "refused (HTTP %ld: %s)", res->status, why));
    }
    else if (rv == ATL_E_RATELIMIT) {
        apr_int64_t after = atl_groups_retry_after(res->retry_after);

        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00304: Require atlassian-group: Atlassian is rate "
                      "limiting the group check of account %s on site %s (HTTP "
                      "%ld, Retry-After %" APR_INT64_T_FMT " s): not asked again "
                      "before then; %s",
                      account, site, res->status, after, why);
        atl_groups_fail_rate(r, g, NULL, site, res->status, after);
    }
    else if (rv == ATL_E_TIMEOUT) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00305: Require atlassian-group: the group check of "
                      "account %s on site %s timed out (raise AtlassianTimeout "
                      "or check the network): %s",
                      account, site, why);
        atl_fail(r, g, site, HTTP_GATEWAY_TIME_OUT, 0,
                 apr_pstrcat(r->pool, "timeout (", why, ")", NULL));
    }
    else if (rv == ATL_E_MALFORMED || rv == ATL_E_TOOBIG) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00306: Require atlassian-group: the groups of account %s "
                      "on site %s are not complete (group expansion not applied, "
                      "list incomplete or malformed): %s",
                      account, site, why);
        atl_fail(r, g, site, HTTP_BAD_GATEWAY, 0,
                 apr_pstrcat(r->pool, "incomplete answer (", why, ")", NULL));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00307: Require atlassian-group: the group check of "
                      "account %s on site %s failed: %s",
                      account, site, why);
        atl_fail(r, g, site, HTTP_BAD_GATEWAY, 0,
                 apr_pstrcat(r->pool, "failed (", why, ")", NULL));
    }
}

/* One product answer, per cloud id: a site configured by its host and by
 * its cloud id is asked once. */
typedef struct {
    apr_status_t rv;
    atl_groups_result_t *res;
    const char *reason;
    atl_product_e product;
} atl_answer_t;

static atl_answer_t *atl_site_answer(request_rec *r, apr_hash_t *done,
                                     const atl_groups_conf_t *gc, const atl_site_t *site,
                                     const char *account, const char *token)
{
    atl_answer_t *a = apr_hash_get(done, site->id, APR_HASH_KEY_STRING);

    if (!a) {
        a = apr_pcalloc(r->pool, sizeof(*a));
        a->product = atl_groups_product(site);
        if (a->product != ATL_PRODUCT_NONE) {
            /* Through a batch, the first call came with the last wave. */
            apr_time_t t0 = gc->http.batch && atl_http_batch_started(gc->http.batch)
                                ? atl_http_batch_started(gc->http.batch)
                                : apr_time_now();

            a->rv = atl_groups_fetch(&a->res, &a->reason, r->pool, gc, site->id,
                                     a->product, account, token);
            atl_metric_observe(ATL_EP_GROUPS, t0);
        }
        apr_hash_set(done, site->id, APR_HASH_KEY_STRING, a);
    }
    return a;
}

void atl_groups_conf(atl_groups_conf_t *gc, const atl_srv_conf *c,
                     atl_http_batch_t *batch)
{
    memset(gc, 0, sizeof(*gc));
    gc->api_url = atl_or(c->api_url, ATL_DEFAULT_API);
    gc->http.ca_file = c->ca_file;
    gc->http.timeout_ms = atl_groups_timeout_ms(c);
    gc->http.max_body = ATL_GROUPS_MAX_BODY;
    gc->http.batch = batch;
    gc->total_timeout_ms = atl_groups_timeout_ms(c);
}

void atl_groups_check_sites(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                            const atl_identity_t *id, const apr_array_header_t *sites,
                            const char *token, int recheck, atl_http_batch_t *batch)
{
    const char *account = id->f[ATL_F_ACCOUNT_ID];
    apr_array_header_t *names = atl_groups_config_sites(r->pool, c);
    apr_hash_t *done = apr_hash_make(r->pool);
    atl_groups_conf_t gc;
    int i, j;

    atl_groups_conf(&gc, c, batch);

    for (i = 0; i < names->nelts && !g->ended; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const atl_site_t *site = atl_groups_find_site(sites, name);
        apr_array_header_t *wanted, *matched;
        atl_answer_t *a;

        if (!site) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "ATL00300: account %s: accessible-resources does not "
                          "list site %s: not a member of its groups",
                          account, name);
            continue;
        }
        a = atl_site_answer(r, done, &gc, site, account, token);
        if (a->product == ATL_PRODUCT_NONE) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "ATL00308: Require atlassian-group: the token of account "
                          "%s has no Jira or Confluence scope on site %s: add "
                          "read:jira-user (or read:confluence-user) to "
                          "AtlassianScope and to the app in the developer console",
                          account, name);
            atl_fail(r, g, name, HTTP_BAD_GATEWAY, 0,
                     "scope missing (no Jira or Confluence scope on the site)");
            continue;
        }
        if (a->rv != APR_SUCCESS) {
            atl_fetch_failed(r, g, account, name, a->rv, a->res, a->reason, recheck);
            continue;
        }
        wanted = apr_array_make(r->pool, 4, sizeof(const char *));
        for (j = 0; j < c->groups->nelts; j++) {
            const atl_group_req_t *q = &APR_ARRAY_IDX(c->groups, j, atl_group_req_t);

            if (!strcmp(q->site, name)) {
                APR_ARRAY_PUSH(wanted, const char *) = q->group;
            }
        }
        atl_groups_match(&matched, r->pool, wanted, a->res->groups);
        for (j = 0; j < matched->nelts; j++) {
            const atl_group_match_t *m = &APR_ARRAY_IDX(matched, j, atl_group_match_t);

            APR_ARRAY_PUSH(g->groups, const char *) =
                apr_pstrcat(r->pool, name, "/", m->wanted, NULL);
            if (!atl_groups_is_id(m->wanted)) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                              "ATL00301: account %s is in group \"%s\" on site %s "
                              "(%s), matched by name; its id is %s",
                              account, ap_escape_logitem(r->pool, m->name), name,
                              atl_groups_product_name(a->product),
                              m->id ? m->id : "none");
            }
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00319: account %s: %d of %d configured groups found on "
                      "site %s (%s, %d groups, %d calls)",
                      account, matched->nelts, wanted->nelts, name,
                      atl_groups_product_name(a->product), a->res->groups->nelts,
                      a->res->calls);
    }
}

void atl_groups_fail_all(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                         int status, apr_int64_t retry_after, const char *why)
{
    apr_array_header_t *names = atl_groups_config_sites(r->pool, c);
    int i;

    for (i = 0; i < names->nelts; i++) {
        atl_fail(r, g, APR_ARRAY_IDX(names, i, const char *), status, retry_after, why);
    }
}

void atl_groups_fail_rate(request_rec *r, atl_gcheck_t *g, const atl_srv_conf *c,
                          const char *site, long status, apr_int64_t after)
{
    const char *why = apr_psprintf(
        r->pool, "rate limited (HTTP %ld, Retry-After %" APR_INT64_T_FMT " s)", status,
        after);

    if (site) {
        atl_fail(r, g, site, HTTP_SERVICE_UNAVAILABLE, after, why);
    }
    else {
        atl_groups_fail_all(r, g, c, HTTP_SERVICE_UNAVAILABLE, after, why);
    }
}

/* ---- at login ---- */

const atl_gcheck_t *atl_groups_login(request_rec *r, const atl_srv_conf *c,
                                     atl_identity_t *id, apr_array_header_t *sites,
                                     const char *access_token, atl_http_batch_t *batch)
{
    atl_gcheck_t *g;

    if (!c->groups->nelts) {
        return NULL;
    }
    g = atl_gcheck_make(r->pool, atl_now());
    atl_groups_check_sites(r, g, c, id, sites, access_token, 0, batch);
    id->groups = g->groups;
    id->groups_checked = g->fails->nelts ? 0 : g->checked;
    atl_identity_join_groups(id, r->pool);
    if (g->fails->nelts) {
        atl_metric_inc(ATL_M_FAILED_GROUPS);
        return g;
    }
    return NULL;
}

/* ---- for the Require provider ---- */

const char *atl_groups_failure(request_rec *r, const char *site, int *status,
                               apr_int64_t *retry_after)
{
    const apr_array_header_t *fails = atl_req_group_fails(r);
    int i;

    *status = 0;
    *retry_after = 0;
    for (i = 0; fails && i < fails->nelts; i++) {
        const atl_gfail_t *f = &APR_ARRAY_IDX(fails, i, atl_gfail_t);

        if (!strcmp(f->site, site)) {
            *status = f->status;
            if (f->status == HTTP_SERVICE_UNAVAILABLE) {
                *retry_after = f->retry_until - atl_now();
                if (*retry_after < 1) {
                    *retry_after = 1;
                }
            }
            return f->why;
        }
    }
    return NULL;
}
