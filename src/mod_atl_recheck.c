/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership checked again (see mod_atl_groups.c for the check).
 *
 * Once the membership a login holds is older than
 * AtlassianGroupCheckInterval, a request in a location with a Require
 * atlassian-group line fetches the user's sites again and checks with the
 * user's token (refreshed first by AtlassianRefresh, when that is on).
 * Concurrent requests of one login (threads, processes, nodes) check once:
 * the outcome is kept in the shared cache, sealed, under a keyed hash of
 * the login and the configured groups, and a lock in the cache lets one
 * request call Atlassian while the others wait for its outcome. Failures
 * are kept too (a rate limit until its Retry-After, and those of a login's
 * own check), so that no request calls again before it may. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include <apr_strings.h>

#include "atl_gcheck.h"
#include "atl_groups.h"
#include "atl_http.h"
#include "atl_json.h"
#include "atl_seal.h"
#include "mod_atl_cache.h"
#include "mod_atl_groups.h"
#include "mod_atl_recheck.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_PURPOSE_GROUPS   "groups"
#define ATL_GROUPS_POLL      apr_time_from_msec(50)
#define ATL_GROUPS_FAIL_KEEP 5 /* seconds a failure is shared */

/* ---- the outcome in the shared cache ---- */

/* The cache key of this login's check: a keyed hash of the login and of
 * the configured groups (another configuration checks other groups). */
static const char *atl_gcheck_hash(request_rec *r, const atl_srv_conf *c,
                                   const atl_identity_t *id)
{
    apr_array_header_t *parts = apr_array_make(r->pool, 4, sizeof(const char *));
    const char *data, *hash;
    int i;

    APR_ARRAY_PUSH(parts, const char *) = id->f[ATL_F_ACCOUNT_ID];
    APR_ARRAY_PUSH(parts, const char *) =
        apr_psprintf(r->pool, "%" APR_INT64_T_FMT, id->login_time);
    for (i = 0; i < c->groups->nelts; i++) {
        APR_ARRAY_PUSH(parts, const char *) =
            APR_ARRAY_IDX(c->groups, i, atl_group_req_t).entry;
    }
    data = apr_array_pstrcat(r->pool, parts, '\n');
    if (atl_seal_hash(&hash, r->pool, c->keys, ATL_PURPOSE_GROUPS, data, strlen(data))
        != APR_SUCCESS) {
        return NULL;
    }
    return hash;
}

/* A shared outcome newer than what the login holds (since), and still
 * valid: within the interval, or made after this request started to look
 * (asked), however long the check took. */
static atl_gcheck_t *atl_gcheck_lookup(request_rec *r, const atl_srv_conf *c,
                                       const char *key, apr_int64_t since,
                                       apr_int64_t interval, apr_int64_t asked)
{
    const char *sealed, *plain;
    apr_size_t len;
    atl_gcheck_t *g;

    if (atl_cache_get(r, key, &sealed, NULL) != APR_SUCCESS) {
        return NULL;
    }
    if (atl_unseal(&plain, &len, r->pool, c->keys,
                   atl_cache_purpose(r, ATL_PURPOSE_GROUPS, key), sealed)
            != APR_SUCCESS
        || atl_gcheck_decode(&g, r->pool, plain, len) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00312: a shared group check does not unseal (another "
                      "AtlassianSessionSecret, or not stored for this "
                      "login): ignored");
        return NULL;
    }
    if (g->checked <= since
        || (!g->fails->nelts && g->checked < asked
            && g->checked + interval <= atl_now())) {
        return NULL;
    }
    return g;
}

static void atl_gcheck_share(request_rec *r, const atl_srv_conf *c, const char *key,
                             const atl_gcheck_t *g, apr_int64_t interval)
{
    const char *plain, *sealed;
    apr_size_t len;
    apr_int64_t until = g->checked + interval;
    apr_status_t rv;
    int i;

    /* Long enough for the requests that waited for it to read it. */
    if (until < atl_now() + ATL_GROUPS_FAIL_KEEP) {
        until = atl_now() + ATL_GROUPS_FAIL_KEEP;
    }
    /* A failure is kept a few seconds (a rate limit: until Atlassian
     * allows the next call), so that a wave of requests asks once. */
    for (i = 0; i < g->fails->nelts; i++) {
        const atl_gfail_t *f = &APR_ARRAY_IDX(g->fails, i, atl_gfail_t);
        apr_int64_t keep =
            f->retry_until ? f->retry_until : g->checked + ATL_GROUPS_FAIL_KEEP;

        until = i == 0 || keep > until ? keep : until;
    }
    if (!key || atl_gcheck_encode(&plain, &len, r->pool, g) != APR_SUCCESS
        || atl_seal(&sealed, r->pool, c->keys,
                    atl_cache_purpose(r, ATL_PURPOSE_GROUPS, key), plain, len)
               != APR_SUCCESS) {
        return;
    }
    rv = atl_cache_put(r, key, sealed, strlen(sealed), apr_time_from_sec(until));
    if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ATL00313: a group check could not be shared through "
                      "AtlassianCache: other processes or nodes check again");
    }
}

