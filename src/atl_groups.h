/* SPDX-License-Identifier: Apache-2.0 */
/* Group membership on one Atlassian site, read with the user's own token
 * (for `Require atlassian-group site group...`). Built on atl_http and
 * atl_json_groups; no httpd header.
 *
 * Atlassian has no organisation-wide group API that accepts a user's 3LO
 * token, so membership is read from a product on the site, through the
 * API gateway (AtlassianAPIURL, https://api.atlassian.com by default):
 *
 *   Jira        GET <api>/ex/jira/<cloudid>/rest/api/3/myself?expand=groups
 *               scope read:jira-user (or the granular read:user:jira
 *               read:group:jira read:application-role:jira read:avatar:jira).
 *               Jira lists at most 1,000 groups there (with the full size);
 *               a list cut short is read whole from
 *               GET .../rest/api/3/user/groups?accountId=<id> (same scope;
 *               needs the "Browse users and groups" global permission)
 *   Confluence  GET <api>/ex/confluence/<cloudid>/wiki/rest/api/user/memberof
 *                   ?accountId=<id>&start=0&limit=200, then page after page
 *               by _links.next as given (relative to the site's wiki base
 *               through the gateway, or absolute), never off the API host
 *               or the site's wiki path
 *               scope read:confluence-user (or the granular
 *               read:user:confluence read:group:confluence)
 *
 * Which product a site has shows only in the scopes accessible-resources
 * lists for it: a site with any Jira scope is asked through Jira, a site
 * with Confluence scopes only through Confluence.
 *
 * How the glue uses it, at login (the sites were just fetched, with their
 * scopes) and again when a membership is older than
 * AtlassianGroupCheckInterval:
 *
 *   site = atl_groups_find_site(id->sites, "acme.atlassian.net");
 *   product = atl_groups_product(site);      (keep it: see below)
 *   rv = atl_groups_fetch(&res, &reason, p, &conf, site->id, product,
 *                         id->f[ATL_F_ACCOUNT_ID], access_token);
 *   if (rv == APR_SUCCESS)
 *       n = atl_groups_match(&matched, p, wanted, res->groups);
 *
 * The sealed identity does not keep a site's scopes, so a later check
 * needs the product from somewhere else: kept with the membership (in the
 * cache or the session) or decided again from a fresh accessible-resources
 * answer.
 *
 * Only APR_SUCCESS says anything about the user. Every failure code means
 * "not known": the glue must not read one as "not a member" and cache it.
 */
#ifndef ATL_GROUPS_H
#define ATL_GROUPS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"
#include "atl_http.h"
#include "atl_identity.h"

typedef enum {
    ATL_PRODUCT_NONE = 0,  /* unknown: neither Jira nor Confluence scopes */
    ATL_PRODUCT_JIRA,      /* ask Jira (also when the site has Confluence) */
    ATL_PRODUCT_CONFLUENCE /* the site has Confluence only */
} atl_product_e;

/* One group as a product reports it. */
typedef struct {
    const char *name; /* never NULL nor empty */
    const char *id;   /* groupId (Jira) or id (Confluence); NULL when the
                         product gave none (such a group matches by name
                         only) */
} atl_group_t;

/* Limits of one fetch. Pages of 200: 50 pages hold 10,000 groups. */
#define ATL_GROUPS_PAGE_LIMIT 200
#define ATL_GROUPS_MAX_PAGES  50
#define ATL_GROUPS_MAX_GROUPS 10000
#define ATL_GROUPS_MAX_NAME   512 /* a longer name or id fails the answer */

typedef struct {
    const char *api_url;   /* AtlassianAPIURL, e.g. "https://api.atlassian.com";
                              a trailing '/' is ignored */
    atl_http_opts_t http;  /* per call: CA file, timeout, max_body (Jira
                              answers about 150 bytes per group: 1 MB is
                              ample) */
    long total_timeout_ms; /* the whole fetch, all pages together; 0: only
                              the per-call timeout applies */
    int max_pages;         /* Confluence pages; 0 or more than
                              ATL_GROUPS_MAX_PAGES: ATL_GROUPS_MAX_PAGES */
} atl_groups_conf_t;

