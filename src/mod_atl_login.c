/* SPDX-License-Identifier: Apache-2.0 */
/* The calls to Atlassian that end a login, in waves: the calls that need
 * no answer of one another are made together (atl_http_batch_*), so a
 * login waits for one call per wave instead of one per call. The core
 * functions that make and read each call (atl_oauth, atl_groups) are the
 * same as for a call on its own: a wave first lets them note their calls
 * (atl_http_batch_plan), makes those together (atl_http_batch_run), and
 * then runs them again to take the answers, log and decide. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include <apr_strings.h>

#include "atl_groups.h"
#include "atl_http.h"
#include "atl_oauth.h"
#include "mod_atl_groups.h"
#include "mod_atl_login.h"
#include "mod_atl_metrics.h"
#include "mod_atl_pages.h"
#include "mod_atl_proxy.h"
#include "mod_atl_recheck.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

/* The redirect URI sent to Atlassian, in the authorize request and again
 * in the token exchange of the callback: absolute as configured, or the
 * local path resolved against this request's scheme and host. */
const char *atl_redirect_uri(request_rec *r, const atl_srv_conf *c)
{
    if (c->redirect_absolute) {
        return c->redirect_uri;
    }
    return atl_proxy_check(r, ap_construct_url(r->pool, c->redirect_uri, r));
}

/* Map a failure of a call to Atlassian to a page and a log line. */
static int atl_upstream_failure(request_rec *r, apr_status_t rv, const char *step,
                                const char *reason, atl_metric_e m)
{
    int timeout = rv == ATL_E_TIMEOUT;

    atl_metric_inc(timeout ? ATL_M_FAILED_TIMEOUT : m);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00040: login failed at the %s step: %s%s", step,
                  reason ? reason : "no detail",
                  timeout ? " (raise AtlassianTimeout or check the network)" : "");
    return atl_error_page(r, timeout ? HTTP_GATEWAY_TIME_OUT : HTTP_BAD_GATEWAY,
                          timeout ? "Atlassian did not answer in time. Please try "
                                    "again in a moment."
                                  : "Atlassian could not complete the sign-in. "
                                    "Please try again later.");
}

/* Wave 2's calls, noted only: /me, and the sites when they are needed. */
static void atl_login_plan_identity(request_rec *r, const atl_oauth_conf_t *oc,
                                    const char *token, int sites)
{
    atl_identity_t *scratch = atl_identity_make(r->pool);
    apr_array_header_t *none;
    const char *reason;

    atl_oauth_profile(scratch, &reason, r->pool, oc, token);
    if (sites) {
        atl_oauth_sites(&none, &reason, r->pool, oc, token);
    }
}

/* Whether one of the space-separated scopes names product (as a site's
 * scopes do for atl_groups_product). */
static int atl_login_scope_names(apr_pool_t *p, const char *scopes, atl_product_e product)
{
    char *list = apr_pstrdup(p, scopes ? scopes : ""), *last = NULL, *one;
    atl_site_t site;

    memset(&site, 0, sizeof(site));
    site.scopes = apr_array_make(p, 1, sizeof(const char *));
    for (one = apr_strtok(list, " ", &last); one; one = apr_strtok(NULL, " ", &last)) {
        site.scopes->nelts = 0;
        APR_ARRAY_PUSH(site.scopes, const char *) = one;
        if (atl_groups_product(&site) == product) {
            return 1;
        }
    }
    return 0;
}

/* Group calls, noted only. Without sites (wave 2): Jira's on the sites
 * configured by cloud id, and only when the token's scopes name Jira and
 * not Confluence: every site whose groups the login may read is then
 * asked through Jira, so the call is the one atl_groups_login will make
 * (it is left unused when accessible-resources does not list the site).
 * With the sites (wave 3): the first call of every configured site that
 * atl_groups_login will ask. A call noted twice, or made already in wave
 * 2, is not made again. */
static void atl_login_plan_groups(request_rec *r, const atl_srv_conf *c,
                                  const atl_identity_t *id, const atl_token_t *tok,
                                  atl_http_batch_t *batch)
{
    atl_groups_conf_t gc;
    apr_pool_t *scratch;
    int i;

    if (!id->sites
        && (!atl_login_scope_names(r->pool, tok->scope, ATL_PRODUCT_JIRA)
            || atl_login_scope_names(r->pool, tok->scope, ATL_PRODUCT_CONFLUENCE))) {
        return;
    }
    if (apr_pool_create(&scratch, r->pool) != APR_SUCCESS) {
        return;
    }
    atl_groups_conf(&gc, c, batch);
    for (i = 0; i < c->groups->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c->groups, i, atl_group_req_t).site;
        const atl_site_t *site = atl_groups_find_site(id->sites, name);
        atl_product_e product = atl_groups_product(site);
        atl_groups_result_t *res;
        const char *reason;

        if (!id->sites && atl_groups_is_id(name)) {
            atl_groups_fetch(&res, &reason, scratch, &gc, name, ATL_PRODUCT_JIRA,
                             id->f[ATL_F_ACCOUNT_ID], tok->access_token);
        }
        else if (site && product != ATL_PRODUCT_NONE) {
            atl_groups_fetch(&res, &reason, scratch, &gc, site->id, product,
                             id->f[ATL_F_ACCOUNT_ID], tok->access_token);
        }
    }
    apr_pool_destroy(scratch);
}