static const char *atl_gcheck_key(request_rec *r, const char *hash)
{
    return hash ? apr_pstrcat(r->pool, "groups:", hash, NULL) : NULL;
}

/* ---- a login's failed check ---- */

void atl_groups_share_failure(request_rec *r, const atl_srv_conf *c,
                              const atl_identity_t *id, const atl_gcheck_t *g)
{
    atl_gcheck_share(r, c, atl_gcheck_key(r, atl_gcheck_hash(r, c, id)), g, 0);
}

/* ---- again, later ---- */

/* The user's sites now, with their scopes. Called here rather than through
 * atl_oauth_sites because the status matters: a refused token ends the
 * login, a rate limit has its Retry-After. NULL on failure (noted in g). */
static apr_array_header_t *atl_fetch_sites(request_rec *r, atl_gcheck_t *g,
                                           const atl_srv_conf *c,
                                           const atl_identity_t *id)
{
    const char *url = atl_or(c->resources_url, ATL_DEFAULT_RESOURCES);
    const char *account = id->f[ATL_F_ACCOUNT_ID], *errmsg = NULL, *why;
    atl_http_response_t *resp = NULL;
    apr_array_header_t *sites = NULL;
    atl_http_opts_t o;
    apr_status_t rv;

    memset(&o, 0, sizeof(o));
    o.ca_file = c->ca_file;
    o.timeout_ms = atl_groups_timeout_ms(c);
    o.max_body = ATL_MAX_ANSWER;
    rv = atl_http_request(&resp, &errmsg, r->pool, &o, "GET", url,
                          id->f[ATL_F_ACCESS_TOKEN], NULL, NULL);
    if (rv == APR_SUCCESS && resp->status == 401) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00902: account %s: Atlassian refused the token when "
                      "checking groups again (accessible-resources answered 401): "
                      "the login is over, a new one is needed",
                      account);
        g->ended = 1;
        return NULL;
    }
    if (rv == APR_SUCCESS && (resp->status == 429 || resp->status == 503)) {
        apr_int64_t after = atl_groups_retry_after(resp->retry_after);

        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00901: Require atlassian-group: Atlassian is rate "
                      "limiting the group check of account %s (accessible-resources, "
                      "HTTP %ld, Retry-After %" APR_INT64_T_FMT " s): not asked "
                      "again before then",
                      account, resp->status, after);
        atl_groups_fail_rate(r, g, c, NULL, resp->status, after);
        return NULL;
    }
    if (rv == APR_SUCCESS && (resp->status < 200 || resp->status > 299)) {
        errmsg = apr_psprintf(r->pool, "HTTP %ld", resp->status);
        rv = ATL_E_UPSTREAM;
    }
    if (rv == APR_SUCCESS) {
        rv = atl_json_parse_sites(&sites, &errmsg, r->pool, resp->body, resp->body_len);
    }
    if (rv != APR_SUCCESS) {
        why = apr_psprintf(r->pool, "accessible-resources %s failed: %s", url,
                           errmsg ? errmsg : "no detail");
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00309: Require atlassian-group: checking the groups of "
                      "account %s again: %s%s",
                      account, why,
                      rv == ATL_E_TIMEOUT ? " (raise AtlassianTimeout or check the "
                                            "network)"
                                          : "");
        atl_groups_fail_all(
            r, g, c, rv == ATL_E_TIMEOUT ? HTTP_GATEWAY_TIME_OUT : HTTP_BAD_GATEWAY, 0,
            why);
        return NULL;
    }
    return sites;
}

