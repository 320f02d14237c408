/*
 * mod_auth_atlassian: "Sign in with Atlassian" (OAuth 2.0 authorization code
 * grant, 3LO) for Apache httpd 2.4.
 *
 * This file is the httpd glue only: configuration, directives, hooks that
 * turn a request into calls of the core (src/) and an HTTP status. The core
 * knows nothing of request_rec.
 */

/* First: with offsetof defined, APR_OFFSETOF (and so APR_BRIGADE_SENTINEL)
 * uses it instead of a member access through a null pointer, which is
 * undefined behaviour that UBSan reports. */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"
#include "mod_auth.h"
#include "mod_session.h"
#include "ap_provider.h"
#include "ap_socache.h"

#include <apr_strings.h>
#include <apr_escape.h>
#include <apr_uri.h>
#include <apr_lib.h>

#include <arpa/inet.h>

#include "atl_authorize.h"
#include "atl_http.h"
#include "atl_identity.h"
#include "atl_json.h"
#include "atl_oauth.h"
#include "atl_redirect.h"
#include "atl_seal.h"
#include "atl_secret.h"
#include "atl_state.h"

module AP_MODULE_DECLARE_DATA auth_atlassian_module;

#define ATL_AUTH_TYPE "Atlassian"

/* Keys of the module's values in the mod_session session. */
#define ATL_SESSION_LOGIN   "atlassian-login"
#define ATL_SESSION_PENDING "atlassian-pending"

/* Purposes bound to sealed values, so that one can't stand for the other. */
#define ATL_PURPOSE_LOGIN   "login"
#define ATL_PURPOSE_PENDING "pending"

/* Request notes. */
#define ATL_NOTE_FORBID  "atlassian-forbid"   /* refused logged-in user */
#define ATL_NOTE_INFO    "atlassian-info"     /* ?info=json document */
#define ATL_NOTE_HANDLED "atlassian-callback" /* the callback was seen */
#define ATL_NOTE_SET     "atlassian-identity" /* our headers are set */
#define ATL_INFO_HANDLER "atlassian-info"

/* What atl_callback answers for an ?info=json of a logged-in user: not an
 * HTTP status, but "log the user in, the handler writes the document". */
#define ATL_INFO_READY (-100)

/* Limits on what the callback accepts from the browser. */
#define ATL_MAX_CODE  2048
#define ATL_MAX_ERROR 256
#define ATL_MAX_QUERY 8192

/* Budget for the module's sealed values, so a session cookie (with its
 * name, attributes and the url-encoding of mod_session) stays under 4 KB. */
#define ATL_BUDGET_TOTAL   3400
#define ATL_BUDGET_PENDING 1800

#define ATL_DEFAULT_SCOPE     "read:me"
#define ATL_DEFAULT_PARAMS    "prompt=consent"
#define ATL_DEFAULT_AUTHORIZE "https://auth.atlassian.com/authorize"
#define ATL_DEFAULT_TOKEN     "https://auth.atlassian.com/oauth/token"
#define ATL_DEFAULT_PROFILE   "https://api.atlassian.com/me"
#define ATL_DEFAULT_RESOURCES "https://api.atlassian.com/oauth/token/accessible-resources"
#define ATL_DEFAULT_TIMEOUT   10
#define ATL_DEFAULT_LIFETIME  28800
#define ATL_MAX_ANSWER        (256 * 1024)

typedef enum {
    ATL_PASS_ENV = 1,
    ATL_PASS_HEADERS = 2,
    ATL_PASS_BOTH = 3,
    ATL_PASS_NONE = 0
} atl_pass_e;
typedef enum { ATL_UNAUTH_AUTH, ATL_UNAUTH_401, ATL_UNAUTH_PASS } atl_unauth_e;

typedef struct {
    const char *client_id;
    const char *client_secret;
    const char *redirect_uri;  /* as configured */
    const char *redirect_path; /* its path, matched against r->uri */
    int redirect_absolute;     /* 0: resolved against the request */
    atl_seal_keys_t *keys;
    const char *scope;
    apr_array_header_t *params; /* of atl_param_t */
    const char *authorize_url;
    const char *token_url;
    const char *profile_url;
    const char *resources_url;
    const char *ca_file;
    int timeout; /* seconds, 0: unset */
    const char *cache;
    apr_array_header_t *logout_allowed; /* of const char * */
} atl_srv_conf;

typedef struct {
    int remote_user; /* atl_field_e, -1: unset */
    int pass_as;     /* atl_pass_e, -1: unset */
    int pass_token;  /* -1: unset */
    int fetch_sites;
    int refresh;
    int require_sites;    /* a Require atlassian-site is here */
    int unauth;           /* atl_unauth_e, -1: unset */
    apr_int64_t lifetime; /* -1: unset */
} atl_dir_conf;

/* What a request learnt about its login, shared with the authz providers
 * and subrequests through the request config. */
typedef struct {
    atl_identity_t *id;   /* NULL: anonymous */
    session_rec *changed; /* the session, once the module set a value */
} atl_req_t;

static APR_OPTIONAL_FN_TYPE(ap_session_load) * atl_session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) * atl_session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) * atl_session_set;
static APR_OPTIONAL_FN_TYPE(ap_session_save) * atl_session_save;

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

static void *atl_create_srv(apr_pool_t *p, server_rec *s)
{
    return apr_pcalloc(p, sizeof(atl_srv_conf));
}

#define ATL_MERGE(f) (add->f ? add->f : base->f)

static void *atl_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    atl_srv_conf *base = basev, *add = addv;
    atl_srv_conf *c = apr_pcalloc(p, sizeof(*c));

    c->client_id = ATL_MERGE(client_id);
    c->client_secret = ATL_MERGE(client_secret);
    c->redirect_uri = ATL_MERGE(redirect_uri);
    c->redirect_path = add->redirect_uri ? add->redirect_path : base->redirect_path;
    c->redirect_absolute =
        add->redirect_uri ? add->redirect_absolute : base->redirect_absolute;
    c->keys = ATL_MERGE(keys);
    c->scope = ATL_MERGE(scope);
    c->params = ATL_MERGE(params);
    c->authorize_url = ATL_MERGE(authorize_url);
    c->token_url = ATL_MERGE(token_url);
    c->profile_url = ATL_MERGE(profile_url);
    c->resources_url = ATL_MERGE(resources_url);
    c->ca_file = ATL_MERGE(ca_file);
    c->timeout = ATL_MERGE(timeout);
    c->cache = ATL_MERGE(cache);
    c->logout_allowed = ATL_MERGE(logout_allowed);
    return c;
}

static void *atl_create_dir(apr_pool_t *p, char *dir)
{
    atl_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    d->remote_user = -1;
    d->pass_as = -1;
    d->pass_token = -1;
    d->fetch_sites = -1;
    d->refresh = -1;
    d->require_sites = -1;
    d->unauth = -1;
    d->lifetime = -1;
    return d;
}

#define ATL_MERGE_SET(f) (add->f != -1 ? add->f : base->f)

static void *atl_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    atl_dir_conf *base = basev, *add = addv;
    atl_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    d->remote_user = ATL_MERGE_SET(remote_user);
    d->pass_as = ATL_MERGE_SET(pass_as);
    d->pass_token = ATL_MERGE_SET(pass_token);
    d->fetch_sites = ATL_MERGE_SET(fetch_sites);
    d->refresh = ATL_MERGE_SET(refresh);
    d->require_sites = ATL_MERGE_SET(require_sites);
    d->unauth = ATL_MERGE_SET(unauth);
    d->lifetime = ATL_MERGE_SET(lifetime);
    return d;
}

