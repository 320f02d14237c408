/* SPDX-License-Identifier: Apache-2.0 */
/* The logged-in identity: its fields and their names, copies, cleaning of
 * values. How it is stored is in atl_identity_codec.c, how it is matched
 * in atl_identity_match.c. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"
#include "atl_identity_private.h"

/* Common values and prefixes, which the storage format writes as their
 * index (docs/storage-format.md). The lists are part of the format:
 * append to a list, never reorder or remove an entry. */
static const char *const abbrev_picture[] = {
    "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/",
    "https://secure.gravatar.com/avatar/", NULL};
static const char *const abbrev_type[] = {"atlassian", "app", "customer", NULL};
static const char *const abbrev_status[] = {"active", "inactive", "closed", NULL};
static const char *const abbrev_bool[] = {"true", "false", NULL};
static const char *const abbrev_locale[] = {"en-US", "en-GB", "en", NULL};
static const char *const abbrev_zone[] = {"America/", "Europe/", "Australia/", "Asia/",
                                          "Pacific/", "Africa/", NULL};

#define MAXF ATL_IDENTITY_MAX_FIELD

/* Indexed by atl_field_e, which may be reordered freely: the number names
 * the field in the storage format. A new field takes a number never used
 * before (see docs/storage-format.md for those taken); 0 is a field that
 * is derived, not stored. */
const atl_field_desc_t atl_identity_fields[ATL_F_COUNT] = {
    {"ATLASSIAN_ACCOUNT_ID", "X-Atlassian-Account-Id", "account_id", 2, MAXF, NULL},
    {"ATLASSIAN_EMAIL", "X-Atlassian-Email", "email", 3, MAXF, NULL},
    {"ATLASSIAN_NAME", "X-Atlassian-Name", "name", 4, MAXF, NULL},
    {"ATLASSIAN_NICKNAME", "X-Atlassian-Nickname", "nickname", 5, MAXF, NULL},
    {"ATLASSIAN_PICTURE", "X-Atlassian-Picture", "picture", 6, ATL_IDENTITY_MAX_PICTURE,
     abbrev_picture},
    {"ATLASSIAN_ACCOUNT_TYPE", "X-Atlassian-Account-Type", "account_type", 7, MAXF,
     abbrev_type},
    {"ATLASSIAN_ACCOUNT_STATUS", "X-Atlassian-Account-Status", "account_status", 8, MAXF,
     abbrev_status},
    {"ATLASSIAN_LOCALE", "X-Atlassian-Locale", "locale", 9, MAXF, abbrev_locale},
    {"ATLASSIAN_ZONEINFO", "X-Atlassian-Zoneinfo", "zoneinfo", 10, MAXF, abbrev_zone},
    {"ATLASSIAN_EMAIL_VERIFIED", "X-Atlassian-Email-Verified", "email_verified", 11, MAXF,
     abbrev_bool},
    {"ATLASSIAN_JOB_TITLE", "X-Atlassian-Job-Title", "job_title", 12, MAXF, NULL},
    {"ATLASSIAN_DEPARTMENT", "X-Atlassian-Department", "department", 13, MAXF, NULL},
    {"ATLASSIAN_ORGANIZATION", "X-Atlassian-Organization", "organization", 14, MAXF,
     NULL},
    {"ATLASSIAN_LOCATION", "X-Atlassian-Location", "location", 15, MAXF, NULL},
    {"ATLASSIAN_SITES", "X-Atlassian-Sites", "sites", 0, 0, NULL},
    {"ATLASSIAN_SITE_IDS", "X-Atlassian-Site-Ids", "site_ids", 0, 0, NULL},
    {"ATLASSIAN_GROUPS", "X-Atlassian-Groups", "groups", 0, 0, NULL},
    {"ATLASSIAN_LOGIN_TIME", "X-Atlassian-Login-Time", "login_time", 0, 0, NULL},
    {"ATLASSIAN_ACCESS_TOKEN", "X-Atlassian-Access-Token", "access_token", 16,
     ATL_IDENTITY_MAX_TOKEN, NULL},
};

#define fields atl_identity_fields

const char *atl_identity_var_name(atl_field_e f)
{
    return (unsigned)f < ATL_F_COUNT ? fields[f].var : NULL;
}

const char *atl_identity_header_name(atl_field_e f)
{
    return (unsigned)f < ATL_F_COUNT ? fields[f].header : NULL;
}

const char *atl_identity_json_name(atl_field_e f)
{
    return (unsigned)f < ATL_F_COUNT ? fields[f].json : NULL;
}

