/* SPDX-License-Identifier: Apache-2.0 */
/* The directives: setters that validate at "apache2 -t", create and merge
 * of the server and directory records. The checks of the whole
 * configuration at startup are in mod_atl_check.c. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_cfgtree.h"
#include "mod_session.h"

#include <apr_strings.h>
#include <apr_uri.h>
#include <apr_lib.h>

#include <arpa/inet.h>
#include <errno.h>

#include "atl_authorize.h"
#include "atl_identity.h"
#include "atl_secret.h"
#include "mod_atl_config.h"

APLOG_USE_MODULE(auth_atlassian);

void *atl_create_srv(apr_pool_t *p, server_rec *s)
{
    atl_srv_conf *c = apr_pcalloc(p, sizeof(atl_srv_conf));

    c->groups = apr_array_make(p, 2, sizeof(atl_group_req_t));
    return c;
}

static int atl_has_group(const apr_array_header_t *groups, const char *entry)
{
    int i;

    for (i = 0; i < groups->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(groups, i, atl_group_req_t).entry, entry)) {
            return 1;
        }
    }
    return 0;
}

static void atl_push_group(apr_array_header_t *groups, const atl_group_req_t *g)
{
    if (!atl_has_group(groups, g->entry)) {
        APR_ARRAY_PUSH(groups, atl_group_req_t) = *g;
    }
}

void atl_config_add_group(cmd_parms *cmd, const char *site, const char *group)
{
    atl_group_req_t g;

    g.site = site;
    g.group = group;
    g.entry = apr_pstrcat(cmd->pool, site, "/", group, NULL);
    atl_push_group(atl_srv(cmd->server)->groups, &g);
}

#define ATL_MERGE(f) (add->f ? add->f : base->f)

void *atl_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    atl_srv_conf *base = basev, *add = addv;
    atl_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    int i;

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
    c->api_url = ATL_MERGE(api_url);
    /* A virtual host inherits the main server's <Location>s: their lines
     * count as its own. */
    c->groups = apr_array_copy(p, base->groups);
    for (i = 0; i < add->groups->nelts; i++) {
        atl_push_group(c->groups, &APR_ARRAY_IDX(add->groups, i, atl_group_req_t));
    }
    c->ca_file = ATL_MERGE(ca_file);
    c->timeout = ATL_MERGE(timeout);
    c->cache = ATL_MERGE(cache);
    c->logout_allowed = ATL_MERGE(logout_allowed);
    return c;
}

void *atl_create_dir(apr_pool_t *p, char *dir)
{
    atl_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    d->remote_user = -1;
    d->pass_as = -1;
    d->pass_token = -1;
    d->fetch_sites = -1;
    d->refresh = -1;
    d->require_sites = -1;
    d->require_groups = -1;
    d->group_interval = -1;
    d->unauth = -1;
    d->lifetime = -1;
    d->preserve_post = -1;
    return d;
}

#define ATL_MERGE_SET(f) (add->f != -1 ? add->f : base->f)

void *atl_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    atl_dir_conf *base = basev, *add = addv;
    atl_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    d->remote_user = ATL_MERGE_SET(remote_user);
    d->pass_as = ATL_MERGE_SET(pass_as);
    d->pass_token = ATL_MERGE_SET(pass_token);
    d->fetch_sites = ATL_MERGE_SET(fetch_sites);
    d->refresh = ATL_MERGE_SET(refresh);
    d->require_sites = ATL_MERGE_SET(require_sites);
    d->require_groups = ATL_MERGE_SET(require_groups);
    d->group_interval = ATL_MERGE_SET(group_interval);
    d->unauth = ATL_MERGE_SET(unauth);
    d->lifetime = ATL_MERGE_SET(lifetime);
    d->preserve_post = ATL_MERGE_SET(preserve_post);
    return d;
}

atl_srv_conf *atl_srv(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &auth_atlassian_module);
}

atl_dir_conf *atl_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &auth_atlassian_module);
}

/* The values every directive-less setting falls back to. */
const char *atl_or(const char *v, const char *dflt)
{
    return v ? v : dflt;
}