static atl_srv_conf *atl_srv(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &auth_atlassian_module);
}

static atl_dir_conf *atl_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &auth_atlassian_module);
}

/* The values every directive-less setting falls back to. */
static const char *atl_or(const char *v, const char *dflt)
{
    return v ? v : dflt;
}

/* localhost, ::1 or an IPv4 address in 127.0.0.0/8 (a host name that
 * merely starts with "127." is not one). */
static int atl_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!host) {
        return 0;
    }
    if (!strcasecmp(host, "localhost")) {
        return 1;
    }
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    return inet_pton(AF_INET6, host, &a6) == 1
           && !memcmp(&a6, &in6addr_loopback, sizeof(a6));
}

/* An absolute https:// URL (http:// only to a loopback host), without
 * fragment or user info. Returns an error string or NULL. */
static const char *atl_check_url(cmd_parms *cmd, const char *url, apr_uri_t *u)
{
    if (apr_uri_parse(cmd->temp_pool, url, u) != APR_SUCCESS || !u->scheme || !u->hostname
        || !*u->hostname) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an absolute URL", cmd->cmd->name,
                            url);
    }
    if (u->user || u->password || u->fragment) {
        return apr_psprintf(cmd->pool,
                            "%s: the URL must have no user info "
                            "and no fragment",
                            cmd->cmd->name);
    }
    if (!strcasecmp(u->scheme, "https")) {
        return NULL;
    }
    if (!strcasecmp(u->scheme, "http") && atl_is_loopback(u->hostname)) {
        return NULL;
    }
    return apr_psprintf(cmd->pool,
                        "%s: '%s' must start with https:// "
                        "(http:// is allowed for a loopback host only)",
                        cmd->cmd->name, url);
}

static const char *atl_set_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_uri_t u;
    const char *err = atl_check_url(cmd, arg, &u);
    int which = (int)(apr_uintptr_t)cmd->info;

    if (err) {
        return err;
    }
    switch (which) {
    case 0: c->authorize_url = arg; break;
    case 1: c->token_url = arg; break;
    case 2: c->profile_url = arg; break;
    default: c->resources_url = arg; break;
    }
    return NULL;
}

static const char *atl_set_client_id(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (!*arg) {
        return "AtlassianClientID must not be empty";
    }
    atl_srv(cmd->server)->client_id = arg;
    return NULL;
}

static const char *atl_set_client_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *value, *errmsg;
    apr_size_t len;

    if (atl_secret_resolve(&value, &len, &errmsg, cmd->pool, arg) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "AtlassianClientSecret: %s", errmsg);
    }
    if (!len) {
        return "AtlassianClientSecret must not be empty";
    }
    atl_srv(cmd->server)->client_secret = value;
    return NULL;
}

static const char *atl_set_redirect_uri(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_uri_t u;
    const char *err;

    if (arg[0] == '/') {
        if (arg[1] == '/' || ap_strchr_c(arg, '?') || ap_strchr_c(arg, '#')) {
            return "AtlassianRedirectURI: a local path must be a plain path "
                   "such as /protected/oauth2callback";
        }
        c->redirect_path = arg;
        c->redirect_absolute = 0;
    }
    else {
        if ((err = atl_check_url(cmd, arg, &u)) != NULL) {
            return err;
        }
        if (u.query || !u.path || u.path[0] != '/') {
            return "AtlassianRedirectURI: the URL needs a path and no query";
        }
        c->redirect_path = u.path;
        c->redirect_absolute = 1;
    }
    /* r->uri is decoded, so compare with the decoded path. */
    c->redirect_path = apr_pstrdup(cmd->pool, c->redirect_path);
    if (ap_unescape_url((char *)c->redirect_path) != OK) {
        return "AtlassianRedirectURI: the path has an invalid %-escape";
    }
    c->redirect_uri = arg;
    return NULL;
}

static const char *atl_set_session_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_array_header_t *secrets;
    const char *word, *value, *errmsg;
    apr_size_t len;

    if (c->keys) {
        return "AtlassianSessionSecret given twice: list every secret on one line "
               "(the first seals, all unseal)";
    }
    secrets = apr_array_make(cmd->temp_pool, 2, sizeof(const char *));
    while (*(word = ap_getword_conf(cmd->temp_pool, &arg))) {
        if (atl_secret_resolve(&value, &len, &errmsg, cmd->temp_pool, word)
            != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "AtlassianSessionSecret: %s", errmsg);
        }
        if (strlen(value) != len) {
            return "AtlassianSessionSecret: the secret contains a NUL byte";
        }
        APR_ARRAY_PUSH(secrets, const char *) = value;
    }
    /* The keys are derived here, once, at startup: requests never do it. */
    if (atl_seal_keys_make(&c->keys, &errmsg, cmd->pool, secrets) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "AtlassianSessionSecret: %s", errmsg);
    }
    return NULL;
}

static const char *atl_set_scope(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (atl_identity_has_control(arg, strlen(arg))) {
        return "AtlassianScope: control characters are not allowed";
    }
    if (!*arg) {
        return "AtlassianScope must not be empty";
    }
    atl_srv(cmd->server)->scope = arg;
    return NULL;
}

static const char *atl_set_params(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *errmsg;

    if (atl_authorize_parse_params(&atl_srv(cmd->server)->params, &errmsg, cmd->pool, arg)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "AtlassianAuthorizeParams: %s", errmsg);
    }
    return NULL;
}

static const char *atl_set_ca_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_finfo_t fi;
    const char *path = ap_server_root_relative(cmd->pool, arg);

    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "AtlassianCAFile: '%s' is not a readable file",
                            arg);
    }
    atl_srv(cmd->server)->ca_file = path;
    return NULL;
}

static const char *atl_parse_seconds(cmd_parms *cmd, const char *arg, apr_int64_t min,
                                     apr_int64_t max, apr_int64_t *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (!*arg || *end || errno == ERANGE || v < min || v > max) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number of seconds "
                            "between %" APR_INT64_T_FMT " and %" APR_INT64_T_FMT,
                            cmd->cmd->name, arg, min, max);
    }
    *out = v;
    return NULL;
}

static const char *atl_set_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_int64_t v;
    const char *err = atl_parse_seconds(cmd, arg, 1, 300, &v);

    if (!err) {
        atl_srv(cmd->server)->timeout = (int)v;
    }
    return err;
}

static const char *atl_set_cache(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *s;

    for (s = arg; *s && *s != ':'; s++) {
        if (!apr_isalnum(*s) && *s != '_') {
            return "AtlassianCache: expected provider[:args], e.g. shmcb or "
                   "memcache:host:port";
        }
    }
    if (s == arg) {
        return "AtlassianCache: the provider name is missing";
    }
    atl_srv(cmd->server)->cache = arg;
    return NULL;
}

static const char *atl_add_logout_allowed(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_uri_t u;

    /* A prefix is where browsers go, not where the module connects: any
     * http:// or https:// host will do, but it must name one. */
    if (apr_uri_parse(cmd->temp_pool, arg, &u) != APR_SUCCESS || !u.scheme
        || (strcasecmp(u.scheme, "https") && strcasecmp(u.scheme, "http")) || !u.hostname
        || !*u.hostname || u.user || u.password || u.fragment) {
        return apr_psprintf(cmd->pool,
                            "AtlassianLogoutRedirectAllowed: '%s' is not "
                            "an absolute http:// or https:// URL prefix with a host",
                            arg);
    }
    if (!c->logout_allowed) {
        c->logout_allowed = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->logout_allowed, const char *) = arg;
    return NULL;
}

