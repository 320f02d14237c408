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

#include <apr_hash.h>
#include <apr_strings.h>

#include "atl_logincache.h"
#include "atl_seal.h"
#include "atl_state.h"
#include "mod_atl_refresh.h"
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

int atl_session_init(void)
{
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

/* The first request of a chain of subrequests and internal redirects. */
request_rec *atl_initial(request_rec *r)
{
    for (;;) {
        if (r->main) {
            r = r->main;
        }
        else if (r->prev) {
            r = r->prev;
        }
        else {
            return r;
        }
    }
}

atl_req_t *atl_req(request_rec *r)
{
    atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

    if (!rq) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &auth_atlassian_module, rq);
    }
    return rq;
}

void atl_set_req(request_rec *r, atl_identity_t *id)
{
    atl_req(r)->id = id;
}

/* The identity of this request, or of the request it derives from. */
atl_identity_t *atl_get_identity(request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

        if (rq && rq->id) {
            return rq->id;
        }
    }
    return NULL;
}

session_rec *atl_load_session(request_rec *r)
{
    atl_req_t *chain = atl_req(atl_initial(r));
    session_rec *z = NULL;

    if (chain->z) {
        return chain->z;
    }
    if (atl_session_load(r, &z) != APR_SUCCESS) {
        return NULL;
    }
    chain->z = z;
    return z;
}

/* Whether a cookie value carries the module's values, the way
 * mod_session_cookie writes them: "atl=...&...". */
static int atl_cookie_is_ours(const char *v, apr_size_t len)
{
    static const char *const keys[] = {ATL_SESSION_LOGIN "=", ATL_SESSION_PENDING "="};
    apr_size_t i, k;

    for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        apr_size_t n = strlen(keys[k]);

        for (i = 0; i + n <= len; i++) {
            if ((i == 0 || v[i - 1] == '&') && !memcmp(v + i, keys[k], n)) {
                return 1;
            }
        }
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    apr_hash_t *count; /* name -> (apr_uintptr_t) times seen */
    apr_hash_t *ours;  /* names of which a value carries the module's */
} atl_cookie_scan_t;

static int atl_cookie_scan(void *ctx, const char *key, const char *header)
{
    atl_cookie_scan_t *scan = ctx;
    const char *s = header;

    while (*s) {
        const char *name, *end, *eq, *val;
        apr_size_t nlen;

        while (*s == ' ' || *s == ';' || *s == '\t' || *s == ',') {
            s++;
        }
        name = s;
        end = s + strcspn(s, ";,");
        eq = memchr(name, '=', end - name);
        s = end;
        if (!eq || eq == name) {
            continue;
        }
        nlen = eq - name;
        while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t')) {
            nlen--;
        }
        val = eq + 1;
        apr_hash_set(scan->count, apr_pstrmemdup(scan->p, name, nlen), nlen,
                     (void *)((apr_uintptr_t)apr_hash_get(scan->count, name, nlen) + 1));
        if (atl_cookie_is_ours(val, end - val)) {
            apr_hash_set(scan->ours, apr_pstrmemdup(scan->p, name, nlen), nlen, "1");
        }
    }
    return 1;
}

const char *atl_session_cookie_tossed(request_rec *r)
{
    atl_cookie_scan_t scan;
    apr_hash_index_t *hi;

    scan.p = r->pool;
    scan.count = apr_hash_make(r->pool);
    scan.ours = apr_hash_make(r->pool);
    apr_table_do(atl_cookie_scan, &scan, r->headers_in, "Cookie", NULL);
    for (hi = apr_hash_first(r->pool, scan.ours); hi; hi = apr_hash_next(hi)) {
        const void *name;
        apr_ssize_t nlen;

        apr_hash_this(hi, &name, &nlen, NULL);
        if ((apr_uintptr_t)apr_hash_get(scan.count, name, nlen) > 1) {
            return name;
        }
    }
    return NULL;
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
    atl_req(r)->changed = z;
    return atl_session_set(r, z, key, value);
}

apr_status_t atl_store_login(request_rec *r, session_rec *z, const char *sealed)
{
    atl_req_t *chain = atl_req(atl_initial(r));

    chain->login = NULL;
    chain->login_read = 0;
    return atl_store(r, z, ATL_SESSION_LOGIN, sealed);
}

/* Save a session the module changed, now, before the answer leaves
 * check_authn. mod_session's output filter would save it too, except with
 * "SessionCookieRemove On": httpd then reloads the session from a request
 * whose cookie it already removed, finds a blank one, and the module's
 * values would be lost. The filter skips a session that was written. */
int atl_commit(request_rec *r, int status)
{
    atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

    if (rq && rq->changed) {
        if (atl_session_save(r, rq->changed) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "ATL00014: the session could not be saved (see "
                          "mod_session's message above)");
        }
        rq->changed = NULL;
    }
    return status;
}

/* The login stored in the session, or NULL (not logged in, expired, or a
 * value this module did not write). */
/* The login the session holds, unsealed and decoded once per chain of
 * requests (NULL: none, or not readable). */
static atl_identity_t *atl_read_login(request_rec *r, session_rec *z,
                                      const atl_srv_conf *c)
{
    atl_req_t *chain = atl_req(atl_initial(r));
    const char *sealed, *plain;
    apr_size_t len;
    atl_identity_t *id = NULL;

    if (chain->login_read && chain->z == z) {
        return chain->login;
    }
    sealed = atl_session_value(r, z, ATL_SESSION_LOGIN);
    if (!sealed) {
        /* nothing to read */
    }
    else if ((id = atl_logincache_get(atl_logins, r->pool, c->keys, c->purpose_login,
                                      sealed))
             != NULL) {
        /* This very value unsealed and decoded before: the same login.
         * What depends on the time is checked by the caller. */
    }
    else if (atl_unseal(&plain, &len, r->pool, c->keys, c->purpose_login, sealed)
             != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00010: the session's login value does not unseal "
                      "(edited, sealed with another AtlassianSessionSecret or for "
                      "another AtlassianClientID): treated as not logged in");
    }
    else if (atl_identity_decode(&id, r->pool, plain, len) != APR_SUCCESS
             || !id->f[ATL_F_ACCOUNT_ID]) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00011: the session's login value is not readable: "
                      "treated as not logged in");
        id = NULL;
    }
    else {
        atl_logincache_put(atl_logins, c->keys, c->purpose_login, sealed, id);
    }
    if (chain->z == z) {
        chain->login = id;
        chain->login_read = 1;
    }
    return id;
}

atl_identity_t *atl_load_identity(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  const atl_dir_conf *d)
{
    atl_identity_t *id = atl_read_login(r, z, c);
    apr_int64_t lifetime = d->lifetime > 0 ? d->lifetime : ATL_DEFAULT_LIFETIME;
    apr_int64_t now = atl_now();

    if (id && (id->login_time > now + 60 || now - id->login_time >= lifetime)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00012: the login is older than AtlassianSessionLifetime "
                      "(%" APR_INT64_T_FMT " s): a new login is needed",
                      lifetime);
        return NULL;
    }
    /* AtlassianRefresh: fresh tokens, or none that has expired. */
    return id ? atl_refresh_login(r, z, c, id) : NULL;
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
