/* SPDX-License-Identifier: Apache-2.0 */
/* The refresh of a login's access token.
 *
 * Atlassian disables a refresh token once it is used, and revokes the
 * whole family of a login when a disabled one is presented again more
 * than 10 minutes after its rotation. So concurrent requests of one login
 * (threads, processes, nodes) must refresh once and share the outcome:
 *
 *   1. The outcome of the refresh of a refresh token R is kept in the
 *      shared cache for ATL_REFRESH_KEEP seconds, sealed, under a keyed
 *      hash of R. A request carrying R takes it from there.
 *   2. Otherwise the request takes the lock named by that hash
 *      (atl_cache_lock), looks again, refreshes, stores the outcome and
 *      releases the lock. Requests that find the lock taken poll for the
 *      outcome until the refresh can no longer be running.
 *   3. Without any cache (none configured, or unreachable and no local
 *      fallback), the request refreshes on its own.
 *
 * A refused refresh token (invalid_grant) ends the login; any other
 * failure keeps it and tries again on a later request. */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include <apr_strings.h>

#include "atl_oauth.h"
#include "atl_refresh.h"
#include "atl_seal.h"
#include "mod_atl_cache.h"
#include "mod_atl_metrics.h"
#include "mod_atl_refresh.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_PURPOSE_REFRESH "refresh"
#define ATL_REFRESH_POLL    apr_time_from_msec(50)

/* What one attempt came to. */
typedef enum { ATL_RF_DONE, ATL_RF_ENDED, ATL_RF_FAILED } atl_rf_e;

static void atl_refresh_oauth_conf(atl_oauth_conf_t *oc, const atl_srv_conf *c)
{
    memset(oc, 0, sizeof(*oc));
    oc->token_url = atl_or(c->token_url, ATL_DEFAULT_TOKEN);
    oc->client_id = c->client_id;
    oc->client_secret = c->client_secret;
    oc->http.ca_file = c->ca_file;
    oc->http.timeout_ms = 1000L * (c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT);
    oc->http.max_body = ATL_MAX_ANSWER;
}

/* The shared outcome under key: APR_SUCCESS with *rf, APR_NOTFOUND, or
 * another error (no cache). A value that does not unseal is none, and so
 * is one no newer than what the login holds: when Atlassian answers
 * without a new refresh token, the next refresh uses the same one, and
 * must not find the previous outcome. */
static apr_status_t atl_refresh_lookup(atl_refresh_t **rf, request_rec *r,
                                       const atl_srv_conf *c, const char *key,
                                       const atl_identity_t *id)
{
    const char *sealed = NULL, *plain;
    apr_size_t len;
    apr_status_t rv;

    *rf = NULL;
    rv = atl_cache_get(r, key, &sealed, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (atl_unseal(&plain, &len, r->pool, c->keys,
                   atl_cache_purpose(r, ATL_PURPOSE_REFRESH, key), sealed)
            != APR_SUCCESS
        || atl_refresh_decode(rf, r->pool, plain, len) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00210: a shared refresh outcome does not unseal "
                      "(another AtlassianSessionSecret, or not stored for "
                      "this login): ignored");
        return APR_NOTFOUND;
    }
    if (!(*rf)->ended && (*rf)->expiry <= id->token_expiry) {
        *rf = NULL;
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

static void atl_refresh_share(request_rec *r, const atl_srv_conf *c, const char *key,
                              const atl_refresh_t *rf)
{
    const char *plain, *sealed;
    apr_size_t len;
    apr_status_t rv;

    if (atl_refresh_encode(&plain, &len, r->pool, rf) != APR_SUCCESS
        || atl_seal(&sealed, r->pool, c->keys,
                    atl_cache_purpose(r, ATL_PURPOSE_REFRESH, key), plain, len)
               != APR_SUCCESS) {
        return;
    }
    rv = atl_cache_put(r, key, sealed, strlen(sealed),
                       apr_time_now() + apr_time_from_sec(ATL_REFRESH_KEEP));
    if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ATL00211: the refreshed tokens could not be shared "
                      "through AtlassianCache: another process or node that "
                      "still holds the old refresh token will refresh again");
    }
}

