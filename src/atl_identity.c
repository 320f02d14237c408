/* The logged-in identity: names, storage format and matching rules.
 *
 * Storage format (before sealing): lines ending in '\n', the first one the
 * version "I1", then one line per value, its first byte a code saying what
 * it is and the rest the value itself:
 *
 *     I1
 *     a<account_id>         one line per present field, code from fields[]
 *     t<login_time>         decimal seconds since the epoch
 *     x<token_expiry>       decimal, only when not 0
 *     r<refresh_token>      only when kept
 *     L                     sites were fetched (possibly none)
 *     S<cloud id>           starts a site; N<name> and H<host> follow it
 *     G<checked>            groups were checked then (decimal seconds)
 *     g<site/group>         one line per configured group the user is in
 *     .                     the end: a cut encoding is never read as a shorter one
 *
 * Values never hold control characters (checked when encoding and when
 * decoding), so a newline always ends a value. ATL_F_SITES, ATL_F_SITE_IDS
 * and ATL_F_LOGIN_TIME are not stored: decode derives them from the sites
 * and login_time; ATL_F_GROUPS from the groups. A value written before
 * groups existed (no G line) decodes as before. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_identity.h"

typedef struct {
    const char *var;
    const char *header;
    const char *json;
    char code;      /* storage code; 0: derived, not stored */
    apr_size_t max; /* longest value stored */
} field_desc_t;

/* Indexed by atl_field_e. */
static const field_desc_t fields[ATL_F_COUNT] = {
    {"ATLASSIAN_ACCOUNT_ID", "X-Atlassian-Account-Id", "account_id", 'a',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_EMAIL", "X-Atlassian-Email", "email", 'e', ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_NAME", "X-Atlassian-Name", "name", 'n', ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_NICKNAME", "X-Atlassian-Nickname", "nickname", 'k',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_PICTURE", "X-Atlassian-Picture", "picture", 'p',
     ATL_IDENTITY_MAX_PICTURE},
    {"ATLASSIAN_ACCOUNT_TYPE", "X-Atlassian-Account-Type", "account_type", 'y',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_ACCOUNT_STATUS", "X-Atlassian-Account-Status", "account_status", 's',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_LOCALE", "X-Atlassian-Locale", "locale", 'l', ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_ZONEINFO", "X-Atlassian-Zoneinfo", "zoneinfo", 'z',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_EMAIL_VERIFIED", "X-Atlassian-Email-Verified", "email_verified", 'v',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_JOB_TITLE", "X-Atlassian-Job-Title", "job_title", 'j',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_DEPARTMENT", "X-Atlassian-Department", "department", 'd',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_ORGANIZATION", "X-Atlassian-Organization", "organization", 'o',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_LOCATION", "X-Atlassian-Location", "location", 'w',
     ATL_IDENTITY_MAX_FIELD},
    {"ATLASSIAN_SITES", "X-Atlassian-Sites", "sites", 0, 0},
    {"ATLASSIAN_SITE_IDS", "X-Atlassian-Site-Ids", "site_ids", 0, 0},
    {"ATLASSIAN_GROUPS", "X-Atlassian-Groups", "groups", 0, 0},
    {"ATLASSIAN_LOGIN_TIME", "X-Atlassian-Login-Time", "login_time", 0, 0},
    {"ATLASSIAN_ACCESS_TOKEN", "X-Atlassian-Access-Token", "access_token", 'c',
     ATL_IDENTITY_MAX_TOKEN},
};

#define ID_VERSION "I1"

/* Longest stored encoding that decode accepts; anything larger is not ours. */
#define ID_MAX_ENCODED (64 * 1024)

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

/* Whether v is fit to be stored: non-empty, at most max bytes, no control
 * character. */
static int storable(const char *v, apr_size_t max)
{
    apr_size_t i;

    for (i = 0; v[i]; i++) {
        if (i >= max || is_ctl((unsigned char)v[i])) {
            return 0;
        }
    }
    return i > 0;
}

static void push_line(apr_array_header_t *out, apr_pool_t *p, char code,
                      const char *value)
{
    APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p, "%c%s\n", code, value);
}

