/* SPDX-License-Identifier: Apache-2.0 */
/* The module's values in the mod_session session. Each is sealed
 * (src/atl_seal.c) with a purpose of its own, so that one value cannot
 * stand for another. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_session.h"

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_logincache.h"
#include "atl_seal.h"
#include "atl_state.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

/* Keys of the module's values in the mod_session session. */
/* The login's key is short: the session travels with every request, and
 * httpd's work on the cookie grows with its length. */
#define ATL_SESSION_LOGIN   "atl"
#define ATL_SESSION_PENDING "atlassian-pending"
#define ATL_SESSION_POST    "atlassian-post"

static APR_OPTIONAL_FN_TYPE(ap_session_load) * atl_session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) * atl_session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) * atl_session_set;
static APR_OPTIONAL_FN_TYPE(ap_session_save) * atl_session_save;

/* Slots of the memo of verified logins: one small pool each, so a few
 * megabytes per process at most, and far more than the logins a process
 * sees again within their lifetime on most sites. */
#define ATL_LOGINCACHE_SLOTS 256

/* The memo of logins this process has verified (src/atl_logincache.c),
 * made in child_init before any request; requests only go through its
 * own lock. NULL (no memo) where it could not be made. */
static atl_logincache_t *atl_logins;

void atl_session_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (atl_logincache_make(&atl_logins, pchild, ATL_LOGINCACHE_SLOTS) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "ATL00800: the memo of verified logins could not be made: "
                     "every request unseals its login");
        atl_logins = NULL;
    }
}

/* mod_session_cookie, found at startup (NULL: not loaded). */
static module *atl_cookie_module;

int atl_session_init(void)
{
    atl_cookie_module = ap_find_linked_module("mod_session_cookie.c");
    atl_session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    atl_session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    atl_session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    atl_session_save = APR_RETRIEVE_OPTIONAL_FN(ap_session_save);
    return atl_session_load && atl_session_get && atl_session_set && atl_session_save;
}

apr_int64_t atl_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

/* -- the session cookie sent more than once ----------------------------------
 *
 * A second cookie of the same name can be planted from a sibling subdomain
 * or over plain http. mod_session_cookie then ignores every value: the
 * session looks empty, and a login started now would overwrite the real
 * one. The module looks at that cookie's values itself, the way
 * mod_session_cookie reads them, and keeps the one that holds its own
 * sealed values; a value that does not unseal is ignored. Only two values
 * that both unseal as logins of different accounts cannot be told apart
 * (see atl_session_cookie_tossed). */

/* The start of mod_session_cookie's per-directory record in httpd 2.4:
 * SessionCookieName (name, set), SessionCookieName2 (the same), then
 * SessionCookieRemove. */
typedef struct {
    const char *name;
    int name_set;
    const char *name_attrs;
    const char *name2;
    int name2_set;
    const char *name2_attrs;
    int remove;
} atl_cookie_conf_t;

/* The name mod_session_cookie reads the session from here (its
 * SessionCookieName), or NULL: none (mod_session_dbd, or no cookie name;
 * a SessionCookieName2 is not looked at). *remove: SessionCookieRemove. */
static const char *atl_session_cookie_name(request_rec *r, int *remove)
{
    const atl_cookie_conf_t *conf =
        atl_cookie_module ? ap_get_module_config(r->per_dir_config, atl_cookie_module)
                          : NULL;

    if (!conf || !conf->name_set || conf->name2_set || !conf->name || !*conf->name) {
        return NULL;
    }
    *remove = conf->remove;
    return conf->name;
}

typedef struct {
    request_rec *r;
    const char *prefix; /* "name=" */
    apr_size_t len;
    apr_array_header_t *values; /* distinct values, in the order sent */
    apr_table_t *stripped;      /* the Cookie headers without them */
} atl_cookie_values_t;

/* One Cookie header, split as httpd's ap_cookie_read splits it: at commas
 * and semicolons, blanks before a name skipped, the name compared exactly. */
