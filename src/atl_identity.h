/* SPDX-License-Identifier: Apache-2.0 */
/* The logged-in identity: its fields, how they are named for CGI and for
 * backends, how they are stored (before sealing), and matching rules. */
#ifndef ATL_IDENTITY_H
#define ATL_IDENTITY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

/* Order matters: it is the order of the variables, headers and JSON. It
 * does not matter to the storage format, which names each field by its
 * number (atl_identity_fields[] in atl_identity.c). */
typedef enum {
    ATL_F_ACCOUNT_ID = 0, /* account_id */
    ATL_F_EMAIL,          /* email */
    ATL_F_NAME,           /* name */
    ATL_F_NICKNAME,       /* nickname */
    ATL_F_PICTURE,        /* picture */
    ATL_F_ACCOUNT_TYPE,   /* account_type */
    ATL_F_ACCOUNT_STATUS, /* account_status */
    ATL_F_LOCALE,         /* locale */
    ATL_F_ZONEINFO,       /* zoneinfo */
    ATL_F_EMAIL_VERIFIED, /* email_verified: "true" / "false" */
    ATL_F_JOB_TITLE,      /* extended_profile.job_title */
    ATL_F_DEPARTMENT,     /* extended_profile.department */
    ATL_F_ORGANIZATION,   /* extended_profile.organization */
    ATL_F_LOCATION,       /* extended_profile.location */
    ATL_F_SITES,          /* site URL hosts, comma-separated */
    ATL_F_SITE_IDS,       /* cloud ids, comma-separated */
    ATL_F_GROUPS,         /* "site/group" as configured, comma-separated */
    ATL_F_LOGIN_TIME,     /* seconds since the epoch, decimal */
    ATL_F_ACCESS_TOKEN,   /* only stored when the login asked for it */
    ATL_F_COUNT
} atl_field_e;

typedef struct {
    const char *id;   /* cloud id */
    const char *name; /* site name */
    const char *host; /* host of the site URL, lower case */
    /* The scopes accessible-resources lists for the site (const char *),
     * which tell which products it has; NULL when unknown. Only kept while
     * the answer is at hand: the sealed identity does not store them. */
    apr_array_header_t *scopes;
} atl_site_t;

typedef struct {
    const char *f[ATL_F_COUNT]; /* NULL: absent. Never contain control
                                   characters, never empty. */
    apr_array_header_t *sites;  /* of atl_site_t; NULL: not fetched */
    const char *refresh_token;  /* NULL unless the login kept it */
    apr_int64_t login_time;     /* seconds since the epoch */
    apr_int64_t token_expiry;   /* seconds since the epoch, 0: unknown */
    /* The configured groups (Require atlassian-group) the user was found
     * in, each "site/group" exactly as configured (const char *); NULL
     * when no membership was checked. */
    apr_array_header_t *groups;
    apr_int64_t groups_checked; /* when groups was found, seconds since the
                                   epoch */
} atl_identity_t;

/* Upper bounds on stored values, so that a session cookie stays < 4 KB. */
#define ATL_IDENTITY_MAX_FIELD   256 /* every profile field but these: */
#define ATL_IDENTITY_MAX_PICTURE 512
#define ATL_IDENTITY_MAX_TOKEN   4096 /* access and refresh tokens */
#define ATL_IDENTITY_MAX_SITES   16   /* further sites are dropped */
#define ATL_IDENTITY_MAX_GROUPS  32   /* further groups are dropped */

/* "ATLASSIAN_ACCOUNT_ID", "X-Atlassian-Account-Id", "account_id". */
const char *atl_identity_var_name(atl_field_e f);
const char *atl_identity_header_name(atl_field_e f);
const char *atl_identity_json_name(atl_field_e f);

/* A new, empty identity. */
atl_identity_t *atl_identity_make(apr_pool_t *p);

/* A deep copy of id in p: no string or array of it is shared. */
atl_identity_t *atl_identity_copy(apr_pool_t *p, const atl_identity_t *id);

/* Clean a value for storage: control characters (< 0x20, 0x7f) removed,
 * cut to at most max bytes without splitting a UTF-8 sequence. Returns
 * NULL when nothing is left. */
const char *atl_identity_sanitize(apr_pool_t *p, const char *v, apr_size_t len,
                                  apr_size_t max);

/* Whether the len bytes of s hold a control character (< 0x20, NUL
 * included, or 0x7f). */
int atl_identity_has_control(const char *s, apr_size_t len);

/* Set ATL_F_SITES and ATL_F_SITE_IDS from id->sites. */
void atl_identity_join_sites(atl_identity_t *id, apr_pool_t *p);

/* Set ATL_F_GROUPS from id->groups. */
void atl_identity_join_groups(atl_identity_t *id, apr_pool_t *p);

/* Whether id->groups holds entry ("site/group", compared exactly). */
int atl_identity_has_group(const atl_identity_t *id, const char *entry);

/* Serialise for sealing, and back (atl_identity_codec.c, specified in
 * docs/storage-format.md). The encoding is binary: *len bytes, NUL bytes
 * among them. decode fails with ATL_E_MALFORMED on anything that is not
 * a whole, valid encoding. A new field needs one line in
 * atl_identity_fields[] (its names, a storage number never used before,
 * its bound). */
apr_status_t atl_identity_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const atl_identity_t *id);
apr_status_t atl_identity_decode(atl_identity_t **id, apr_pool_t *p, const char *s,
                                 apr_size_t len);

/* One well-formed address: exactly one '@', non-empty local part and
 * domain, no whitespace or control characters, no NUL before len. */
int atl_identity_email_valid(const char *email);

/* Case-insensitive match of an email against a pattern with '*' and '?'
 * wildcards. Never matches an email that is not atl_identity_email_valid. */
int atl_identity_email_match(const char *pattern, const char *email);

/* Whether one of id->sites has this name, URL host or cloud id
 * (host and name compared case-insensitively). 0 when sites is NULL. */
int atl_identity_has_site(const atl_identity_t *id, const char *site);

#endif
