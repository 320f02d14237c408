/* SPDX-License-Identifier: Apache-2.0 */
/* The Require providers of the module. Each grants on the identity the
 * request's login carries (see atl_get_identity). */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "ap_provider.h"

#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_seal.h"
#include "mod_atl_authz.h"
#include "mod_atl_config.h"
#include "mod_atl_groups.h"
#include "mod_atl_pages.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

static const char *atl_parse_require(cmd_parms *cmd, const char *line,
                                     const void **parsed)
{
    apr_array_header_t *args = apr_array_make(cmd->pool, 2, sizeof(const char *));
    const char *w;

    while (*(w = ap_getword_conf(cmd->pool, &line))) {
        APR_ARRAY_PUSH(args, const char *) = w;
    }
    if (!args->nelts) {
        return "ATL00516: this Require needs at least one value";
    }
    *parsed = args;
    return NULL;
}

/* The module's per-directory config of the section a Require line is in.
 * httpd makes a module's per-directory config only for its first
 * directive in a section, so a section whose only mention of the module
 * is a Require line gets one here. */
static atl_dir_conf *atl_require_dir(cmd_parms *cmd)
{
    atl_dir_conf *d = ap_get_module_config(cmd->context, &auth_atlassian_module);

    if (!d) {
        d = atl_create_dir(cmd->pool, (char *)cmd->path);
        ap_set_module_config(cmd->context, &auth_atlassian_module, d);
    }
    return d;
}

static const char *atl_parse_require_site(cmd_parms *cmd, const char *line,
                                          const void **parsed)
{
    /* The location that asks for sites fetches them at login. */
    if (cmd->context) {
        atl_require_dir(cmd)->require_sites = 1;
    }
    return atl_parse_require(cmd, line, parsed);
}

/* A parsed "Require [not] atlassian-group site group..." line. */
typedef struct {
    const apr_array_header_t *args; /* site, then the groups */
    int negated;                    /* "Require not", or in <RequireNone> */
} atl_group_line_t;

/* Whether the Require line being parsed is negated: "Require not ...", or
 * inside a <RequireNone> (at any depth). mod_authz_core applies the
 * negation itself and never tells the provider; a denial under any
 * negation becomes neutral. */
static int atl_require_negated(cmd_parms *cmd)
{
    const ap_directive_t *d = cmd->directive;
    const char *args = d ? d->args : NULL;

    if (args && !strcasecmp(ap_getword_conf(cmd->temp_pool, &args), "not")) {
        return 1;
    }
    for (d = d ? d->parent : NULL; d; d = d->parent) {
        if (d->directive && !strcasecmp(d->directive, "<RequireNone")) {
            return 1;
        }
    }
    return 0;
}

/* "site group...": the login step checks the groups of every such line of
 * the server, so the line is noted for the server being configured. In
 * .htaccess (read per request, after the login step's list was made) it
 * is refused rather than never granting. */
static const char *atl_parse_require_group(cmd_parms *cmd, const char *line,
                                           const void **parsed)
{
    const apr_array_header_t *args;
    atl_group_line_t *parsed_line;
    const char *err = atl_parse_require(cmd, line, parsed);
    int i;

    if (err) {
        return err;
    }
    args = *parsed;
    if (args->nelts < 2) {
        return "ATL00321: Require atlassian-group needs a site (URL host or cloud id) "
               "and "
               "at least one group (id or name)";
    }
    if (ap_check_cmd_context(cmd, NOT_IN_HTACCESS)) {
        return "ATL00316: Require atlassian-group is not allowed in .htaccess: "
               "the groups a login checks are those of the server configuration";
    }
    for (i = 0; i < args->nelts; i++) {
        const char *w = APR_ARRAY_IDX(args, i, const char *);

        /* ATLASSIAN_GROUPS lists "site/group" entries, comma-separated. */
        if (strchr(w, ',') || (i == 0 && strchr(w, '/'))) {
            return apr_psprintf(cmd->pool,
                                "ATL00322: Require atlassian-group: '%s' may not contain "
                                "a comma%s",
                                w, i == 0 ? " or a slash" : "");
        }
    }
    if (cmd->context) {
        atl_require_dir(cmd)->require_groups = 1;
    }
    for (i = 1; i < args->nelts; i++) {
        atl_config_add_group(cmd, APR_ARRAY_IDX(args, 0, const char *),
                             APR_ARRAY_IDX(args, i, const char *));
    }
    parsed_line = apr_palloc(cmd->pool, sizeof(*parsed_line));
    parsed_line->args = args;
    parsed_line->negated = atl_require_negated(cmd);
    *parsed = parsed_line;
    return NULL;
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

/* A membership that is not known never grants, negated or not. A denial
 * would do for "Require atlassian-group"; for "Require not ..." httpd makes
 * a denial neutral and another Require of a <RequireAll> would grant, so
 * the negated line answers an error, which negation leaves as it is: the
 * request gets the same 502/503/504 page and log lines (the 500 of
 * mod_authz_core becomes that page, see atl_insert_error_filter). */
static authz_status atl_authz_group(request_rec *r, const char *line, const void *p)
{
    const atl_group_line_t *parsed = p;
    const apr_array_header_t *args = parsed->args;
    const char *site = APR_ARRAY_IDX(args, 0, const char *), *why;
    apr_array_header_t *need;
    atl_identity_t *id;
    apr_int64_t retry_after;
    int i, status;

    if (!r->user || !*r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    id = atl_get_identity(r);
    if (!id) {
        if (parsed->negated) {
            ap_log_rerror(
                APLOG_MARK, APLOG_ERR, 0, r,
                "ATL00621: a negated Require atlassian-group %s: user %s has no "
                "Atlassian login to check (is \"AuthType Atlassian\" "
                "set here?): refused, 500",
                site, ap_escape_logitem(r->pool, r->user));
            return AUTHZ_GENERAL_ERROR;
        }
        return AUTHZ_DENIED;
    }
    why = atl_groups_failure(r, site, &status, &retry_after);
    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00315: Require atlassian-group %s: the membership of "
                      "account %s is not known (%s): not granted, %d",
                      site, id->f[ATL_F_ACCOUNT_ID], why, status);
        atl_note_group_failure(r, status, retry_after);
        if (parsed->negated) {
            /* What mod_authz_core's refusal would have run: the note and
             * the log line that turn the answer into that status. */
            atl_note_auth_failure(r, ATL_AUTH_TYPE);
            return AUTHZ_GENERAL_ERROR;
        }
        return AUTHZ_DENIED;
    }
    need = apr_array_make(r->pool, args->nelts, sizeof(const char *));
    for (i = 1; i < args->nelts; i++) {
        const char *entry =
            apr_pstrcat(r->pool, site, "/", APR_ARRAY_IDX(args, i, const char *), NULL);

        if (atl_identity_has_group(id, entry)) {
            return AUTHZ_GRANTED;
        }
        APR_ARRAY_PUSH(need, const char *) = entry;
    }
    atl_note_group_needed(r, apr_array_pstrcat(r->pool, need, ','));
    return AUTHZ_DENIED;
}

static const authz_provider atl_provider_email = {atl_authz_email, atl_parse_require};
static const authz_provider atl_provider_account = {atl_authz_account, atl_parse_require};
static const authz_provider atl_provider_site = {atl_authz_site, atl_parse_require_site};
static const authz_provider atl_provider_group = {atl_authz_group,
                                                  atl_parse_require_group};

void atl_authz_register(apr_pool_t *p)
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
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "atlassian-group",
                              AUTHZ_PROVIDER_VERSION, &atl_provider_group,
                              AP_AUTH_INTERNAL_PER_CONF);
}