static int atl_cookie_values_of(void *ctx, const char *key, const char *header)
{
    atl_cookie_values_t *cv = ctx;
    char *copy = apr_pstrdup(cv->r->pool, header), *last, *pair;

    for (pair = apr_strtok(copy, ",;", &last); pair;
         pair = apr_strtok(NULL, ",;", &last)) {
        const char *value;
        int i;

        while (apr_isspace(*pair)) {
            pair++;
        }
        if (strncmp(pair, cv->prefix, cv->len)) {
            continue;
        }
        value = pair + cv->len;
        for (i = 0; i < cv->values->nelts; i++) {
            if (!strcmp(APR_ARRAY_IDX(cv->values, i, const char *), value)) {
                break;
            }
        }
        if (i == cv->values->nelts) {
            APR_ARRAY_PUSH(cv->values, const char *) = value;
        }
    }
    return 1;
}

/* A cookie value decoded as mod_session decodes its session ("k=v&k=v",
 * each part url-encoded, "expiry" in microseconds); 0 when it has expired. */
static int atl_cookie_decode(apr_table_t *entries, apr_time_t *expiry, apr_pool_t *p,
                             const char *value)
{
    char *copy = apr_pstrdup(p, value), *last, *pair;

    *expiry = 0;
    for (pair = apr_strtok(copy, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');

        if (!eq || eq == pair || !eq[1]) {
            continue;
        }
        *eq = '\0';
        if (ap_unescape_urlencoded(pair) != OK || ap_unescape_urlencoded(eq + 1) != OK) {
            continue;
        }
        if (!strcmp(pair, "expiry")) {
            *expiry = (apr_time_t)apr_atoi64(eq + 1);
        }
        else {
            apr_table_set(entries, pair, eq + 1);
        }
    }
    return !*expiry || *expiry >= apr_time_now();
}

static atl_identity_t *atl_unseal_login(request_rec *r, const atl_srv_conf *c,
                                        const char *sealed);

/* What one value of the session cookie holds of the module's. */
typedef struct {
    const char *value;
    apr_table_t *entries;
    apr_time_t expiry;
    atl_identity_t *login; /* NULL: no login that unseals */
    int ours;              /* a value of the module unseals */
} atl_cookie_candidate_t;

static void atl_cookie_examine(atl_cookie_candidate_t *cand, request_rec *r,
                               const atl_srv_conf *c)
{
    const char *login, *pending, *post, *plain;
    apr_size_t len;

    cand->entries = apr_table_make(r->pool, 4);
    cand->login = NULL;
    cand->ours = 0;
    if (!atl_cookie_decode(cand->entries, &cand->expiry, r->pool, cand->value)) {
        return; /* expired: mod_session would not load it either */
    }
    login = apr_table_get(cand->entries, ATL_SESSION_LOGIN);
    pending = apr_table_get(cand->entries, ATL_SESSION_PENDING);
    post = apr_table_get(cand->entries, ATL_SESSION_POST);
    if (login && *login) {
        cand->login = atl_unseal_login(r, c, login);
    }
    cand->ours =
        cand->login
        || (pending && *pending
            && atl_unseal(&plain, &len, r->pool, c->keys, c->purpose_pending, pending)
                   == APR_SUCCESS)
        || (post && *post
            && atl_unseal(&plain, &len, r->pool, c->keys, atl_purpose(r->pool, c, "post"),
                          post)
                   == APR_SUCCESS);
}

/* With SessionCookieRemove On, mod_session_cookie removes its cookie from
 * the request, but not when it came twice: the module does it then, so
 * that the values never reach CGI programs or backends. */
static int atl_cookie_strip(void *ctx, const char *key, const char *header)
{
    atl_cookie_values_t *cv = ctx;
    char *copy = apr_pstrdup(cv->r->pool, header), *last, *pair;
    const char *kept = NULL;

    for (pair = apr_strtok(copy, ",;", &last); pair;
         pair = apr_strtok(NULL, ",;", &last)) {
        while (apr_isspace(*pair)) {
            pair++;
        }
        if (*pair && strncmp(pair, cv->prefix, cv->len)) {
            kept = kept ? apr_pstrcat(cv->r->pool, kept, "; ", pair, NULL) : pair;
        }
    }
    if (kept) {
        apr_table_addn(cv->stripped, key, kept);
    }
    return 1;
}

static void atl_session_duplicates(request_rec *r, session_rec *z)
{
    const atl_srv_conf *c = atl_srv(r->server);
    int remove = 0;
    const char *name = atl_session_cookie_name(r, &remove);
    atl_cookie_values_t cv;
    atl_cookie_candidate_t *cands, *chosen = NULL;
    int i, n;

    if (!name || !c || !c->keys || !apr_is_empty_table(z->entries)) {
        return; /* mod_session_cookie found one value (or none) */
    }
    cv.r = r;
    cv.prefix = apr_pstrcat(r->pool, name, "=", NULL);
    cv.len = strlen(cv.prefix);
    cv.values = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(atl_cookie_values_of, &cv, r->headers_in, "Cookie", "Cookie2", NULL);
    n = cv.values->nelts;
    if (n < 2) {
        return;
    }
    if (remove) {
        cv.stripped = apr_table_make(r->pool, 2);
        apr_table_do(atl_cookie_strip, &cv, r->headers_in, "Cookie", "Cookie2", NULL);
        apr_table_unset(r->headers_in, "Cookie");
        apr_table_unset(r->headers_in, "Cookie2");
        apr_table_overlap(r->headers_in, cv.stripped, APR_OVERLAP_TABLES_SET);
    }
    cands = apr_pcalloc(r->pool, n * sizeof(*cands));
    for (i = 0; i < n; i++) {
        cands[i].value = APR_ARRAY_IDX(cv.values, i, const char *);
        atl_cookie_examine(&cands[i], r, c);
    }
    /* The login, if any: two of different accounts cannot be told apart;
     * of the same account, the newest. Else the first value of ours. */
    for (i = 0; i < n; i++) {
        atl_identity_t *id = cands[i].login;

        if (!id) {
            continue;
        }
        if (chosen && chosen->login
            && strcmp(chosen->login->f[ATL_F_ACCOUNT_ID], id->f[ATL_F_ACCOUNT_ID])) {
            atl_req_note_tossed(r, name);
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "ATL00623: the session cookie %s came %d times, with the "
                          "logins of two different accounts: neither is used",
                          ap_escape_logitem(r->pool, name), n);
            return;
        }
        if (!chosen || !chosen->login || id->login_time > chosen->login->login_time) {
            chosen = &cands[i];
        }
    }
    for (i = 0; !chosen && i < n; i++) {
        if (cands[i].ours) {
            chosen = &cands[i];
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ATL00622: the session cookie %s came %d times with different "
                  "values (one planted from another subdomain or over plain http?): "
                  "%s; a __Host- cookie name prevents this",
                  ap_escape_logitem(r->pool, name), n,
                  chosen ? "the one that holds this site's sealed values is used, "
                           "the others are ignored"
                         : "none holds this site's sealed values: all are ignored");
    if (chosen) {
        /* The session mod_session would have loaded from that value alone. */
        apr_table_overlap(z->entries, chosen->entries, APR_OVERLAP_TABLES_SET);
        z->expiry = chosen->expiry ? chosen->expiry : z->expiry;
    }
}

const char *atl_session_cookie_tossed(request_rec *r)
{
    return atl_req_tossed(r);
}

session_rec *atl_load_session(request_rec *r)
{
    session_rec *z = atl_req_session(r);

    if (z) {
        return z;
    }
    if (atl_session_load(r, &z) != APR_SUCCESS) {
        return NULL;
    }
    atl_req_keep_session(r, z);
    atl_session_duplicates(r, z);
    return z;
}

static const char *atl_session_value(request_rec *r, session_rec *z, const char *key)
{
    const char *v = NULL;

    atl_session_get(r, z, key, &v);
    return v && *v ? v : NULL;
}

/* Set (or with NULL remove) one of the module's values. */
static apr_status_t atl_store(request_rec *r, session_rec *z, const char *key,
                              const char *value)
{
    atl_req_note_changed(r, z);
    return atl_session_set(r, z, key, value);
}

apr_status_t atl_store_login(request_rec *r, session_rec *z, const char *sealed)
{
    atl_req_forget_session_login(r);
    return atl_store(r, z, ATL_SESSION_LOGIN, sealed);
}

/* Save a session the module changed, now, before the answer leaves
 * check_authn. mod_session's output filter would save it too, except with
 * "SessionCookieRemove On": httpd then reloads the session from a request
 * whose cookie it already removed, finds a blank one, and the module's
 * values would be lost. The filter skips a session that was written. */
int atl_commit(request_rec *r, int status)
{
    session_rec *z = atl_req_take_changed(r);

    if (z && atl_session_save(r, z) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00014: the session could not be saved (see "
                      "mod_session's message above)");
    }
    return status;
}

/* A sealed login value unsealed and decoded (NULL: not readable). */
static atl_identity_t *atl_unseal_login(request_rec *r, const atl_srv_conf *c,
                                        const char *sealed)
{
    atl_identity_t *id;
    const char *plain;
    apr_size_t len;

    if ((id = atl_logincache_get(atl_logins, r->pool, c->keys, c->purpose_login, sealed))
        != NULL) {
        /* This very value unsealed and decoded before: the same login.
         * What depends on the time is checked by the caller. */
        return id;
    }
    if (atl_unseal(&plain, &len, r->pool, c->keys, c->purpose_login, sealed)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00010: the session's login value does not unseal "
                      "(edited, sealed with another AtlassianSessionSecret or for "
                      "another AtlassianClientID): treated as not logged in");
        return NULL;
    }
    if (atl_identity_decode(&id, r->pool, plain, len) != APR_SUCCESS
        || !id->f[ATL_F_ACCOUNT_ID]) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00011: the session's login value is not readable: "
                      "treated as not logged in");
        return NULL;
    }
    atl_logincache_put(atl_logins, c->keys, c->purpose_login, sealed, id);
    return id;
}