const char *atl_purpose(apr_pool_t *p, const atl_srv_conf *c, const char *what)
{
    return apr_pstrcat(p, what, ":", c->client_id ? c->client_id : "", NULL);
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
static const char *atl_check_url(cmd_parms *cmd, const char *tag, const char *url,
                                 apr_uri_t *u)
{
    if (apr_uri_parse(cmd->temp_pool, url, u) != APR_SUCCESS || !u->scheme || !u->hostname
        || !*u->hostname) {
        return apr_psprintf(cmd->pool, "%s: %s: '%s' is not an absolute URL", tag,
                            cmd->cmd->name, url);
    }
    if (u->user || u->password || u->fragment) {
        return apr_psprintf(cmd->pool,
                            "%s: %s: the URL must have no user info "
                            "and no fragment",
                            tag, cmd->cmd->name);
    }
    if (!strcasecmp(u->scheme, "https")) {
        return NULL;
    }
    if (!strcasecmp(u->scheme, "http") && atl_is_loopback(u->hostname)) {
        return NULL;
    }
    return apr_psprintf(cmd->pool,
                        "%s: %s: '%s' must start with https:// "
                        "(http:// is allowed for a loopback host only)",
                        tag, cmd->cmd->name, url);
}

static const char *atl_set_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_uri_t u;
    const char *err = atl_check_url(cmd, "ATL00506", arg, &u);
    int which = (int)(apr_uintptr_t)cmd->info;

    if (err) {
        return err;
    }
    switch (which) {
    case 0: c->authorize_url = arg; break;
    case 1: c->token_url = arg; break;
    case 2: c->profile_url = arg; break;
    case 3: c->resources_url = arg; break;
    default: c->api_url = arg; break;
    }
    return NULL;
}

/* httpd leaves a ${NAME} it cannot expand in the value as is (with only a
 * warning, AH00111), and a reload keeps the environment of the first
 * start: a variable added to /etc/apache2/envvars since then is such a
 * ${NAME}. The literal text must never reach Atlassian. */
static const char *atl_unexpanded(cmd_parms *cmd, const char *arg)
{
    const char *open = ap_strstr_c(arg, "${");
    const char *close = open ? ap_strchr_c(open + 2, '}') : NULL;

    if (!close) {
        return NULL;
    }
    return apr_psprintf(cmd->pool,
                        "ATL00519: %s: the variable %s is not defined, so httpd "
                        "left it as is. Define it where apache2 starts "
                        "(/etc/apache2/envvars, then \"systemctl restart apache2\": "
                        "a reload keeps the old environment), or use file:/path",
                        cmd->cmd->name,
                        apr_pstrmemdup(cmd->temp_pool, open, close + 1 - open));
}

/* A client ID or secret: literal, file:/path or env:NAME. */
static const char *atl_client_value(cmd_parms *cmd, const char *tag, const char *arg,
                                    const char **out)
{
    const char *value, *errmsg, *err;
    apr_size_t len;

    if ((err = atl_unexpanded(cmd, arg)) != NULL) {
        return err;
    }
    if (atl_secret_resolve(&value, &len, &errmsg, cmd->pool, arg) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s: %s", tag, cmd->cmd->name, errmsg);
    }
    if (!len) {
        return apr_psprintf(cmd->pool, "%s: %s must not be empty", tag, cmd->cmd->name);
    }
    if (atl_identity_has_control(value, len)) {
        return apr_psprintf(cmd->pool, "%s: %s: control characters are not allowed", tag,
                            cmd->cmd->name);
    }
    *out = value;
    return NULL;
}

static const char *atl_set_client_id(cmd_parms *cmd, void *dummy, const char *arg)
{
    return atl_client_value(cmd, "ATL00500", arg, &atl_srv(cmd->server)->client_id);
}

static const char *atl_set_client_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    return atl_client_value(cmd, "ATL00501", arg, &atl_srv(cmd->server)->client_secret);
}