atl_identity_t *atl_identity_make(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(atl_identity_t));
}

static const char *dup_or_null(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

atl_identity_t *atl_identity_copy(apr_pool_t *p, const atl_identity_t *id)
{
    atl_identity_t *c;
    int i, j;

    if (id == NULL) {
        return NULL;
    }
    c = apr_pmemdup(p, id, sizeof(*id));
    for (i = 0; i < ATL_F_COUNT; i++) {
        c->f[i] = dup_or_null(p, id->f[i]);
    }
    c->refresh_token = dup_or_null(p, id->refresh_token);
    if (id->groups) {
        c->groups = apr_array_make(p, id->groups->nelts > 0 ? id->groups->nelts : 1,
                                   sizeof(const char *));
        for (i = 0; i < id->groups->nelts; i++) {
            APR_ARRAY_PUSH(c->groups, const char *) =
                dup_or_null(p, APR_ARRAY_IDX(id->groups, i, const char *));
        }
    }
    if (id->sites) {
        c->sites = apr_array_make(p, id->sites->nelts > 0 ? id->sites->nelts : 1,
                                  sizeof(atl_site_t));
        for (i = 0; i < id->sites->nelts; i++) {
            const atl_site_t *s = &APR_ARRAY_IDX(id->sites, i, atl_site_t);
            atl_site_t *t = apr_array_push(c->sites);

            t->id = dup_or_null(p, s->id);
            t->name = dup_or_null(p, s->name);
            t->host = dup_or_null(p, s->host);
            t->scopes = NULL;
            if (s->scopes) {
                t->scopes = apr_array_make(p, s->scopes->nelts > 0 ? s->scopes->nelts : 1,
                                           sizeof(const char *));
                for (j = 0; j < s->scopes->nelts; j++) {
                    APR_ARRAY_PUSH(t->scopes, const char *) =
                        dup_or_null(p, APR_ARRAY_IDX(s->scopes, j, const char *));
                }
            }
        }
    }
    return c;
}

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int atl_identity_has_control(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (is_ctl((unsigned char)s[i])) {
            return 1;
        }
    }
    return 0;
}

const char *atl_identity_sanitize(apr_pool_t *p, const char *v, apr_size_t len,
                                  apr_size_t max)
{
    char *out;
    apr_size_t i, n = 0;

    if (v == NULL) {
        return NULL;
    }
    out = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        if (!is_ctl((unsigned char)v[i])) {
            out[n++] = v[i];
        }
    }
    if (n > max) {
        /* Cutting at a continuation byte (10xxxxxx) would split the
         * sequence that started before it: step back to its lead byte. */
        n = max;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    if (n == 0) {
        return NULL;
    }
    out[n] = '\0';
    return out;
}

void atl_identity_join_sites(atl_identity_t *id, apr_pool_t *p)
{
    apr_array_header_t *hosts, *ids;
    int i;

    id->f[ATL_F_SITES] = NULL;
    id->f[ATL_F_SITE_IDS] = NULL;
    if (id->sites == NULL || id->sites->nelts == 0) {
        return;
    }
    hosts = apr_array_make(p, id->sites->nelts, sizeof(const char *));
    ids = apr_array_make(p, id->sites->nelts, sizeof(const char *));
    for (i = 0; i < id->sites->nelts; i++) {
        const atl_site_t *s = &APR_ARRAY_IDX(id->sites, i, atl_site_t);
        if (s->host && *s->host) {
            APR_ARRAY_PUSH(hosts, const char *) = s->host;
        }
        if (s->id && *s->id) {
            APR_ARRAY_PUSH(ids, const char *) = s->id;
        }
    }
    if (hosts->nelts > 0) {
        id->f[ATL_F_SITES] = apr_array_pstrcat(p, hosts, ',');
    }
    if (ids->nelts > 0) {
        id->f[ATL_F_SITE_IDS] = apr_array_pstrcat(p, ids, ',');
    }
}

void atl_identity_join_groups(atl_identity_t *id, apr_pool_t *p)
{
    id->f[ATL_F_GROUPS] = NULL;
    if (id->groups && id->groups->nelts > 0) {
        id->f[ATL_F_GROUPS] = apr_array_pstrcat(p, id->groups, ',');
    }
}

int atl_identity_has_group(const atl_identity_t *id, const char *entry)
{
    int i;

    for (i = 0; id->groups && entry && i < id->groups->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(id->groups, i, const char *), entry)) {
            return 1;
        }
    }
    return 0;
}