static const char *atl_set_remote_user(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;

    if (!strcasecmp(arg, "account_id")) {
        d->remote_user = ATL_F_ACCOUNT_ID;
    }
    else if (!strcasecmp(arg, "email")) {
        d->remote_user = ATL_F_EMAIL;
    }
    else if (!strcasecmp(arg, "nickname")) {
        d->remote_user = ATL_F_NICKNAME;
    }
    else if (!strcasecmp(arg, "name")) {
        d->remote_user = ATL_F_NAME;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "AtlassianRemoteUser: unknown field '%s' "
                            "(use account_id, email, nickname or name)",
                            arg);
    }
    return NULL;
}

static const char *atl_set_pass_as(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;

    if (!strcasecmp(arg, "env")) {
        d->pass_as = ATL_PASS_ENV;
    }
    else if (!strcasecmp(arg, "headers")) {
        d->pass_as = ATL_PASS_HEADERS;
    }
    else if (!strcasecmp(arg, "both")) {
        d->pass_as = ATL_PASS_BOTH;
    }
    else if (!strcasecmp(arg, "none")) {
        d->pass_as = ATL_PASS_NONE;
    }
    else {
        return "AtlassianPassIdentityAs: use env, headers, both or none";
    }
    return NULL;
}

static const char *atl_set_unauth(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;

    if (!strcasecmp(arg, "auth")) {
        d->unauth = ATL_UNAUTH_AUTH;
    }
    else if (!strcmp(arg, "401")) {
        d->unauth = ATL_UNAUTH_401;
    }
    else if (!strcasecmp(arg, "pass")) {
        d->unauth = ATL_UNAUTH_PASS;
    }
    else {
        return "AtlassianUnauthAction: use auth, 401 or pass";
    }
    return NULL;
}

static const char *atl_set_lifetime(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;

    return atl_parse_seconds(cmd, arg, 1, APR_INT64_C(31536000), &d->lifetime);
}

static const char *atl_set_dir_flag(cmd_parms *cmd, void *dconf, int on)
{
    atl_dir_conf *d = dconf;
    int *field = (int *)((char *)d + (apr_size_t)(apr_uintptr_t)cmd->info);

    *field = on ? 1 : 0;
    return NULL;
}

#define ATL_SRV(name, fn, info, how, help)                                               \
    AP_INIT_##how(name, fn, (void *)(info), RSRC_CONF, help)
#define ATL_DIR(name, fn, info, how, help)                                               \
    AP_INIT_##how(name, fn, (void *)(info), RSRC_CONF | OR_AUTHCFG, help)

static const command_rec atl_cmds[] = {
    ATL_SRV("AtlassianClientID", atl_set_client_id, NULL, TAKE1,
            "OAuth client id from the Atlassian developer console"),
    ATL_SRV("AtlassianClientSecret", atl_set_client_secret, NULL, TAKE1,
            "OAuth client secret (or file:/path, env:NAME)"),
    ATL_SRV("AtlassianRedirectURI", atl_set_redirect_uri, NULL, TAKE1,
            "The callback URL (absolute, or a local path)"),
    ATL_SRV("AtlassianSessionSecret", atl_set_session_secret, NULL, RAW_ARGS,
            "Key material for sealing session values (file:/path, env:NAME); "
            "the first seals, all unseal"),
    ATL_SRV("AtlassianScope", atl_set_scope, NULL, TAKE1,
            "Space-separated scopes (default read:me)"),
    ATL_SRV("AtlassianAuthorizeParams", atl_set_params, NULL, TAKE1,
            "Extra /authorize parameters k=v&k=v (default prompt=consent)"),
    ATL_SRV("AtlassianAuthorizeURL", atl_set_url, 0, TAKE1, "The authorize URL"),
    ATL_SRV("AtlassianTokenURL", atl_set_url, 1, TAKE1, "The token URL"),
    ATL_SRV("AtlassianProfileURL", atl_set_url, 2, TAKE1, "The profile (/me) URL"),
    ATL_SRV("AtlassianResourcesURL", atl_set_url, 3, TAKE1,
            "The accessible-resources URL"),
    ATL_SRV("AtlassianCAFile", atl_set_ca_file, NULL, TAKE1,
            "CA bundle for outbound TLS (default: the system store)"),
    ATL_SRV("AtlassianTimeout", atl_set_timeout, NULL, TAKE1,
            "Seconds for one outbound call (default 10)"),
    ATL_SRV("AtlassianCache", atl_set_cache, NULL, TAKE1,
            "mod_socache provider[:args] for shared state (default shmcb)"),
    ATL_SRV("AtlassianLogoutRedirectAllowed", atl_add_logout_allowed, NULL, ITERATE,
            "Absolute URL prefixes that ?logout= may redirect to"),
    ATL_DIR("AtlassianRemoteUser", atl_set_remote_user, NULL, TAKE1,
            "account_id, email, nickname or name (default account_id)"),
    ATL_DIR("AtlassianPassIdentityAs", atl_set_pass_as, NULL, TAKE1,
            "env, headers, both or none (default both)"),
    ATL_DIR("AtlassianPassAccessToken", atl_set_dir_flag,
            APR_OFFSETOF(atl_dir_conf, pass_token), FLAG,
            "Also pass the access token (default Off)"),
    ATL_DIR("AtlassianFetchSites", atl_set_dir_flag,
            APR_OFFSETOF(atl_dir_conf, fetch_sites), FLAG,
            "Fetch accessible-resources at login (default Off)"),
    ATL_DIR("AtlassianRefresh", atl_set_dir_flag, APR_OFFSETOF(atl_dir_conf, refresh),
            FLAG, "Keep the refresh token of the login (default Off)"),
    ATL_DIR("AtlassianSessionLifetime", atl_set_lifetime, NULL, TAKE1,
            "Seconds a login lasts (default 28800)"),
    ATL_DIR("AtlassianUnauthAction", atl_set_unauth, NULL, TAKE1,
            "auth, 401 or pass (default auth)"),
    {NULL}};

/* ------------------------------------------------------------------ */
/* Startup                                                            */
/* ------------------------------------------------------------------ */

/* Refuse to start (and fail "apachectl -t") when the configuration is
 * incomplete. A server with none of the required directives leaves the
 * module idle. */