typedef struct {
    atl_product_e product;      /* the product asked */
    apr_array_header_t *groups; /* of atl_group_t; set on APR_SUCCESS only */
    long status;                /* HTTP status of the last answer, 0 when none */
    apr_int64_t retry_after;    /* with ATL_E_RATELIMIT: the seconds Atlassian
                                   asked to wait, 0 when it did not say */
    int calls;                  /* HTTP requests made */
} atl_groups_result_t;

/* The site among sites (of atl_site_t, as atl_json_parse_sites makes them)
 * whose cloud id is site exactly, or whose URL host is site (compared
 * case-insensitively). NULL when sites or site is NULL or none matches. */
const atl_site_t *atl_groups_find_site(const apr_array_header_t *sites, const char *site);

/* The product to ask on this site, from its scopes: ATL_PRODUCT_JIRA when
 * one scope names Jira (read:jira-user, read:group:jira, ...; Jira Service
 * Management's servicedesk scopes count as Jira), else
 * ATL_PRODUCT_CONFLUENCE when one names Confluence, else ATL_PRODUCT_NONE
 * (also when site or its scopes are NULL). */
atl_product_e atl_groups_product(const atl_site_t *site);

/* "jira", "confluence" or "none", for messages and cache keys. */
const char *atl_groups_product_name(atl_product_e product);

/* Read the groups of the token's user on the site with this cloud id,
 * from product. account_id is needed for Confluence, and for Jira when its
 * expanded list was cut short.
 * *res is always set (never NULL), also on failure. Returns:
 *   APR_SUCCESS      (*res)->groups holds every group (maybe none)
 *   ATL_E_SCOPE      401 "scope does not match": *reason names the
 *                    scope to add to AtlassianScope (users must then log
 *                    in again to consent)
 *   ATL_E_FORBIDDEN  any other 401, or 403: the token is refused (expired,
 *                    revoked) or the user may not use the product there;
 *                    (*res)->status tells which
 *   ATL_E_RATELIMIT  429 or 503; (*res)->retry_after
 *   ATL_E_TIMEOUT    a call, or the whole fetch, took too long
 *   ATL_E_MALFORMED  not the documented JSON, the group expansion not
 *                    applied (no items but a size), more items than the
 *                    size says, fewer when the complete list cannot be
 *                    read either (a rate limit or timeout there gives its
 *                    own code), a paging link that does not move on or
 *                    leaves the API host or the site's wiki path, more
 *                    than max_pages pages
 *   ATL_E_TOOBIG     an answer over max_body, or more than
 *                    ATL_GROUPS_MAX_GROUPS groups
 *   ATL_E_UPSTREAM   not reached, TLS, any other non-2xx answer
 *   ATL_E_BADINPUT   no api_url, cloud id, token, product (NONE), or no
 *                    account id for Confluence
 * and on failure sets *reason: one line for the administrator (product,
 * URL, HTTP status, Atlassian's message), never the token. */
apr_status_t atl_groups_fetch(atl_groups_result_t **res, const char **reason,
                              apr_pool_t *p, const atl_groups_conf_t *c,
                              const char *cloud_id, atl_product_e product,
                              const char *account_id, const char *access_token);

/* Whether the configured value names a group by its id: it has the form
 * of a UUID (8-4-4-4-12 hex digits). Anything else is a group name. */
int atl_groups_is_id(const char *wanted);

/* One configured value that the user's groups satisfy. */
typedef struct {
    const char *wanted; /* as configured */
    const char *name;   /* the group's name, as the product reports it */
    const char *id;     /* the group's id, NULL when it has none */
} atl_group_match_t;

/* Which of the wanted values (const char *, as configured on one
 * Require line for one site) the groups (of atl_group_t) satisfy. A value
 * of UUID form (atl_groups_is_id) matches a group id only, comparing hex
 * digits case-insensitively; a group without an id never matches one.
 * Any other value matches a group name, case-insensitively for ASCII
 * letters (as Jira treats names) and byte for byte otherwise. *matched
 * (of atl_group_match_t, in the order of wanted, each entry of wanted at
 * most once, with the first group it matched) is always made; returns its
 * number of entries. NULL or empty wanted values match nothing. */
int atl_groups_match(apr_array_header_t **matched, apr_pool_t *p,
                     const apr_array_header_t *wanted, const apr_array_header_t *groups);

#endif