/* Call the token URL. */
static atl_rf_e atl_refresh_call(atl_refresh_t **out, request_rec *r,
                                 const atl_srv_conf *c, const atl_identity_t *id)
{
    atl_oauth_conf_t oc;
    atl_token_t *tok = NULL;
    atl_refresh_t *rf = apr_pcalloc(r->pool, sizeof(*rf));
    const char *reason = NULL;
    apr_status_t rv;
    apr_time_t t0;

    *out = rf;
    atl_refresh_oauth_conf(&oc, c);
    t0 = apr_time_now();
    rv = atl_oauth_refresh(&tok, &reason, r->pool, &oc, id->refresh_token);
    atl_metric_observe(ATL_EP_TOKEN, t0);
    if (rv == ATL_E_GRANT) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00212: account %s: Atlassian refused the refresh "
                      "token (%s): the login is over, a new one is needed",
                      id->f[ATL_F_ACCOUNT_ID], reason ? reason : "invalid_grant");
        rf->ended = 1;
        atl_metric_inc(ATL_M_REFRESH_FAILED);
        return ATL_RF_ENDED;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00213: account %s: refreshing the access token failed: "
                      "%s; the login stays and the refresh is tried again on a "
                      "later request%s",
                      id->f[ATL_F_ACCOUNT_ID], reason ? reason : "no detail",
                      rv == ATL_E_TIMEOUT ? " (raise AtlassianTimeout or check "
                                            "the network)"
                                          : "");
        atl_metric_inc(ATL_M_REFRESH_FAILED);
        return ATL_RF_FAILED;
    }
    rf->access_token = tok->access_token;
    rf->refresh_token = tok->refresh_token;
    rf->expiry = atl_refresh_expiry(tok->expires_in, atl_now());
    if (tok->expires_in <= 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00642: account %s: the token endpoint's refresh "
                      "answer gave no expires_in: the new access token is "
                      "treated as expiring at once (passed on to this request "
                      "only, refreshed again on the next one)",
                      id->f[ATL_F_ACCOUNT_ID]);
    }
    ap_log_rerror(
        APLOG_MARK, APLOG_DEBUG, 0, r, "ATL00214: account %s: access token refreshed%s",
        id->f[ATL_F_ACCOUNT_ID],
        tok->refresh_token ? "" : " (no new refresh token: the old one is kept)");
    atl_metric_inc(ATL_M_REFRESH_DONE);
    return ATL_RF_DONE;
}