static int atl_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        atl_srv_conf *c = atl_srv(vs);
        const char *missing = NULL, *errmsg;

        /* The shared cache's provider must be loaded (mod_socache_*). */
        if (c->cache) {
            const char *colon = ap_strchr_c(c->cache, ':');
            const char *name =
                colon ? apr_pstrmemdup(ptemp, c->cache, colon - c->cache) : c->cache;

            if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                    AP_SOCACHE_PROVIDER_VERSION)) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                             "ATL00004: AtlassianCache: the socache provider '%s' "
                             "is not loaded (LoadModule socache_%s_module)",
                             name, name);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        /* The default extra parameters, parsed once here. */
        if (!c->params
            && atl_authorize_parse_params(&c->params, &errmsg, pconf, ATL_DEFAULT_PARAMS)
                   != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!c->client_id && !c->client_secret && !c->redirect_uri && !c->keys) {
            continue;
        }
        if (!c->client_id) {
            missing = "AtlassianClientID";
        }
        else if (!c->client_secret) {
            missing = "AtlassianClientSecret";
        }
        else if (!c->redirect_uri) {
            missing = "AtlassianRedirectURI";
        }
        else if (!c->keys) {
            missing = "AtlassianSessionSecret";
        }
        if (missing) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                         "ATL00001: %s is required (server %s:%u, %s:%d)", missing,
                         vs->server_hostname ? vs->server_hostname : "*", vs->port,
                         vs->defn_name ? vs->defn_name : "main config",
                         vs->defn_line_number);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_session_load)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     "ATL00002: mod_session is not loaded: add LoadModule lines "
                     "for session_module and session_cookie_module (or "
                     "session_dbd_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int atl_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s)
{
    atl_session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    atl_session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    atl_session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    atl_session_save = APR_RETRIEVE_OPTIONAL_FN(ap_session_save);
    if (!atl_session_load || !atl_session_get || !atl_session_set || !atl_session_save) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ATL00005: mod_session does not offer ap_session_load, "
                     "ap_session_get, ap_session_set and ap_session_save: is it "
                     "the mod_session of httpd 2.4?");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (atl_http_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "ATL00003: libcurl could not be initialised");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* Small helpers for requests                                         */
/* ------------------------------------------------------------------ */

static int atl_is_ours(request_rec *r)
{
    const char *type = ap_auth_type(r);

    return type && !strcasecmp(type, ATL_AUTH_TYPE);
}

static const char *atl_status_title(int status)
{
    switch (status) {
    case HTTP_BAD_REQUEST: return "The sign-in request is not valid";
    case HTTP_FORBIDDEN: return "Access refused";
    case HTTP_BAD_GATEWAY: return "Atlassian could not complete the sign-in";
    case HTTP_GATEWAY_TIME_OUT: return "Atlassian did not answer in time";
    case HTTP_METHOD_NOT_ALLOWED: return "Method not allowed";
    default: return "The sign-in is not configured correctly";
    }
}

/* Answer status with a small fixed HTML page. The page never contains
 * request input; "text" is one of the module's own sentences. */
static int atl_error_page(request_rec *r, int status, const char *text)
{
    const char *title = atl_status_title(status);

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_custom_response(r, status,
                       apr_pstrcat(r->pool, "<!DOCTYPE html>\n<html><head><title>", title,
                                   "</title></head>\n<body><h1>", title, "</h1>\n<p>",
                                   text,
                                   "</p>\n<p><a href=\"/\">Home</a></p>\n"
                                   "</body></html>\n",
                                   NULL));
    return status;
}

static int atl_redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Location", location);
    return HTTP_MOVED_TEMPORARILY;
}

static int atl_unauthorized(request_rec *r)
{
    const char *realm = ap_auth_name(r);

    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_pstrcat(r->pool, "Atlassian realm=\"",
                               ap_escape_quotes(r->pool, realm ? realm : ""), "\"",
                               NULL));
    return HTTP_UNAUTHORIZED;
}

static apr_int64_t atl_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

/* Whether key begins with words, each followed by '-' or '_', case
 * ignored: {"x", "atlassian"} matches "X-Atlassian-Email" and
 * "x_atlassian_email". */
static int atl_key_prefixed(const char *key, const char *const *words)
{
    for (; *words; words++) {
        apr_size_t n = strlen(*words);

        if (strncasecmp(key, *words, n) || (key[n] != '-' && key[n] != '_')) {
            return 0;
        }
        key += n + 1;
    }
    return 1;
}

static void atl_unset_prefixed(request_rec *r, apr_table_t *t, const char *const *words)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_array_header_t *doomed = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && atl_key_prefixed(e[i].key, words)) {
            if (!doomed) {
                doomed = apr_array_make(r->pool, 4, sizeof(const char *));
            }
            APR_ARRAY_PUSH(doomed, const char *) = e[i].key;
        }
    }
    for (i = 0; doomed && i < doomed->nelts; i++) {
        apr_table_unset(t, APR_ARRAY_IDX(doomed, i, const char *));
    }
}

/* Remove every incoming X-Atlassian-* header, whatever its case and
 * whether it is spelt with '-' or '_', so a client can never pose as
 * someone. A subrequest (an SSI include, say) also inherits the
 * environment of its parent, where httpd may already have turned the
 * client's headers into HTTP_X_ATLASSIAN_* variables. */
static void atl_scrub_headers(request_rec *r)
{
    static const char *const header[] = {"x", "atlassian", NULL};
    static const char *const env[] = {"http", "x", "atlassian", NULL};

    atl_unset_prefixed(r, r->headers_in, header);
    atl_unset_prefixed(r, r->subprocess_env, env);
}

/* The first request of a chain of subrequests and internal redirects. */
static request_rec *atl_initial(request_rec *r)
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

static atl_req_t *atl_req(request_rec *r)
{
    atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

    if (!rq) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &auth_atlassian_module, rq);
    }
    return rq;
}

static void atl_set_req(request_rec *r, atl_identity_t *id)
{
    atl_req(r)->id = id;
}

/* The identity of this request, or of the request it derives from. */
static atl_identity_t *atl_get_identity(request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

        if (rq) {
            return rq->id;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Session access                                                     */
/* ------------------------------------------------------------------ */

static session_rec *atl_load_session(request_rec *r)
{
    session_rec *z = NULL;

    if (atl_session_load(r, &z) != APR_SUCCESS) {
        return NULL;
    }
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
    atl_req(r)->changed = z;
    return atl_session_set(r, z, key, value);
}

/* Save a session the module changed, now, before the answer leaves
 * check_authn. mod_session's output filter would save it too, except with
 * "SessionCookieRemove On": httpd then reloads the session from a request
 * whose cookie it already removed, finds a blank one, and the module's
 * values would be lost. The filter skips a session that was written. */
static int atl_commit(request_rec *r, int status)
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
static atl_identity_t *atl_load_identity(request_rec *r, session_rec *z,
                                         const atl_srv_conf *c, const atl_dir_conf *d)
{
    const char *sealed = atl_session_value(r, z, ATL_SESSION_LOGIN);
    const char *plain;
    apr_size_t len;
    atl_identity_t *id;
    apr_int64_t lifetime = d->lifetime > 0 ? d->lifetime : ATL_DEFAULT_LIFETIME;
    apr_int64_t now = atl_now();

    if (!sealed) {
        return NULL;
    }
    if (atl_unseal(&plain, &len, r->pool, c->keys, ATL_PURPOSE_LOGIN, sealed)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00010: the session's login value does not unseal "
                      "(edited, or sealed with another AtlassianSessionSecret): "
                      "treated as not logged in");
        return NULL;
    }
    if (atl_identity_decode(&id, r->pool, plain, len) != APR_SUCCESS
        || !id->f[ATL_F_ACCOUNT_ID]) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00011: the session's login value is not readable: "
                      "treated as not logged in");
        return NULL;
    }
    if (id->login_time > now + 60 || now - id->login_time >= lifetime) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "ATL00012: the login is older than AtlassianSessionLifetime "
                      "(%" APR_INT64_T_FMT " s): a new login is needed",
                      lifetime);
        return NULL;
    }
    return id;
}

/* ------------------------------------------------------------------ */
/* Passing the identity on                                            */
/* ------------------------------------------------------------------ */