atl_identity_t *atl_read_login(request_rec *r, session_rec *z, const atl_srv_conf *c)
{
    const char *sealed;
    atl_identity_t *id = NULL;

    if (atl_req_session_login(&id, r, z)) {
        return id;
    }
    sealed = atl_session_value(r, z, ATL_SESSION_LOGIN);
    if (!sealed) {
        /* nothing to read */
    }
    else {
        id = atl_unseal_login(r, c, sealed);
    }
    atl_req_keep_session_login(r, z, id);
    return id;
}

int atl_login_expired(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d)
{
    apr_int64_t lifetime = d->lifetime > 0 ? d->lifetime : ATL_DEFAULT_LIFETIME;
    apr_int64_t now = atl_now();

    if (id->login_time > now + 60 || now - id->login_time >= lifetime) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00012: the login is older than AtlassianSessionLifetime "
                      "(%" APR_INT64_T_FMT " s): a new login is needed",
                      lifetime);
        return 1;
    }
    return 0;
}

/* Read the pending logins of the session (an unreadable value is none). */
apr_array_header_t *atl_load_pending(request_rec *r, session_rec *z,
                                     const atl_srv_conf *c)
{
    const char *sealed = atl_session_value(r, z, ATL_SESSION_PENDING);
    const char *plain;
    apr_size_t len;
    apr_array_header_t *list;

    if (!sealed
        || atl_unseal(&plain, &len, r->pool, c->keys, c->purpose_pending, sealed)
               != APR_SUCCESS) {
        if (sealed) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "ATL00013: the session's pending logins do not unseal: "
                          "ignored");
        }
        return apr_array_make(r->pool, 1, sizeof(atl_pending_t));
    }
    list = atl_state_decode(r->pool, plain, len);
    atl_state_prune(list, atl_now(), ATL_STATE_MAX_AGE, ATL_STATE_MAX_PENDING);
    return list;
}