static const char *atl_set_redirect_uri(cmd_parms *cmd, void *dummy, const char *arg)
{
    atl_srv_conf *c = atl_srv(cmd->server);
    apr_uri_t u;
    const char *err;

    if (arg[0] == '/') {
        if (arg[1] == '/' || ap_strchr_c(arg, '?') || ap_strchr_c(arg, '#')) {
            return "ATL00502: AtlassianRedirectURI: a local path must be a plain path "
                   "such as /protected/oauth2callback";
        }
        c->redirect_path = arg;
        c->redirect_absolute = 0;
    }
    else {
        if ((err = atl_check_url(cmd, "ATL00903", arg, &u)) != NULL) {
            return err;
        }
        if (u.query || !u.path || u.path[0] != '/') {
            return "ATL00904: AtlassianRedirectURI: the URL needs a path and no query";
        }
        c->redirect_path = u.path;
        c->redirect_absolute = 1;
    }
    /* r->uri is decoded, so compare with the decoded path. */
    c->redirect_path = apr_pstrdup(cmd->pool, c->redirect_path);
    if (ap_unescape_url((char *)c->redirect_path) != OK) {
        return "ATL00905: AtlassianRedirectURI: the path has an invalid %-escape";
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
        return "ATL00503: AtlassianSessionSecret given twice: list every secret on one "
               "line "
               "(the first seals, all unseal)";
    }
    secrets = apr_array_make(cmd->temp_pool, 2, sizeof(const char *));
    while (*(word = ap_getword_conf(cmd->temp_pool, &arg))) {
        if (atl_secret_resolve(&value, &len, &errmsg, cmd->temp_pool, word)
            != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "ATL00906: AtlassianSessionSecret: %s",
                                errmsg);
        }
        if (strlen(value) != len) {
            return "ATL00907: AtlassianSessionSecret: the secret contains a NUL byte";
        }
        APR_ARRAY_PUSH(secrets, const char *) = value;
    }
    /* The keys are derived here, once, at startup: requests never do it. */
    if (atl_seal_keys_make(&c->keys, &errmsg, cmd->pool, secrets) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "ATL00908: AtlassianSessionSecret: %s", errmsg);
    }
    return NULL;
}

static const char *atl_set_scope(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (atl_identity_has_control(arg, strlen(arg))) {
        return "ATL00504: AtlassianScope: control characters are not allowed";
    }
    if (!*arg) {
        return "ATL00909: AtlassianScope must not be empty";
    }
    atl_srv(cmd->server)->scope = arg;
    return NULL;
}

static const char *atl_set_params(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *errmsg;

    if (atl_authorize_parse_params(&atl_srv(cmd->server)->params, &errmsg, cmd->pool, arg)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "ATL00505: AtlassianAuthorizeParams: %s", errmsg);
    }
    return NULL;
}

static const char *atl_set_ca_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_finfo_t fi;
    const char *path = ap_server_root_relative(cmd->pool, arg);

    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_REG) {
        return apr_psprintf(
            cmd->pool, "ATL00507: AtlassianCAFile: '%s' is not a readable file", arg);
    }
    atl_srv(cmd->server)->ca_file = path;
    return NULL;
}

static const char *atl_parse_seconds(cmd_parms *cmd, const char *tag, const char *arg,
                                     apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (!*arg || *end || errno == ERANGE || v < min || v > max) {
        return apr_psprintf(cmd->pool,
                            "%s: %s: '%s' is not a number of seconds "
                            "between %" APR_INT64_T_FMT " and %" APR_INT64_T_FMT,
                            tag, cmd->cmd->name, arg, min, max);
    }
    *out = v;
    return NULL;
}