apr_status_t atl_identity_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                                 const atl_identity_t *id)
{
    apr_array_header_t *lines;
    const char *s;
    int i;

    *out = NULL;
    if (len) {
        *len = 0;
    }
    if (id == NULL || id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_BADINPUT;
    }
    lines = apr_array_make(p, ATL_F_COUNT + 8, sizeof(const char *));
    APR_ARRAY_PUSH(lines, const char *) = ID_VERSION "\n";

    for (i = 0; i < ATL_F_COUNT; i++) {
        const char *v = id->f[i];
        if (fields[i].code == 0 || v == NULL || *v == '\0') {
            continue;
        }
        if (!storable(v, fields[i].max)) {
            return strlen(v) > fields[i].max ? ATL_E_TOOBIG : ATL_E_BADINPUT;
        }
        if (i == ATL_F_EMAIL_VERIFIED && strcmp(v, "true") != 0
            && strcmp(v, "false") != 0) {
            return ATL_E_BADINPUT;
        }
        push_line(lines, p, fields[i].code, v);
    }
    if (id->login_time < 0 || id->token_expiry < 0) {
        return ATL_E_BADINPUT;
    }
    push_line(lines, p, 't', apr_psprintf(p, "%" APR_INT64_T_FMT, id->login_time));
    if (id->token_expiry > 0) {
        push_line(lines, p, 'x', apr_psprintf(p, "%" APR_INT64_T_FMT, id->token_expiry));
    }
    if (id->refresh_token && *id->refresh_token) {
        if (!storable(id->refresh_token, ATL_IDENTITY_MAX_TOKEN)) {
            return strlen(id->refresh_token) > ATL_IDENTITY_MAX_TOKEN ? ATL_E_TOOBIG
                                                                      : ATL_E_BADINPUT;
        }
        push_line(lines, p, 'r', id->refresh_token);
    }
    if (id->sites) {
        APR_ARRAY_PUSH(lines, const char *) = "L\n";
        for (i = 0; i < id->sites->nelts && i < ATL_IDENTITY_MAX_SITES; i++) {
            const atl_site_t *site = &APR_ARRAY_IDX(id->sites, i, atl_site_t);
            /* Site values are display data from Atlassian: cleaned here
             * rather than refused, so that one odd site name cannot break
             * a login. A site without an id cannot be stored. */
            const char *sid = site->id ? atl_identity_sanitize(
                                  p, site->id, strlen(site->id), ATL_IDENTITY_MAX_FIELD)
                                       : NULL;
            const char *name =
                site->name ? atl_identity_sanitize(p, site->name, strlen(site->name),
                                                   ATL_IDENTITY_MAX_FIELD)
                           : NULL;
            const char *host =
                site->host ? atl_identity_sanitize(p, site->host, strlen(site->host),
                                                   ATL_IDENTITY_MAX_FIELD)
                           : NULL;
            if (sid == NULL) {
                continue;
            }
            push_line(lines, p, 'S', sid);
            if (name) {
                push_line(lines, p, 'N', name);
            }
            if (host) {
                push_line(lines, p, 'H', host);
            }
        }
    }
    if (id->groups) {
        if (id->groups_checked < 0) {
            return ATL_E_BADINPUT;
        }
        push_line(lines, p, 'G',
                  apr_psprintf(p, "%" APR_INT64_T_FMT, id->groups_checked));
        for (i = 0; i < id->groups->nelts && i < ATL_IDENTITY_MAX_GROUPS; i++) {
            const char *g = APR_ARRAY_IDX(id->groups, i, const char *);

            /* Configured values: one that cannot be stored is left out
             * (it then does not grant), never stored changed. */
            if (g && storable(g, ATL_IDENTITY_MAX_FIELD)) {
                push_line(lines, p, 'g', g);
            }
        }
    }
    APR_ARRAY_PUSH(lines, const char *) = ".\n";
    s = apr_array_pstrcat(p, lines, 0);
    *out = s;
    if (len) {
        *len = strlen(s);
    }
    return APR_SUCCESS;
}

/* A non-negative decimal of 1 to 18 digits, all of [b, b + n). */
static int parse_time(apr_int64_t *v, const char *b, apr_size_t n)
{
    apr_int64_t t = 0;
    apr_size_t i;

    if (n == 0 || n > 18) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(b[i])) {
            return 0;
        }
        t = t * 10 + (b[i] - '0');
    }
    *v = t;
    return 1;
}

static int field_of_code(char code)
{
    int i;

    for (i = 0; i < ATL_F_COUNT; i++) {
        if (fields[i].code == code) {
            return i;
        }
    }
    return -1;
}