/* Refresh once for everyone who holds this refresh token. */
static atl_rf_e atl_refresh_shared(atl_refresh_t **rf, request_rec *r,
                                   const atl_srv_conf *c, const atl_identity_t *id)
{
    const char *hash, *key, *token = NULL;
    apr_interval_time_t hold;
    apr_time_t deadline;
    apr_status_t rv;
    atl_rf_e e;

    if (atl_seal_hash(&hash, r->pool, c->keys, ATL_PURPOSE_REFRESH, id->refresh_token,
                      strlen(id->refresh_token))
        != APR_SUCCESS) {
        return atl_refresh_call(rf, r, c, id);
    }
    key = apr_pstrcat(r->pool, "refresh:", hash, NULL);
    if (atl_refresh_lookup(rf, r, c, key, id) == APR_SUCCESS) {
        return (*rf)->ended ? ATL_RF_ENDED : ATL_RF_DONE;
    }
    /* The lock outlives the longest refresh call a little, so that a
     * process that died holding it delays the others only that long. */
    hold = apr_time_from_sec((c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT) + 5);
    rv = atl_cache_lock(r, hash, hold, &token);
    if (rv == APR_EBUSY) {
        deadline = apr_time_now() + hold;
        while (apr_time_now() < deadline) {
            apr_sleep(ATL_REFRESH_POLL);
            if (atl_refresh_lookup(rf, r, c, key, id) == APR_SUCCESS) {
                return (*rf)->ended ? ATL_RF_ENDED : ATL_RF_DONE;
            }
            rv = atl_cache_lock(r, hash, hold, &token);
            if (rv != APR_EBUSY) {
                /* The owner is done: its outcome, or none because its
                 * refresh failed (it said so in the log) or it vanished.
                 * Either way, this wave of requests does not call again. */
                if (atl_refresh_lookup(rf, r, c, key, id) == APR_SUCCESS) {
                    atl_cache_unlock(r, hash, token);
                    return (*rf)->ended ? ATL_RF_ENDED : ATL_RF_DONE;
                }
                atl_cache_unlock(r, hash, token);
                return ATL_RF_FAILED;
            }
        }
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00215: account %s: another request's refresh of "
                      "this login did not finish in time; tried again on a "
                      "later request",
                      id->f[ATL_F_ACCOUNT_ID]);
        return ATL_RF_FAILED;
    }
    if (rv == APR_SUCCESS) {
        /* The previous owner may have shared its outcome just before. */
        if (atl_refresh_lookup(rf, r, c, key, id) == APR_SUCCESS) {
            atl_cache_unlock(r, hash, token);
            return (*rf)->ended ? ATL_RF_ENDED : ATL_RF_DONE;
        }
        e = atl_refresh_call(rf, r, c, id);
        if (e != ATL_RF_FAILED) {
            atl_refresh_share(r, c, key, *rf);
        }
        atl_cache_unlock(r, hash, token);
        return e;
    }
    /* No cache to share through: this request refreshes on its own. */
    if (rv != APR_ENOTIMPL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "ATL00216: no lock for the refresh of account %s in "
                      "AtlassianCache: refreshing without one",
                      id->f[ATL_F_ACCOUNT_ID]);
    }
    return atl_refresh_call(rf, r, c, id);
}

atl_identity_t *atl_refresh_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  atl_identity_t *id)
{
    apr_int64_t now = atl_now();
    atl_refresh_t *rf = NULL;
    atl_rf_e e;

    if (id->refresh_token && atl_refresh_due(id->token_expiry, now)) {
        e = atl_refresh_shared(&rf, r, c, id);
        if (e == ATL_RF_ENDED) {
            /* Saved with what the request does next (a new login). */
            atl_store_login(r, z, NULL);
            return NULL;
        }
        if (e == ATL_RF_DONE) {
            if (id->f[ATL_F_ACCESS_TOKEN]) {
                id->f[ATL_F_ACCESS_TOKEN] = rf->access_token;
            }
            if (rf->refresh_token) {
                id->refresh_token = rf->refresh_token;
            }
            id->token_expiry = rf->expiry;
            if (atl_save_login(r, z, c, id) != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                              "ATL00217: the refreshed login could not be "
                              "sealed into the session");
            }
            return id;
        }
    }
    /* Never pass on an access token past its expiry. */
    if (id->token_expiry > 0 && now >= id->token_expiry && id->f[ATL_F_ACCESS_TOKEN]) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00218: account %s: the access token has expired; it is "
                      "not passed on%s",
                      id->f[ATL_F_ACCOUNT_ID],
                      id->refresh_token ? "" : " (AtlassianRefresh is off)");
        id->f[ATL_F_ACCESS_TOKEN] = NULL;
    }
    return id;
}

atl_identity_t *atl_load_identity(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  const atl_dir_conf *d)
{
    atl_identity_t *id = atl_read_login(r, z, c);

    if (!id || atl_login_expired(r, id, d)) {
        return NULL;
    }
    /* AtlassianRefresh: fresh tokens, or none that has expired. */
    return atl_refresh_login(r, z, c, id);
}
