/* SPDX-License-Identifier: Apache-2.0 */
/* The module's configuration: server and directory records, defaults,
 * the directive table and the startup checks. */
#ifndef MOD_ATL_CONFIG_H
#define MOD_ATL_CONFIG_H

#include "mod_atl.h"
#include <apr_tables.h>

#include "atl_identity.h"
#include "atl_seal.h"

#define ATL_DEFAULT_SCOPE       "read:me"
#define ATL_DEFAULT_PARAMS      "prompt=consent"
#define ATL_DEFAULT_AUTHORIZE   "https://auth.atlassian.com/authorize"
#define ATL_DEFAULT_TOKEN       "https://auth.atlassian.com/oauth/token"
#define ATL_DEFAULT_PROFILE     "https://api.atlassian.com/me"
#define ATL_DEFAULT_RESOURCES   "https://api.atlassian.com/oauth/token/accessible-resources"
#define ATL_DEFAULT_API         "https://api.atlassian.com"
#define ATL_DEFAULT_GROUP_CHECK 600
#define ATL_DEFAULT_TIMEOUT     10
#define ATL_DEFAULT_LIFETIME    28800
#define ATL_MAX_ANSWER          (256 * 1024) /* bytes of one answer from Atlassian */

typedef enum {
    ATL_PASS_ENV = 1,
    ATL_PASS_HEADERS = 2,
    ATL_PASS_BOTH = 3,
    ATL_PASS_NONE = 0
} atl_pass_e;
typedef enum { ATL_UNAUTH_AUTH, ATL_UNAUTH_401, ATL_UNAUTH_PASS } atl_unauth_e;

/* One site and group of a "Require atlassian-group site group..." line,
 * as configured. */
typedef struct {
    const char *site;  /* URL host or cloud id */
    const char *group; /* group id or name */
    const char *entry; /* "site/group": how a login stores a membership */
} atl_group_req_t;

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
    const char *api_url;
    /* The Require atlassian-group lines of this server (and, for a virtual
     * host, of the main server), of atl_group_req_t, each pair once:
     * what a login checks. Collected as the configuration is read. */
    apr_array_header_t *groups;
    const char *ca_file;
    int timeout; /* seconds, 0: unset */
    const char *cache;
    struct atl_cache_t *cache_rt;       /* set in post_config (mod_atl_cache.c) */
    apr_array_header_t *logout_allowed; /* of const char * */
    /* Purposes bound to the sealed values (made at startup): each names the
     * client ID, so that a value sealed for one application is refused by
     * another that shares the AtlassianSessionSecret. */
    const char *purpose_login;
    const char *purpose_pending;
} atl_srv_conf;

typedef struct {
    int remote_user; /* atl_field_e, -1: unset */
    int pass_as;     /* atl_pass_e, -1: unset */
    int pass_token;  /* -1: unset */
    int fetch_sites;
    int refresh;
    int require_sites;          /* a Require atlassian-site is here */
    int require_groups;         /* a Require atlassian-group is here */
    apr_int64_t group_interval; /* AtlassianGroupCheckInterval, -1: unset */
    int unauth;                 /* atl_unauth_e, -1: unset */
    apr_int64_t lifetime;       /* -1: unset */
    int preserve_post;          /* AtlassianPreservePost, -1: unset */
} atl_dir_conf;

extern const command_rec atl_cmds[];

void *atl_create_srv(apr_pool_t *p, server_rec *s);
void *atl_merge_srv(apr_pool_t *p, void *basev, void *addv);
void *atl_create_dir(apr_pool_t *p, char *dir);
void *atl_merge_dir(apr_pool_t *p, void *basev, void *addv);

atl_srv_conf *atl_srv(const server_rec *s);
atl_dir_conf *atl_dir(const request_rec *r);
const char *atl_or(const char *v, const char *dflt);

/* Note a site and group of a Require atlassian-group line of the server
 * being configured (each pair once). */
void atl_config_add_group(cmd_parms *cmd, const char *site, const char *group);

/* The purpose of a sealed value of kind what ("login", "pending", ...) for
 * this server: bound to its client ID. */
const char *atl_purpose(apr_pool_t *p, const atl_srv_conf *c, const char *what);

/* How a startup message names server s: "the main server (ServerName
 * x)" or "<VirtualHost addr> at file:line, ServerName x", as written. */
const char *atl_server_label(apr_pool_t *p, const server_rec *s);

#endif