static void atl_pass_identity(request_rec *r, const atl_identity_t *id,
                              const atl_dir_conf *d)
{
    int pass = d->pass_as == -1 ? ATL_PASS_BOTH : d->pass_as;
    int f;

    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *v = id->f[f];

        if (!v || (f == ATL_F_ACCESS_TOKEN && d->pass_token != 1)) {
            continue;
        }
        if (pass & ATL_PASS_ENV) {
            apr_table_setn(r->subprocess_env, atl_identity_var_name(f), v);
        }
        if (pass & ATL_PASS_HEADERS) {
            apr_table_setn(r->headers_in, atl_identity_header_name(f), v);
        }
    }
    /* The headers of a main request (and of its internal redirects, which
     * copy them) are now the module's own. A subrequest's are not marked:
     * its parent may be a page the module does not protect. */
    if (!r->main) {
        apr_table_setn(atl_initial(r)->notes, ATL_NOTE_SET, "1");
    }
}

/* ------------------------------------------------------------------ */
/* Starting a login                                                   */
/* ------------------------------------------------------------------ */

/* The redirect URI sent to Atlassian: absolute as configured, or the
 * local path resolved against this request's scheme and host. */
static const char *atl_redirect_uri(request_rec *r, const atl_srv_conf *c)
{
    if (c->redirect_absolute) {
        return c->redirect_uri;
    }
    return ap_construct_url(r->pool, c->redirect_uri, r);
}

/* Whether the request can follow a redirect to a login page. */
static int atl_is_browser(request_rec *r)
{
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");
    const char *accept = apr_table_get(r->headers_in, "Accept");

    if (r->method_number != M_GET) { /* HEAD is M_GET too */
        return 0;
    }
    if (xrw && !strcasecmp(xrw, "XMLHttpRequest")) {
        return 0;
    }
    if (accept && !ap_strcasestr(accept, "text/html")) {
        return 0;
    }
    return 1;
}

/* Read the pending logins of the session (an unreadable value is none). */
static apr_array_header_t *atl_load_pending(request_rec *r, session_rec *z,
                                            const atl_srv_conf *c)
{
    const char *sealed = atl_session_value(r, z, ATL_SESSION_PENDING);
    const char *plain;
    apr_size_t len;
    apr_array_header_t *list;

    if (!sealed
        || atl_unseal(&plain, &len, r->pool, c->keys, ATL_PURPOSE_PENDING, sealed)
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
static apr_status_t atl_store_pending(request_rec *r, session_rec *z,
                                      const atl_srv_conf *c, apr_array_header_t *list,
                                      apr_size_t budget)
{
    const char *plain, *sealed = NULL;
    apr_size_t len;
    apr_status_t rv;

    while (list->nelts > 0) {
        if ((rv = atl_state_encode(&plain, &len, r->pool, list)) != APR_SUCCESS
            || (rv = atl_seal(&sealed, r->pool, c->keys, ATL_PURPOSE_PENDING, plain, len))
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

static int atl_start_login(request_rec *r, session_rec *z, const atl_srv_conf *c,
                           const atl_dir_conf *d)
{
    apr_array_header_t *list = atl_load_pending(r, z, c);
    atl_pending_t *pending;
    const char *state, *url, *uri;

    if (atl_state_generate(&state, r->pool) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00020: no random bytes for a login state");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    /* The original URL, local path and query only: never another host. */
    uri = r->unparsed_uri && r->unparsed_uri[0] == '/'
              ? r->unparsed_uri
              : apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), r->args ? "?" : "",
                            r->args, NULL);
    pending = &APR_ARRAY_PUSH(list, atl_pending_t);
    pending->state = state;
    pending->return_url = atl_redirect_return_url(r->pool, uri, ATL_STATE_MAX_URL);
    pending->created = atl_now();
    pending->flags =
        (d->fetch_sites == 1 || d->require_sites == 1 ? ATL_PENDING_SITES : 0)
        | (d->pass_token == 1 ? ATL_PENDING_TOKEN : 0)
        | (d->refresh == 1 ? ATL_PENDING_REFRESH : 0);
    atl_state_prune(list, pending->created, ATL_STATE_MAX_AGE, ATL_STATE_MAX_PENDING);

    /* A login value that did not pass (expired, unreadable) goes: it only
     * takes room in the cookie. */
    atl_store(r, z, ATL_SESSION_LOGIN, NULL);
    if (atl_store_pending(r, z, c, list, ATL_BUDGET_PENDING) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00021: the pending login could not be stored in the "
                      "session");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    if (atl_authorize_url(&url, r->pool, atl_or(c->authorize_url, ATL_DEFAULT_AUTHORIZE),
                          c->client_id, atl_or(c->scope, ATL_DEFAULT_SCOPE),
                          atl_redirect_uri(r, c), state, c->params)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00022: the authorize URL could not be built");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not start the sign-in.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "ATL00023: no login: redirecting to Atlassian to sign in");
    return atl_redirect(r, url);
}

/* ------------------------------------------------------------------ */
/* The callback                                                       */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *code, *state, *error, *logout, *info;
    int bad;         /* a duplicated, empty or malformed value */
    const char *why; /* what was wrong, for the log */
} atl_callback_t;

/* Split the query string. Parameters the module does not know are
 * ignored; its own must appear at most once, be non-empty, be properly
 * escaped and carry no control character or NUL. */
static void atl_parse_callback(request_rec *r, atl_callback_t *cb)
{
    char *args, *pair, *last;

    memset(cb, 0, sizeof(*cb));
    if (!r->args) {
        return;
    }
    if (strlen(r->args) > ATL_MAX_QUERY) {
        cb->bad = 1;
        cb->why = "the query string is too long";
        return;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        const char **slot = NULL;
        const char *name;
        apr_size_t max = ATL_MAX_CODE;
        char *value;

        if (eq) {
            *eq = '\0';
        }
        name = pair;
        if (!strcmp(name, "code")) {
            slot = &cb->code;
        }
        else if (!strcmp(name, "state")) {
            slot = &cb->state;
            max = 128;
        }
        else if (!strcmp(name, "error")) {
            slot = &cb->error;
            max = ATL_MAX_ERROR;
        }
        else if (!strcmp(name, "logout")) {
            slot = &cb->logout;
        }
        else if (!strcmp(name, "info")) {
            slot = &cb->info;
            max = 16;
        }
        if (!slot) {
            continue;
        }
        if (*slot) {
            cb->bad = 1;
            cb->why = apr_psprintf(r->pool, "the parameter %s is duplicated", name);
            return;
        }
        /* ap_unescape_urlencoded reads '+' as a space and refuses %00. */
        value = apr_pstrdup(r->pool, eq ? eq + 1 : "");
        if (!*value || ap_unescape_urlencoded(value) != OK || !*value
            || atl_identity_has_control(value, strlen(value)) || strlen(value) > max) {
            cb->bad = 1;
            cb->why = apr_psprintf(r->pool,
                                   "the parameter %s is empty, too long, "
                                   "badly escaped or has control characters",
                                   name);
            return;
        }
        *slot = value;
    }
}

/* The callback location lacks what the module needs: say which. */
static int atl_callback_misconfigured(request_rec *r, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ATL00030: the callback %s cannot work: %s. AtlassianRedirectURI "
                  "must lie inside a <Location> with \"AuthType Atlassian\", "
                  "\"Session On\" (mod_session_cookie or mod_session_dbd) and a "
                  "Require line",
                  r->uri, what);
    return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                          "The sign-in callback is not configured correctly. "
                          "The server's error log says what is missing.");
}

static int atl_callback_logout(request_rec *r, session_rec *z, const atl_srv_conf *c,
                               const char *target)
{
    if (!atl_redirect_allowed(target, c->logout_allowed)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00031: logout refused: the target is neither a local "
                      "path nor under an AtlassianLogoutRedirectAllowed prefix");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "The page to go to after signing out is not allowed.");
    }
    atl_store(r, z, ATL_SESSION_LOGIN, NULL);
    atl_store(r, z, ATL_SESSION_PENDING, NULL);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00032: logged out");
    return atl_redirect(r, target);
}