/* Check now, with the user's current token. */
static atl_gcheck_t *atl_gcheck_run(request_rec *r, const atl_srv_conf *c,
                                    const atl_identity_t *id)
{
    atl_gcheck_t *g = atl_gcheck_make(r->pool, atl_now());
    apr_array_header_t *sites = atl_fetch_sites(r, g, c, id);

    if (sites) {
        atl_groups_check_sites(r, g, c, id, sites, id->f[ATL_F_ACCESS_TOKEN], 1, NULL);
    }
    /* The membership is as Atlassian told it when the answers came. */
    g->checked = atl_now();
    return g;
}

/* The check of this login: shared, or made here once for everyone. */
static atl_gcheck_t *atl_gcheck_shared(request_rec *r, const atl_srv_conf *c,
                                       const atl_identity_t *id, apr_int64_t interval)
{
    const char *hash = atl_gcheck_hash(r, c, id), *key = atl_gcheck_key(r, hash);
    const char *lock = NULL;
    apr_interval_time_t hold;
    apr_time_t deadline;
    apr_int64_t asked = atl_now();
    atl_gcheck_t *g;
    apr_status_t rv;

    if (!hash) {
        return atl_gcheck_run(r, c, id);
    }
    if ((g = atl_gcheck_lookup(r, c, key, id->groups_checked, interval, asked))) {
        return g;
    }
    /* Long enough for accessible-resources and every site's check. */
    hold = apr_time_from_msec(atl_groups_timeout_ms(c))
               * (1 + atl_groups_config_sites(r->pool, c)->nelts)
           + apr_time_from_sec(5);
    rv = atl_cache_lock(r, hash, hold, &lock);
    if (rv == APR_EBUSY) {
        deadline = apr_time_now() + hold;
        while (apr_time_now() < deadline) {
            apr_sleep(ATL_GROUPS_POLL);
            if ((g = atl_gcheck_lookup(r, c, key, id->groups_checked, interval, asked))) {
                return g;
            }
            rv = atl_cache_lock(r, hash, hold, &lock);
            if (rv != APR_EBUSY) {
                break;
            }
        }
        if (rv == APR_EBUSY) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "ATL00314: account %s: another request's group check "
                          "did not finish in time: checking here",
                          id->f[ATL_F_ACCOUNT_ID]);
            return atl_gcheck_run(r, c, id);
        }
    }
    if (rv == APR_SUCCESS) {
        /* The previous owner may have shared its outcome just before. */
        if (!(g = atl_gcheck_lookup(r, c, key, id->groups_checked, interval, asked))) {
            g = atl_gcheck_run(r, c, id);
            atl_gcheck_share(r, c, key, g, interval);
        }
        atl_cache_unlock(r, hash, lock);
        return g;
    }
    /* No cache to share through: this request checks on its own. */
    g = atl_gcheck_run(r, c, id);
    atl_gcheck_share(r, c, key, g, interval);
    return g;
}

atl_identity_t *atl_groups_recheck(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                   const atl_dir_conf *d, atl_identity_t *id)
{
    apr_int64_t interval =
        d->group_interval > 0 ? d->group_interval : ATL_DEFAULT_GROUP_CHECK;
    apr_int64_t now = atl_now();
    atl_gcheck_t *g;

    if (!c->groups->nelts) {
        return id;
    }
    if (id->groups && id->groups_checked > 0 && now - id->groups_checked < interval
        && id->groups_checked <= now + 60) {
        return id;
    }
    if (!id->f[ATL_F_ACCESS_TOKEN] || (id->token_expiry > 0 && now >= id->token_expiry)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00311: account %s: its group membership is due to be "
                      "checked again, but the login keeps no valid access token "
                      "(expired without AtlassianRefresh, or logged in before "
                      "the Require atlassian-group lines): a new login is needed",
                      id->f[ATL_F_ACCOUNT_ID]);
        atl_store_login(r, z, NULL);
        return NULL;
    }
    g = atl_gcheck_shared(r, c, id, interval);
    if (g->ended) {
        atl_store_login(r, z, NULL);
        return NULL;
    }
    id->groups = g->groups;
    atl_identity_join_groups(id, r->pool);
    if (g->fails->nelts) {
        /* This request only: the sites that failed grant nothing, and the
         * next request looks again. */
        atl_req_note_group_fails(r, g->fails);
        return id;
    }
    id->groups_checked = g->checked;
    if (atl_save_login(r, z, c, id) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00318: the checked group membership could not be "
                      "sealed into the session");
    }
    return id;
}