/* Store the pending logins, dropping the oldest until the sealed value
 * fits in budget bytes. */
apr_status_t atl_store_pending(request_rec *r, session_rec *z, const atl_srv_conf *c,
                               apr_array_header_t *list, apr_size_t budget)
{
    const char *plain, *sealed = NULL;
    apr_size_t len;
    apr_status_t rv;

    while (list->nelts > 0) {
        if ((rv = atl_state_encode(&plain, &len, r->pool, list)) != APR_SUCCESS
            || (rv = atl_seal(&sealed, r->pool, c->keys, c->purpose_pending, plain, len))
                   != APR_SUCCESS) {
            return rv;
        }
        if (strlen(sealed) <= budget) {
            break;
        }
        sealed = NULL;
        if (list->nelts == 1
            && strcmp(APR_ARRAY_IDX(list, 0, atl_pending_t).return_url, "/")) {
            /* The newest login must survive: it comes back to "/" rather
             * than to a URL too long for the cookie. */
            APR_ARRAY_IDX(list, 0, atl_pending_t).return_url = "/";
            continue;
        }
        atl_state_remove(list, 0);
    }
    return atl_store(r, z, ATL_SESSION_PENDING, sealed);
}

apr_status_t atl_store_post(request_rec *r, session_rec *z, const atl_srv_conf *c,
                            const char *plain, apr_size_t len, apr_size_t budget)
{
    const char *sealed = NULL;
    apr_status_t rv;

    if (plain) {
        rv = atl_seal(&sealed, r->pool, c->keys, atl_purpose(r->pool, c, "post"), plain,
                      len);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (strlen(sealed) > budget) {
            return APR_ENOSPC;
        }
    }
    else if (!atl_session_value(r, z, ATL_SESSION_POST)) {
        return APR_SUCCESS; /* nothing to remove: the session stays as it is */
    }
    return atl_store(r, z, ATL_SESSION_POST, sealed);
}