static int atl_callback_info(request_rec *r, session_rec *z, const atl_srv_conf *c,
                             const atl_dir_conf *d, const char *what)
{
    atl_identity_t *id;
    const char *json;

    if (strcmp(what, "json")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00033: ?info= supports only \"json\"");
        return atl_error_page(r, HTTP_BAD_REQUEST, "Only info=json is supported.");
    }
    id = atl_load_identity(r, z, c, d);
    if (!id) {
        return atl_unauthorized(r);
    }
    /* check_authn logs this identity in without reading it again. */
    atl_set_req(r, id);
    if (atl_json_identity(&json, r->pool, id, d->pass_token == 1) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00034: the identity could not be written as JSON");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The identity could not be shown.");
    }
    apr_table_setn(r->notes, ATL_NOTE_INFO, json);
    return ATL_INFO_READY;
}

/* Map a failure of a call to Atlassian to a page and a log line. */
static int atl_upstream_failure(request_rec *r, apr_status_t rv, const char *step,
                                const char *reason)
{
    int timeout = rv == ATL_E_TIMEOUT;

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

/* Profile values dropped, in this order, while a login does not fit in a
 * session cookie (a user can make their own profile fields long). What
 * REMOTE_USER and the Require types use comes last or never. */
static const atl_field_e atl_droppable[] = {
    ATL_F_PICTURE,  ATL_F_JOB_TITLE, ATL_F_DEPARTMENT, ATL_F_ORGANIZATION,
    ATL_F_LOCATION, ATL_F_ZONEINFO,  ATL_F_LOCALE,     ATL_F_ACCOUNT_TYPE,
};

/* Seal the login, within the cookie budget when that can be had. */
static apr_status_t atl_seal_login(const char **sealed, request_rec *r,
                                   const atl_srv_conf *c, atl_identity_t *id)
{
    const char *plain;
    apr_size_t len, i;
    int site;
    apr_status_t rv;

    for (i = 0;; i++) {
        if ((rv = atl_identity_encode(&plain, &len, r->pool, id)) != APR_SUCCESS
            || (rv = atl_seal(sealed, r->pool, c->keys, ATL_PURPOSE_LOGIN, plain, len))
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

static int atl_callback_code(request_rec *r, session_rec *z, const atl_srv_conf *c,
                             const atl_callback_t *cb)
{
    apr_array_header_t *list = atl_load_pending(r, z, c);
    atl_pending_t pending;
    atl_oauth_conf_t oc;
    atl_token_t *tok;
    atl_identity_t *id;
    const char *reason = NULL, *sealed, *back;
    apr_status_t rv;
    int idx;

    if (!cb->code || !cb->state || !atl_state_well_formed(cb->state)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00041: callback refused: %s",
                      !cb->code    ? "no code"
                      : !cb->state ? "no state"
                                   : "the state is malformed");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "The sign-in answer is incomplete. Please start "
                              "again from the page you wanted.");
    }
    idx = atl_state_find(list, cb->state);
    if (idx < 0) {
        /* Another browser's state (login CSRF), an old tab, a replay: the
         * session is left as it is, its own pending logins included. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00042: callback refused: its state matches no pending "
                      "login of this browser (expired, already used, or started "
                      "in another browser)");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "This sign-in was not started in this browser, has "
                              "expired or was already used. Please start again "
                              "from the page you wanted.");
    }
    pending = APR_ARRAY_IDX(list, idx, atl_pending_t);
    /* One use only, whatever happens next. */
    atl_state_remove(list, idx);
    atl_store_pending(r, z, c, list, ATL_BUDGET_PENDING);

    memset(&oc, 0, sizeof(oc));
    oc.token_url = atl_or(c->token_url, ATL_DEFAULT_TOKEN);
    oc.profile_url = atl_or(c->profile_url, ATL_DEFAULT_PROFILE);
    oc.resources_url = atl_or(c->resources_url, ATL_DEFAULT_RESOURCES);
    oc.client_id = c->client_id;
    oc.client_secret = c->client_secret;
    oc.http.ca_file = c->ca_file;
    oc.http.timeout_ms = 1000L * (c->timeout ? c->timeout : ATL_DEFAULT_TIMEOUT);
    oc.http.max_body = ATL_MAX_ANSWER;

    rv = atl_oauth_exchange_code(&tok, &reason, r->pool, &oc, cb->code,
                                 atl_redirect_uri(r, c));
    if (rv != APR_SUCCESS) {
        return atl_upstream_failure(r, rv, "token", reason);
    }
    id = atl_identity_make(r->pool);
    rv = atl_oauth_profile(id, &reason, r->pool, &oc, tok->access_token);
    if (rv != APR_SUCCESS) {
        return atl_upstream_failure(r, rv, "profile", reason);
    }
    if (!id->f[ATL_F_ACCOUNT_STATUS] || strcmp(id->f[ATL_F_ACCOUNT_STATUS], "active")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00043: account %s refused: its account_status is %s, "
                      "not active",
                      id->f[ATL_F_ACCOUNT_ID],
                      id->f[ATL_F_ACCOUNT_STATUS] ? id->f[ATL_F_ACCOUNT_STATUS]
                                                  : "missing");
        return atl_error_page(r, HTTP_FORBIDDEN, "This Atlassian account is not active.");
    }
    if (pending.flags & ATL_PENDING_SITES) {
        rv = atl_oauth_sites(&id->sites, &reason, r->pool, &oc, tok->access_token);
        if (rv != APR_SUCCESS) {
            return atl_upstream_failure(r, rv, "accessible-resources", reason);
        }
        atl_identity_join_sites(id, r->pool);
    }
    id->login_time = atl_now();
    id->f[ATL_F_LOGIN_TIME] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, id->login_time);
    if (pending.flags & ATL_PENDING_TOKEN) {
        id->f[ATL_F_ACCESS_TOKEN] = tok->access_token;
    }
    if ((pending.flags & ATL_PENDING_REFRESH) && tok->refresh_token) {
        id->refresh_token = tok->refresh_token;
    }
    if (tok->expires_in > 0) {
        id->token_expiry = id->login_time + tok->expires_in;
    }

    /* A login always writes a new sealed value (a fresh IV): whatever the
     * session held before is replaced, so no fixation. */
    if (atl_seal_login(&sealed, r, c, id) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00044: the login could not be sealed into the session");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The server could not complete the sign-in.");
    }
    if (strlen(sealed) > ATL_BUDGET_TOTAL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "ATL00045: the login takes %" APR_SIZE_T_FMT " bytes in the "
                      "session, more than a cookie holds: use mod_session_dbd or "
                      "turn off AtlassianPassAccessToken/AtlassianRefresh",
                      strlen(sealed));
    }
    atl_store(r, z, ATL_SESSION_LOGIN, sealed);
    /* Other tabs' pending logins share what room is left. */
    if (list->nelts) {
        apr_size_t used = strlen(sealed);

        atl_store_pending(r, z, c, list,
                          used < ATL_BUDGET_TOTAL ? ATL_BUDGET_TOTAL - used : 0);
    }
    back = atl_redirect_is_local(pending.return_url) ? pending.return_url : "/";
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00046: account %s logged in",
                  id->f[ATL_F_ACCOUNT_ID]);
    return atl_redirect(r, back);
}