apr_status_t atl_identity_decode(atl_identity_t **idp, apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    atl_identity_t *id;
    const char *c, *end;
    atl_site_t *site = NULL;
    int seen_time = 0, seen_expiry = 0, seen_end = 0, first = 1;

    *idp = NULL;
    if (s == NULL || len == 0 || len > ID_MAX_ENCODED) {
        return ATL_E_MALFORMED;
    }
    id = atl_identity_make(p);
    c = s;
    end = s + len;
    while (c < end) {
        const char *nl = memchr(c, '\n', (apr_size_t)(end - c));
        const char *v;
        apr_size_t n, i;
        char code;
        int f;

        if (nl == NULL || seen_end) {
            /* Every line, the last one too, ends in '\n', and nothing
             * follows the end line. */
            return ATL_E_MALFORMED;
        }
        if (first) {
            if ((apr_size_t)(nl - c) != sizeof(ID_VERSION) - 1
                || memcmp(c, ID_VERSION, sizeof(ID_VERSION) - 1) != 0) {
                return ATL_E_MALFORMED;
            }
            first = 0;
            c = nl + 1;
            continue;
        }
        if (nl == c) {
            return ATL_E_MALFORMED;
        }
        code = *c;
        v = c + 1;
        n = (apr_size_t)(nl - v);
        c = nl + 1;
        for (i = 0; i < n; i++) {
            if (is_ctl((unsigned char)v[i])) {
                return ATL_E_MALFORMED;
            }
        }

        switch (code) {
        case '.':
            if (n != 0) {
                return ATL_E_MALFORMED;
            }
            seen_end = 1;
            break;
        case 't':
            if (seen_time++ || !parse_time(&id->login_time, v, n)) {
                return ATL_E_MALFORMED;
            }
            break;
        case 'x':
            if (seen_expiry++ || !parse_time(&id->token_expiry, v, n)) {
                return ATL_E_MALFORMED;
            }
            break;
        case 'r':
            if (id->refresh_token || n == 0 || n > ATL_IDENTITY_MAX_TOKEN) {
                return ATL_E_MALFORMED;
            }
            id->refresh_token = apr_pstrmemdup(p, v, n);
            break;
        case 'L':
            if (id->sites || n != 0) {
                return ATL_E_MALFORMED;
            }
            id->sites = apr_array_make(p, 4, sizeof(atl_site_t));
            break;
        case 'S':
            if (id->sites == NULL || id->sites->nelts >= ATL_IDENTITY_MAX_SITES || n == 0
                || n > ATL_IDENTITY_MAX_FIELD) {
                return ATL_E_MALFORMED;
            }
            site = apr_array_push(id->sites);
            memset(site, 0, sizeof(*site));
            site->id = apr_pstrmemdup(p, v, n);
            break;
        case 'G':
            if (id->groups || !parse_time(&id->groups_checked, v, n)) {
                return ATL_E_MALFORMED;
            }
            id->groups = apr_array_make(p, 4, sizeof(const char *));
            break;
        case 'g':
            if (!id->groups || id->groups->nelts >= ATL_IDENTITY_MAX_GROUPS || n == 0
                || n > ATL_IDENTITY_MAX_FIELD) {
                return ATL_E_MALFORMED;
            }
            APR_ARRAY_PUSH(id->groups, const char *) = apr_pstrmemdup(p, v, n);
            break;
        case 'N':
        case 'H': {
            const char **slot;
            if (site == NULL || n == 0 || n > ATL_IDENTITY_MAX_FIELD) {
                return ATL_E_MALFORMED;
            }
            slot = code == 'N' ? &site->name : &site->host;
            if (*slot) {
                return ATL_E_MALFORMED;
            }
            *slot = apr_pstrmemdup(p, v, n);
            break;
        }
        default:
            f = field_of_code(code);
            if (code == 0 || f < 0 || id->f[f] || n == 0 || n > fields[f].max) {
                return ATL_E_MALFORMED;
            }
            id->f[f] = apr_pstrmemdup(p, v, n);
            if (f == ATL_F_EMAIL_VERIFIED && strcmp(id->f[f], "true") != 0
                && strcmp(id->f[f], "false") != 0) {
                return ATL_E_MALFORMED;
            }
            break;
        }
    }
    if (!seen_end || !seen_time || id->f[ATL_F_ACCOUNT_ID] == NULL) {
        return ATL_E_MALFORMED;
    }
    if (id->login_time > 0) {
        id->f[ATL_F_LOGIN_TIME] = apr_psprintf(p, "%" APR_INT64_T_FMT, id->login_time);
    }
    atl_identity_join_sites(id, p);
    atl_identity_join_groups(id, p);
    *idp = id;
    return APR_SUCCESS;
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
