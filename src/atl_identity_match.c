/* SPDX-License-Identifier: Apache-2.0 */
/* The identity's matching rules: well-formed email addresses, email
 * patterns with wildcards, and sites by name, URL host or cloud id. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int atl_identity_email_valid(const char *email)
{
    const char *at = NULL;
    const char *c;

    if (email == NULL) {
        return 0;
    }
    for (c = email; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (is_ctl(u) || apr_isspace(u)) {
            return 0;
        }
        if (u == '@') {
            if (at) {
                return 0;
            }
            at = c;
        }
    }
    return at != NULL && at != email && at[1] != '\0';
}

/* Glob match of '*' and '?' against s, ASCII case-insensitively. The
 * backtracking keeps only the last '*', so the work is at most
 * strlen(pattern) * strlen(s), never exponential. */
static int glob_match(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        }
        else if (*pat == '?'
                 || (*pat
                     && apr_tolower((unsigned char)*pat)
                            == apr_tolower((unsigned char)*s))) {
            pat++;
            s++;
        }
        else if (star) {
            pat = star + 1;
            s = ++resume;
        }
        else {
            return 0;
        }
    }
    while (*pat == '*') {
        pat++;
    }
    return *pat == '\0';
}

int atl_identity_email_match(const char *pattern, const char *email)
{
    if (pattern == NULL || !atl_identity_email_valid(email)) {
        return 0;
    }
    return glob_match(pattern, email);
}

/* Whether s has the form of a cloud id (8-4-4-4-12 hex digits). */
static int looks_like_cloud_id(const char *s)
{
    apr_size_t i;

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !apr_isxdigit(s[i])) {
            return 0;
        }
    }
    return s[36] == '\0';
}

int atl_identity_has_site(const atl_identity_t *id, const char *site)
{
    int i, by_name;

    if (id == NULL || id->sites == NULL || site == NULL || *site == '\0') {
        return 0;
    }
    /* A value with a dot is a host and only ever matches a URL host, and
     * one shaped like a cloud id only a cloud id: a site's name is chosen
     * by whoever runs that site, so a site named "acme.atlassian.net" must
     * not pass for acme.atlassian.net. */
    by_name = strchr(site, '.') == NULL && !looks_like_cloud_id(site);
    for (i = 0; i < id->sites->nelts; i++) {
        const atl_site_t *s = &APR_ARRAY_IDX(id->sites, i, atl_site_t);
        if ((s->id && strcmp(s->id, site) == 0)
            || (by_name && s->name && strcasecmp(s->name, site) == 0)
            || (s->host && strcasecmp(s->host, site) == 0)) {
            return 1;
        }
    }
    return 0;
}