static int atl_callback_error(request_rec *r, session_rec *z, const atl_srv_conf *c,
                              const atl_callback_t *cb)
{
    const char *error = ap_escape_logitem(r->pool, cb->error);

    /* A matching state ends that pending login; any other is kept. */
    if (cb->state && z) {
        apr_array_header_t *list = atl_load_pending(r, z, c);
        int idx = atl_state_find(list, cb->state);

        if (idx >= 0) {
            atl_state_remove(list, idx);
            atl_store_pending(r, z, c, list, ATL_BUDGET_PENDING);
        }
    }
    if (!strcmp(cb->error, "access_denied")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00047: the user declined consent at Atlassian "
                      "(error=access_denied)");
        return atl_error_page(r, HTTP_FORBIDDEN,
                              "Access to your Atlassian account was not granted, "
                              "so you are not signed in.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00048: Atlassian refused the authorization request: "
                  "error=%s (check AtlassianClientID, AtlassianScope and the "
                  "app's permissions in the developer console)",
                  error);
    return atl_error_page(r, HTTP_BAD_GATEWAY,
                          "Atlassian could not complete the sign-in.");
}

/* Handle a request to the callback path. Returns an HTTP status, or
 * ATL_INFO_READY when the request is an ?info=json of a logged-in user. */
static int atl_callback(request_rec *r, const atl_srv_conf *c, const atl_dir_conf *d,
                        session_rec *z)
{
    atl_callback_t cb;

    apr_table_setn(r->notes, ATL_NOTE_HANDLED, "1");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (r->method_number != M_GET) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00049: callback refused: method %s (only GET)",
                      ap_escape_logitem(r->pool, r->method));
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return atl_error_page(r, HTTP_METHOD_NOT_ALLOWED,
                              "The sign-in callback accepts GET only.");
    }
    atl_parse_callback(r, &cb);
    if (cb.bad) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ATL00050: callback refused: %s",
                      cb.why);
        return atl_error_page(r, HTTP_BAD_REQUEST, "The sign-in answer is not valid.");
    }
    if (!z) {
        return atl_callback_misconfigured(r, "no session (\"Session On\" and a "
                                             "session store are missing)");
    }
    if (cb.logout) {
        return atl_callback_logout(r, z, c, cb.logout);
    }
    if (cb.info) {
        return atl_callback_info(r, z, c, d, cb.info);
    }
    if (cb.error) {
        return atl_callback_error(r, z, c, &cb);
    }
    return atl_callback_code(r, z, c, &cb);
}

/* ------------------------------------------------------------------ */
/* Hooks                                                              */
/* ------------------------------------------------------------------ */

/* Every request in a location with AuthType Atlassian loses the incoming
 * X-Atlassian-* headers, logged in or not, before anything reads them;
 * only the headers the module set itself (for an earlier request of the
 * same chain) stay. httpd runs this hook for main requests and internal
 * redirects; check_authn cleans subrequests. */
static int atl_header_parser(request_rec *r)
{
    if (atl_is_ours(r) && !apr_table_get(atl_initial(r)->notes, ATL_NOTE_SET)) {
        atl_scrub_headers(r);
    }
    return DECLINED;
}

/* The request belongs to this login: user, variables, headers. */
static int atl_logged_in(request_rec *r, const atl_dir_conf *d, atl_identity_t *id,
                         int rc)
{
    int field = d->remote_user == -1 ? ATL_F_ACCOUNT_ID : d->remote_user;

    if (!id->f[field]) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00063: account %s refused: its profile has no %s "
                      "for REMOTE_USER (AtlassianRemoteUser)",
                      id->f[ATL_F_ACCOUNT_ID], atl_identity_json_name(field));
        return atl_error_page(r, HTTP_FORBIDDEN,
                              "Your Atlassian profile lacks the information "
                              "this site needs.");
    }
    r->user = (char *)id->f[field];
    r->ap_auth_type = (char *)ATL_AUTH_TYPE;
    atl_set_req(r, id);
    atl_pass_identity(r, id, d);
    /* The application decides how its own pages are cached. */
    if (rc != ATL_INFO_READY) {
        apr_table_unset(r->err_headers_out, "Cache-Control");
    }
    return OK;
}

static int atl_check_authn(request_rec *r)
{
    const atl_srv_conf *c;
    const atl_dir_conf *d;
    atl_identity_t *id;
    session_rec *z;
    int rc, unauth;

    if (!atl_is_ours(r)) {
        return DECLINED;
    }
    c = atl_srv(r->server);
    d = atl_dir(r);
    if (r->proxyreq == PROXYREQ_PROXY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00060: AuthType Atlassian cannot protect forward-proxy "
                      "requests");
        return HTTP_FORBIDDEN;
    }
    /* Whatever identity this request carries is set again below. */
    atl_scrub_headers(r);
    if (!c->client_id || !c->client_secret || !c->redirect_uri || !c->keys) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00061: AuthType Atlassian needs AtlassianClientID, "
                      "AtlassianClientSecret, AtlassianRedirectURI and "
                      "AtlassianSessionSecret for this virtual host");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The sign-in is not configured.");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");

    /* The session is loaded once per request: with SessionCookieRemove On,
     * httpd reads the cookie once and removes it. */
    rc = DECLINED;
    if (!r->main && !strcmp(r->uri, c->redirect_path)) {
        z = atl_load_session(r);
        rc = atl_callback(r, c, d, z);
        if (rc != ATL_INFO_READY) {
            return atl_commit(r, rc);
        }
        /* ?info=json for a logged-in user: the handler answers. */
    }
    else if ((r->main || r->prev)
             && (id = atl_get_identity(r->main ? r->main : r->prev))) {
        /* A subrequest or internal redirect of a logged-in request is
         * that login: the session is not read again (for the same reason). */
        return atl_logged_in(r, d, id, DECLINED);
    }
    else {
        z = atl_load_session(r);
    }
    if (!z) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ATL00062: AuthType Atlassian needs a session here: add "
                      "\"Session On\" and a session store (mod_session_cookie's "
                      "SessionCookieName, or mod_session_dbd) to this location");
        return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                              "The sign-in is not configured correctly.");
    }
    id = rc == ATL_INFO_READY ? atl_req(r)->id : atl_load_identity(r, z, c, d);
    if (id) {
        return atl_logged_in(r, d, id, rc);
    }

    unauth = d->unauth == -1 ? ATL_UNAUTH_AUTH : d->unauth;
    if (unauth == ATL_UNAUTH_PASS) {
        /* Anonymous: an empty user, no ATLASSIAN_* variables. */
        r->user = "";
        r->ap_auth_type = (char *)ATL_AUTH_TYPE;
        atl_set_req(r, NULL);
        apr_table_unset(r->err_headers_out, "Cache-Control");
        return OK;
    }
    if (unauth == ATL_UNAUTH_401 || !atl_is_browser(r) || r->main) {
        return atl_unauthorized(r);
    }
    return atl_commit(r, atl_start_login(r, z, c, d));
}

/* Callback requests that check_authn never saw: the location lacks what
 * the module needs. ?info=json answers through the handler. */