static const char *atl_set_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_int64_t v;
    const char *err = atl_parse_seconds(cmd, "ATL00508", arg, 1, 300, &v);

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
            return "ATL00509: AtlassianCache: expected provider[:args], e.g. shmcb or "
                   "memcache:host:port";
        }
    }
    if (s == arg) {
        return "ATL00910: AtlassianCache: the provider name is missing";
    }
    if (*s == ':' && s - arg == 3 && !strncmp(arg, "dbd", 3)) {
        return "ATL00662: AtlassianCache dbd takes no arguments: the database is "
               "mod_dbd's (DBDriver, DBDParams)";
    }
    if (*s == ':' && !s[1]) {
        return "ATL00911: AtlassianCache: nothing after the ':' (write the provider "
               "alone for its defaults, e.g. shmcb)";
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
                            "ATL00510: AtlassianLogoutRedirectAllowed: '%s' is not "
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
                            "ATL00511: AtlassianRemoteUser: unknown field '%s' "
                            "(use account_id, email, nickname or name)",
                            arg);
    }
    /* Said once, as the server configuration is read (not for each
     * request that reads an .htaccess file). */
    if ((d->remote_user == ATL_F_NICKNAME || d->remote_user == ATL_F_NAME)
        && cmd->pool == cmd->server->process->pconf) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "ATL00600: AtlassianRemoteUser %s (%s:%d): the value is not "
                     "unique: two Atlassian accounts can share a %s (a nickname "
                     "is often the display name), so REMOTE_USER may name "
                     "another person; use account_id (or email) wherever "
                     "REMOTE_USER decides access",
                     arg, cmd->directive ? cmd->directive->filename : "?",
                     cmd->directive ? cmd->directive->line_num : 0,
                     d->remote_user == ATL_F_NAME ? "name" : "nickname");
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
        return "ATL00512: AtlassianPassIdentityAs: use env, headers, both or none";
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
        return "ATL00513: AtlassianUnauthAction: use auth, 401 or pass";
    }
    return NULL;
}

/* What decides where a user's token goes or how long a login lasts is the
 * main configuration's alone: such directives are refused in .htaccess
 * (httpd answers 500 there and logs this message). */
static const char *atl_not_in_htaccess(cmd_parms *cmd)
{
    if (ap_check_cmd_context(cmd, NOT_IN_HTACCESS)) {
        return apr_psprintf(cmd->pool,
                            "ATL00515: %s is not allowed in .htaccess: it belongs to "
                            "the main configuration (<Location> or <Directory>)",
                            cmd->cmd->name);
    }
    return NULL;
}

static const char *atl_set_lifetime(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;
    const char *err = atl_not_in_htaccess(cmd);

    return err ? err
               : atl_parse_seconds(cmd, "ATL00514", arg, 1, APR_INT64_C(31536000),
                                   &d->lifetime);
}

static const char *atl_set_group_interval(cmd_parms *cmd, void *dconf, const char *arg)
{
    atl_dir_conf *d = dconf;

    return atl_parse_seconds(cmd, "ATL00320", arg, 1, APR_INT64_C(86400),
                             &d->group_interval);
}

static const char *atl_set_dir_flag(cmd_parms *cmd, void *dconf, int on)
{
    atl_dir_conf *d = dconf;
    int *field = (int *)((char *)d + (apr_size_t)(apr_uintptr_t)cmd->info);

    *field = on ? 1 : 0;
    return NULL;
}

static const char *atl_set_main_flag(cmd_parms *cmd, void *dconf, int on)
{
    const char *err = atl_not_in_htaccess(cmd);

    return err ? err : atl_set_dir_flag(cmd, dconf, on);
}

#define ATL_SRV(name, fn, info, how, help)                                               \
    AP_INIT_##how(name, fn, (void *)(info), RSRC_CONF, help)
#define ATL_DIR(name, fn, info, how, help)                                               \
    AP_INIT_##how(name, fn, (void *)(info), RSRC_CONF | OR_AUTHCFG, help)