int atl_login_calls(atl_token_t **tokp, atl_identity_t **idp, request_rec *r,
                    const atl_srv_conf *c, const char *code, int want_sites)
{
    atl_http_batch_t *batch = atl_http_batch_make(r->pool);
    int sites = want_sites || c->groups->nelts;
    atl_oauth_conf_t oc;
    atl_token_t *tok;
    atl_identity_t *id;
    const char *reason = NULL;
    apr_status_t rv;
    apr_time_t t0;

    memset(&oc, 0, sizeof(oc));
    oc.token_url = atl_or(c->token_url, ATL_DEFAULT_TOKEN);
    oc.profile_url = atl_or(c->profile_url, ATL_DEFAULT_PROFILE);
    oc.resources_url = atl_or(c->resources_url, ATL_DEFAULT_RESOURCES);
    oc.client_id = c->client_id;
    oc.client_secret = c->client_secret;
    oc.http.ca_file = c->ca_file;
    oc.http.timeout_ms = 1000L * (c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT);
    oc.http.max_body = ATL_MAX_ANSWER;
    oc.http.batch = batch;

    /* Wave 1: the code for a token (a wave of one call). */
    t0 = apr_time_now();
    rv = atl_oauth_exchange_code(&tok, &reason, r->pool, &oc, code,
                                 atl_redirect_uri(r, c));
    atl_metric_observe(ATL_EP_TOKEN, t0);
    if (rv == ATL_E_GRANT) {
        /* A junk, expired or replayed code from the browser: a bad callback,
         * not an Atlassian failure. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00052: callback refused: the token endpoint refused its "
                      "code (invalid_grant: made up, expired or already used)");
        atl_metric_inc(ATL_M_FAILED_TOKEN);
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "This sign-in has expired or was already used. "
                              "Please start again from the page you wanted.");
    }
    if (rv != APR_SUCCESS) {
        return atl_upstream_failure(r, rv, "token", reason, ATL_M_FAILED_TOKEN);
    }

    /* Wave 2: /me and, when sites or groups are needed, accessible-resources,
     * together; with them the group calls that need only the token and a
     * cloud id (Jira's, when the token's scopes say a site is asked through
     * Jira). The others wait for wave 3: which product a site has shows
     * only in accessible-resources, a site named by host needs it to find
     * its cloud id, and a Confluence call needs the account id from /me. */
    id = atl_identity_make(r->pool);
    atl_http_batch_plan(batch);
    atl_login_plan_identity(r, &oc, tok->access_token, sites);
    if (c->groups->nelts) {
        atl_login_plan_groups(r, c, id, tok, batch);
    }
    t0 = apr_time_now();
    atl_http_batch_run(batch);
    rv = atl_oauth_profile(id, &reason, r->pool, &oc, tok->access_token);
    atl_metric_observe(ATL_EP_PROFILE, t0);
    if (rv != APR_SUCCESS) {
        return atl_upstream_failure(r, rv, "profile", reason, ATL_M_FAILED_PROFILE);
    }
    if (!id->f[ATL_F_ACCOUNT_STATUS] || strcmp(id->f[ATL_F_ACCOUNT_STATUS], "active")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00043: account %s refused: its account_status is %s, "
                      "not active",
                      id->f[ATL_F_ACCOUNT_ID],
                      id->f[ATL_F_ACCOUNT_STATUS] ? id->f[ATL_F_ACCOUNT_STATUS]
                                                  : "missing");
        atl_metric_inc(ATL_M_FAILED_REFUSED);
        return atl_error_page(r, HTTP_FORBIDDEN, "This Atlassian account is not active.");
    }
    /* Require atlassian-group lines need the sites (and their scopes). */
    if (sites) {
        rv = atl_oauth_sites(&id->sites, &reason, r->pool, &oc, tok->access_token);
        atl_metric_observe(ATL_EP_RESOURCES, t0);
        if (rv != APR_SUCCESS) {
            return atl_upstream_failure(r, rv, "accessible-resources", reason,
                                        ATL_M_FAILED_SITES);
        }
        atl_identity_join_sites(id, r->pool);
    }
    id->login_time = atl_now();
    id->f[ATL_F_LOGIN_TIME] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, id->login_time);

    /* Wave 3: the first group call of every configured site, together;
     * each further page of a paged answer (Confluence) is one more wave of
     * its own (it needs the page before). The token stays with the login
     * to check them again later. */
    if (c->groups->nelts) {
        const atl_gcheck_t *failed;

        atl_http_batch_plan(batch);
        atl_login_plan_groups(r, c, id, tok, batch);
        atl_http_batch_run(batch);
        failed = atl_groups_login(r, c, id, id->sites, tok->access_token, batch);
        if (failed) {
            /* The next request answers this failure, and does not call
             * again before Atlassian allows it. */
            atl_groups_share_failure(r, c, id, failed);
        }
    }
    *tokp = tok;
    *idp = id;
    return OK;
}