static int atl_fixups(request_rec *r)
{
    const atl_srv_conf *c = atl_srv(r->server);

    if (apr_table_get(r->notes, ATL_NOTE_INFO) && !r->main) {
        r->handler = ATL_INFO_HANDLER;
        return DECLINED;
    }
    if (!r->main && c->redirect_path && !apr_table_get(r->notes, ATL_NOTE_HANDLED)
        && !strcmp(r->uri, c->redirect_path)) {
        apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        return atl_callback_misconfigured(
            r, !atl_is_ours(r) ? "its location has no \"AuthType Atlassian\""
                               : "its location has no Require line, so no "
                                 "authentication runs there");
    }
    return DECLINED;
}

static int atl_info_handler(request_rec *r)
{
    const char *json;

    if (!r->handler || strcmp(r->handler, ATL_INFO_HANDLER)) {
        return DECLINED;
    }
    json = apr_table_get(r->notes, ATL_NOTE_INFO);
    if (!json) {
        return DECLINED;
    }
    /* Cache-Control and Referrer-Policy are in err_headers_out already. */
    ap_set_content_type(r, "application/json");
    if (!r->header_only) {
        ap_rputs(json, r);
        ap_rputs("\n", r);
    }
    return OK;
}

/* mod_authz_core calls this when it refuses with 401. For a logged-in
 * user of this module that is a refusal, not a reason to log in again:
 * the answer becomes 403 (see atl_forbid_filter). */
static int atl_note_auth_failure(request_rec *r, const char *type)
{
    if (strcasecmp(type, ATL_AUTH_TYPE)) {
        return DECLINED;
    }
    if (r->user && *r->user) {
        apr_table_setn(r->notes, ATL_NOTE_FORBID, "1");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00070: user %s is logged in but refused by the Require "
                      "lines of %s: 403",
                      r->user, r->uri);
    }
    else {
        atl_unauthorized(r);
    }
    return OK;
}

static void atl_insert_error_filter(request_rec *r)
{
    if (r->status == HTTP_UNAUTHORIZED && apr_table_get(r->notes, ATL_NOTE_FORBID)) {
        ap_add_output_filter("ATL_FORBID", NULL, r, r->connection);
    }
}

/* The same for an "ErrorDocument 401 /local/page": httpd answers it with
 * an internal redirect whose request carries the 401 of the refusal. */
static void atl_insert_filter(request_rec *r)
{
    if (r->prev && r->status == HTTP_UNAUTHORIZED
        && apr_table_get(r->prev->notes, ATL_NOTE_FORBID)) {
        ap_add_output_filter("ATL_FORBID", NULL, r, r->connection);
    }
}

/* Turns the 401 that mod_authz_core sends to a refused logged-in user into
 * a 403 with the module's own page. */
static apr_status_t atl_forbid_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    apr_bucket *b;
    static const char page[] =
        "<!DOCTYPE html>\n<html><head><title>Access refused</title></head>\n"
        "<body><h1>Access refused</h1>\n<p>You are signed in, but your account "
        "is not allowed to see this page.</p>\n<p><a href=\"/\">Home</a></p>\n"
        "</body></html>\n";

    if (!f->ctx) {
        f->ctx = f;
        r->status = HTTP_FORBIDDEN;
        r->status_line = NULL;
        apr_table_unset(r->headers_out, "WWW-Authenticate");
        apr_table_unset(r->err_headers_out, "WWW-Authenticate");
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        ap_set_content_type(r, "text/html; charset=utf-8");
    }
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);) {
        apr_bucket *next = APR_BUCKET_NEXT(b);

        if (APR_BUCKET_IS_EOS(b)) {
            APR_BUCKET_INSERT_BEFORE(
                b, apr_bucket_immortal_create(page, sizeof(page) - 1, bb->bucket_alloc));
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
        b = next;
    }
    return ap_pass_brigade(f->next, bb);
}

/* ------------------------------------------------------------------ */
/* Authorization providers                                            */
/* ------------------------------------------------------------------ */

static const char *atl_parse_require(cmd_parms *cmd, const char *line,
                                     const void **parsed)
{
    apr_array_header_t *args = apr_array_make(cmd->pool, 2, sizeof(const char *));
    const char *w;

    while (*(w = ap_getword_conf(cmd->pool, &line))) {
        APR_ARRAY_PUSH(args, const char *) = w;
    }
    if (!args->nelts) {
        return "this Require needs at least one value";
    }
    *parsed = args;
    return NULL;
}

static const char *atl_parse_require_site(cmd_parms *cmd, const char *line,
                                          const void **parsed)
{
    /* The location that asks for sites fetches them at login. httpd makes
     * a module's per-directory config only for its first directive in a
     * section, so a section whose only mention of the module is this
     * Require gets one here. */
    if (cmd->context) {
        atl_dir_conf *d = ap_get_module_config(cmd->context, &auth_atlassian_module);

        if (!d) {
            d = atl_create_dir(cmd->pool, (char *)cmd->path);
            ap_set_module_config(cmd->context, &auth_atlassian_module, d);
        }
        d->require_sites = 1;
    }
    return atl_parse_require(cmd, line, parsed);
}

typedef int (*atl_match_fn)(const atl_identity_t *id, const char *arg);

static int atl_match_email(const atl_identity_t *id, const char *arg)
{
    return id->f[ATL_F_EMAIL] && atl_identity_email_match(arg, id->f[ATL_F_EMAIL]);
}

static int atl_match_account(const atl_identity_t *id, const char *arg)
{
    return atl_seal_equal(arg, id->f[ATL_F_ACCOUNT_ID]);
}

static int atl_match_site(const atl_identity_t *id, const char *arg)
{
    return atl_identity_has_site(id, arg);
}

static authz_status atl_authz(request_rec *r, const void *parsed, atl_match_fn match)
{
    const apr_array_header_t *args = parsed;
    atl_identity_t *id;
    int i;

    if (!r->user || !*r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    id = atl_get_identity(r);
    if (!id) {
        return AUTHZ_DENIED;
    }
    for (i = 0; i < args->nelts; i++) {
        if (match(id, APR_ARRAY_IDX(args, i, const char *))) {
            return AUTHZ_GRANTED;
        }
    }
    return AUTHZ_DENIED;
}

static authz_status atl_authz_email(request_rec *r, const char *line, const void *p)
{
    return atl_authz(r, p, atl_match_email);
}

static authz_status atl_authz_account(request_rec *r, const char *line, const void *p)
{
    return atl_authz(r, p, atl_match_account);
}

static authz_status atl_authz_site(request_rec *r, const char *line, const void *p)
{
    return atl_authz(r, p, atl_match_site);
}

static const authz_provider atl_provider_email = {atl_authz_email, atl_parse_require};
static const authz_provider atl_provider_account = {atl_authz_account, atl_parse_require};
static const authz_provider atl_provider_site = {atl_authz_site, atl_parse_require_site};

static void atl_register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "atlassian-email",
                              AUTHZ_PROVIDER_VERSION, &atl_provider_email,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "atlassian-account-id",
                              AUTHZ_PROVIDER_VERSION, &atl_provider_account,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "atlassian-site",
                              AUTHZ_PROVIDER_VERSION, &atl_provider_site,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_config(atl_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(atl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(atl_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(atl_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(atl_note_auth_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(atl_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(atl_info_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(atl_insert_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(atl_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter("ATL_FORBID", atl_forbid_filter, NULL, AP_FTYPE_RESOURCE);
}

AP_DECLARE_MODULE(auth_atlassian) = {
    STANDARD20_MODULE_STUFF, atl_create_dir, atl_merge_dir,     atl_create_srv,
    atl_merge_srv,           atl_cmds,       atl_register_hooks};