const command_rec atl_cmds[] = {
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
    ATL_SRV("AtlassianAPIURL", atl_set_url, 4, TAKE1,
            "Base of the product APIs, for group membership (default "
            "https://api.atlassian.com)"),
    ATL_SRV("AtlassianCAFile", atl_set_ca_file, NULL, TAKE1,
            "CA bundle for outbound TLS (default: the system store)"),
    ATL_SRV("AtlassianTimeout", atl_set_timeout, NULL, TAKE1,
            "Seconds for one outbound call (default 10)"),
    ATL_SRV("AtlassianCache", atl_set_cache, NULL, TAKE1,
            "mod_socache provider[:args] for shared state (default shmcb), or dbd "
            "(mod_dbd's database)"),
    ATL_SRV("AtlassianLogoutRedirectAllowed", atl_add_logout_allowed, NULL, ITERATE,
            "Absolute URL prefixes that ?logout= may redirect to"),
    ATL_DIR("AtlassianRemoteUser", atl_set_remote_user, NULL, TAKE1,
            "account_id, email, nickname or name (default account_id)"),
    ATL_DIR("AtlassianPassIdentityAs", atl_set_pass_as, NULL, TAKE1,
            "env, headers, both or none (default both)"),
    ATL_DIR("AtlassianPassAccessToken", atl_set_main_flag,
            APR_OFFSETOF(atl_dir_conf, pass_token), FLAG,
            "Also pass the access token (default Off)"),
    ATL_DIR("AtlassianFetchSites", atl_set_dir_flag,
            APR_OFFSETOF(atl_dir_conf, fetch_sites), FLAG,
            "Fetch accessible-resources at login (default Off)"),
    ATL_DIR("AtlassianRefresh", atl_set_main_flag, APR_OFFSETOF(atl_dir_conf, refresh),
            FLAG, "Keep the refresh token of the login (default Off)"),
    ATL_DIR("AtlassianSessionLifetime", atl_set_lifetime, NULL, TAKE1,
            "Seconds a login lasts (default 28800)"),
    ATL_DIR("AtlassianGroupCheckInterval", atl_set_group_interval, NULL, TAKE1,
            "Seconds a group membership is trusted before it is checked "
            "again (default 600)"),
    ATL_DIR("AtlassianUnauthAction", atl_set_unauth, NULL, TAKE1,
            "auth, 401 or pass (default auth)"),
    ATL_DIR("AtlassianPreservePost", atl_set_dir_flag,
            APR_OFFSETOF(atl_dir_conf, preserve_post), FLAG,
            "Keep a form POST that needs a login and send it again after the "
            "login (default Off)"),
    {NULL}};

/* The ServerName written directly in a server's section (or in an <If...>
 * section there), the last one winning as in httpd. */
static const char *atl_written_name(const ap_directive_t *d)
{
    const char *name = NULL, *inner;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "ServerName")) {
            name = d->args;
        }
        else if (!strncasecmp(d->directive, "<If", 3)
                 && (inner = atl_written_name(d->first_child)) != NULL) {
            name = inner;
        }
    }
    return name;
}

/* The <VirtualHost> section that made server s (its file and line). */
static const ap_directive_t *atl_vhost_section(const ap_directive_t *d,
                                               const server_rec *s)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            if (d->line_num == (int)s->defn_line_number && d->filename && s->defn_name
                && !strcmp(d->filename, s->defn_name)) {
                return d;
            }
        }
        else if (d->first_child && (found = atl_vhost_section(d->first_child, s))) {
            return found;
        }
    }
    return NULL;
}

const char *atl_server_label(apr_pool_t *p, const server_rec *s)
{
    const ap_directive_t *sec;
    const char *name, *addr;

    if (!s->is_virtual) {
        name = atl_written_name(ap_conftree);
        return name ? apr_psprintf(p, "the main server (ServerName %s)", name)
                    : "the main server";
    }
    sec = atl_vhost_section(ap_conftree, s);
    name = sec ? atl_written_name(sec->first_child) : NULL;
    addr = sec ? apr_pstrdup(p, sec->args) : "";
    if (*addr && addr[strlen(addr) - 1] == '>') {
        ((char *)addr)[strlen(addr) - 1] = '\0';
    }
    return apr_psprintf(p, "<VirtualHost %s> at %s:%d%s%s", addr,
                        s->defn_name ? s->defn_name : "?", s->defn_line_number,
                        name ? ", ServerName " : " (no ServerName)", name ? name : "");
}