const char *atl_load_post(apr_size_t *len, request_rec *r, session_rec *z,
                          const atl_srv_conf *c)
{
    const char *sealed = atl_session_value(r, z, ATL_SESSION_POST);
    const char *plain;

    if (!sealed) {
        return NULL;
    }
    if (atl_unseal(&plain, len, r->pool, c->keys, atl_purpose(r->pool, c, "post"), sealed)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00450: the session's kept form POST does not unseal: "
                      "dropped");
        return NULL;
    }
    return plain;
}

/* Profile values dropped, in this order, while a login does not fit in a
 * session cookie (a user can make their own profile fields long). What
 * REMOTE_USER and the Require types use comes last or never. */
static const atl_field_e atl_droppable[] = {
    ATL_F_PICTURE,  ATL_F_JOB_TITLE, ATL_F_DEPARTMENT, ATL_F_ORGANIZATION,
    ATL_F_LOCATION, ATL_F_ZONEINFO,  ATL_F_LOCALE,     ATL_F_ACCOUNT_TYPE,
};

/* Seal the login, within the cookie budget when that can be had. */
apr_status_t atl_seal_login(const char **sealed, request_rec *r, const atl_srv_conf *c,
                            atl_identity_t *id)
{
    const char *plain;
    apr_size_t len, i;
    int site;
    apr_status_t rv;

    for (i = 0;; i++) {
        if ((rv = atl_identity_encode(&plain, &len, r->pool, id)) != APR_SUCCESS
            || (rv = atl_seal(sealed, r->pool, c->keys, c->purpose_login, plain, len))
                   != APR_SUCCESS) {
            return rv;
        }
        if (strlen(*sealed) <= ATL_BUDGET_TOTAL) {
            return APR_SUCCESS;
        }
        if (i < sizeof(atl_droppable) / sizeof(atl_droppable[0])) {
            id->f[atl_droppable[i]] = NULL;
        }
        else if (id->sites && id->sites->nelts > 0) {
            /* Names go first; cloud ids and hosts still match. */
            for (site = 0; site < id->sites->nelts; site++) {
                if (APR_ARRAY_IDX(id->sites, site, atl_site_t).name) {
                    break;
                }
            }
            if (site < id->sites->nelts) {
                for (site = 0; site < id->sites->nelts; site++) {
                    APR_ARRAY_IDX(id->sites, site, atl_site_t).name = NULL;
                }
            }
            else {
                apr_array_pop(id->sites);
            }
            atl_identity_join_sites(id, r->pool);
        }
        else {
            /* Only the identity and the tokens are left. */
            return APR_SUCCESS;
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00051: the login does not fit in a session cookie: "
                      "a profile value was left out");
    }
}

apr_status_t atl_save_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                            atl_identity_t *id)
{
    const char *sealed;
    apr_status_t rv = atl_seal_login(&sealed, r, c, id);

    return rv == APR_SUCCESS ? atl_store_login(r, z, sealed) : rv;
}
