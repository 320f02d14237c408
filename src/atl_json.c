/* SPDX-License-Identifier: Apache-2.0 */
/* Everything JSON: the token request and answer, the /me profile, the
 * accessible-resources list and the ?info=json document. With
 * atl_json_load.c (the parser's front door) and atl_json_groups.c, the only
 * files that include json-c; every json_object made or parsed here is
 * released before the function returns, and only pool memory leaves it. */

#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_uri.h>

#include <json-c/json.h>

#include "atl_json.h"
#include "atl_json_private.h"

/* The "error" and "error_description" of an error answer are read up to
 * this length; the caller hides secrets in them, then cuts them shorter. */
#define ATL_JSON_MAX_ERROR 4096

/* A site URL longer than this is not believed to be one; its host is
 * left out rather than taken from a cut URL. */
#define ATL_JSON_MAX_URL 2048

/* A site keeps at most this many scopes, each at most this long; Atlassian
 * lists a handful of short ones. */
#define ATL_JSON_MAX_SCOPES 64
#define ATL_JSON_MAX_SCOPE  128

/* Token lifetimes are capped at one year, so that the caller can add them
 * to the current time without overflow. Atlassian's are about an hour. */
#define ATL_JSON_MAX_EXPIRES_IN (365 * 24 * 3600)

/* The member key of o when it is a JSON string, else NULL (absent, null or
 * another type: never stringified). *len receives its length, which may
 * include NUL bytes from "\u0000" escapes. */
static const char *atl_json_get_string(json_object *o, const char *key, apr_size_t *len)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    *len = (apr_size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

/* The member key as a stored value: sanitised and cut to max, NULL when it
 * is absent, of another type or empty after cleaning. */
static const char *atl_json_field(apr_pool_t *p, json_object *o, const char *key,
                                  apr_size_t max)
{
    apr_size_t len = 0;
    const char *s = atl_json_get_string(o, key, &len);

    return s ? atl_identity_sanitize(p, s, len, max) : NULL;
}

/* The member key taken whole or not at all: NULL when it is absent, of
 * another type, empty, longer than max or has a control character. For
 * values that admit someone, which must never be cleaned into a match. */
static const char *atl_json_whole(apr_pool_t *p, json_object *o, const char *key,
                                  apr_size_t max)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return atl_json_whole_value(p, v, max);
}

/* A token as it must be stored and sent back: a non-empty string without
 * control characters, at most ATL_IDENTITY_MAX_TOKEN bytes. Tokens are
 * never cleaned or cut (that would only make them invalid): a bad one is
 * refused. *tok is NULL when the member is absent or null. */
static apr_status_t atl_json_token_member(const char **tok, const char **errmsg,
                                          apr_pool_t *p, json_object *o, const char *key)
{
    json_object *v = NULL;
    const char *s;
    apr_size_t len;

    *tok = NULL;
    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        return APR_SUCCESS;
    }
    if (!json_object_is_type(v, json_type_string)) {
        *errmsg = apr_psprintf(p, "%s is not a string", key);
        return ATL_E_MALFORMED;
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (len == 0) {
        *errmsg = apr_psprintf(p, "%s is empty", key);
        return ATL_E_MALFORMED;
    }
    if (len > ATL_IDENTITY_MAX_TOKEN) {
        *errmsg =
            apr_psprintf(p, "%s is longer than %d bytes", key, ATL_IDENTITY_MAX_TOKEN);
        return ATL_E_MALFORMED;
    }
    if (atl_identity_has_control(s, len)) {
        *errmsg = apr_psprintf(p, "%s has control characters", key);
        return ATL_E_MALFORMED;
    }
    *tok = apr_pstrmemdup(p, s, len);
    return APR_SUCCESS;
}

apr_status_t atl_json_token_request(const char **body, apr_pool_t *p,
                                    const char *grant_type, const char *client_id,
                                    const char *client_secret, const char *code,
                                    const char *redirect_uri)
{
    json_object *o = NULL;
    apr_status_t rv = APR_SUCCESS;
    int refresh;

    *body = NULL;
    if (grant_type == NULL || client_id == NULL || client_secret == NULL
        || code == NULL) {
        rv = ATL_E_BADINPUT;
        goto done;
    }
    refresh = !strcmp(grant_type, "refresh_token");
    if (!refresh && (strcmp(grant_type, "authorization_code") || redirect_uri == NULL)) {
        rv = ATL_E_BADINPUT;
        goto done;
    }
    o = json_object_new_object();
    if (o == NULL) {
        rv = APR_ENOMEM;
        goto done;
    }
    /* json-c escapes every value, so a secret with quotes or backslashes
     * cannot change the document. */
    json_object_object_add(o, "grant_type", json_object_new_string(grant_type));
    json_object_object_add(o, "client_id", json_object_new_string(client_id));
    json_object_object_add(o, "client_secret", json_object_new_string(client_secret));
    if (refresh) {
        json_object_object_add(o, "refresh_token", json_object_new_string(code));
    }
    else {
        json_object_object_add(o, "code", json_object_new_string(code));
        json_object_object_add(o, "redirect_uri", json_object_new_string(redirect_uri));
    }
    *body =
        apr_pstrdup(p, json_object_to_json_string_ext(
                           o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

apr_status_t atl_json_parse_token(atl_token_t **tok, const char **errmsg, apr_pool_t *p,
                                  const char *body, apr_size_t len)
{
    json_object *o = NULL, *v = NULL;
    atl_token_t *t;
    apr_status_t rv;
    apr_size_t slen = 0;
    const char *s;

    *tok = NULL;
    *errmsg = NULL;
    t = apr_pcalloc(p, sizeof(*t));
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_object, "token answer");
    if (rv != APR_SUCCESS) {
        goto done;
    }

    rv = atl_json_token_member(&t->access_token, errmsg, p, o, "access_token");
    if (rv == APR_SUCCESS && t->access_token == NULL) {
        *errmsg = "token answer has no access_token";
        rv = ATL_E_MALFORMED;
    }
    if (rv == APR_SUCCESS) {
        rv = atl_json_token_member(&t->refresh_token, errmsg, p, o, "refresh_token");
    }
    if (rv != APR_SUCCESS) {
        goto done;
    }

    /* The type is compared case-insensitively (Atlassian says "Bearer");
     * absent means bearer, the only type this module can use. */
    t->token_type = "Bearer";
    if (json_object_object_get_ex(o, "token_type", &v) && v != NULL) {
        s = atl_json_get_string(o, "token_type", &slen);
        if (s == NULL || slen != 6 || strncasecmp(s, "bearer", 6)) {
            *errmsg = "token_type is not bearer";
            rv = ATL_E_MALFORMED;
            goto done;
        }
        t->token_type = apr_pstrmemdup(p, s, slen);
    }

    /* expires_in must be a number when present; a string ("3600") is
     * refused rather than guessed at. Fractions are dropped. */
    if (json_object_object_get_ex(o, "expires_in", &v) && v != NULL) {
        apr_int64_t secs;

        if (json_object_is_type(v, json_type_int)) {
            secs = json_object_get_int64(v);
        }
        else if (json_object_is_type(v, json_type_double)) {
            double d = json_object_get_double(v);

            if (!(d >= 0)) {
                secs = -1;
            }
            else if (d > ATL_JSON_MAX_EXPIRES_IN) {
                secs = ATL_JSON_MAX_EXPIRES_IN;
            }
            else {
                secs = (apr_int64_t)d;
            }
        }
        else {
            *errmsg = "expires_in is not a number";
            rv = ATL_E_MALFORMED;
            goto done;
        }
        if (secs < 0) {
            *errmsg = "expires_in is negative";
            rv = ATL_E_MALFORMED;
            goto done;
        }
        t->expires_in = secs > ATL_JSON_MAX_EXPIRES_IN ? ATL_JSON_MAX_EXPIRES_IN : secs;
    }

    t->scope = atl_json_field(p, o, "scope", ATL_IDENTITY_MAX_TOKEN);
    *tok = t;

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

void atl_json_parse_error(const char **error, const char **description, apr_pool_t *p,
                          const char *body, apr_size_t len)
{
    json_object *o = NULL;
    const char *msg;

    *error = NULL;
    *description = NULL;
    if (atl_json_load(&o, &msg, p, body, len) != APR_SUCCESS) {
        return;
    }
    if (json_object_is_type(o, json_type_object)) {
        *error = atl_json_field(p, o, "error", ATL_JSON_MAX_ERROR);
        *description = atl_json_field(p, o, "error_description", ATL_JSON_MAX_ERROR);
    }
    json_object_put(o);
}

/* The /me members stored as they are, in the order of atl_field_e. */
static const struct {
    atl_field_e field;
    const char *key;
    apr_size_t max;
} atl_json_profile_map[] = {
    {ATL_F_EMAIL, "email", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_NAME, "name", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_NICKNAME, "nickname", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_PICTURE, "picture", ATL_IDENTITY_MAX_PICTURE},
    {ATL_F_ACCOUNT_TYPE, "account_type", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_ACCOUNT_STATUS, "account_status", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_LOCALE, "locale", ATL_IDENTITY_MAX_FIELD},
    {ATL_F_ZONEINFO, "zoneinfo", ATL_IDENTITY_MAX_FIELD},
};

/* The members of extended_profile. */
static const struct {
    atl_field_e field;
    const char *key;
} atl_json_extended_map[] = {
    {ATL_F_JOB_TITLE, "job_title"},
    {ATL_F_DEPARTMENT, "department"},
    {ATL_F_ORGANIZATION, "organization"},
    {ATL_F_LOCATION, "location"},
};

#define ATL_JSON_COUNT(a) (sizeof(a) / sizeof((a)[0]))

apr_status_t atl_json_parse_profile(atl_identity_t *id, const char **errmsg,
                                    apr_pool_t *p, const char *body, apr_size_t len)
{
    json_object *o = NULL, *v = NULL;
    const char *f[ATL_F_COUNT];
    const char *s;
    apr_size_t i, slen = 0;
    apr_status_t rv;

    *errmsg = NULL;
    memset(f, 0, sizeof(f));
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_object, "profile");
    if (rv != APR_SUCCESS) {
        goto done;
    }

    /* account_id is the identity itself: it is never cleaned or cut into
     * something else, so that two different ids can never end up equal. */
    s = atl_json_get_string(o, "account_id", &slen);
    if (s == NULL || slen == 0) {
        *errmsg = "profile has no account_id";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    if (slen > ATL_IDENTITY_MAX_FIELD || atl_identity_has_control(s, slen)) {
        *errmsg = "profile account_id is too long or has control characters";
        rv = ATL_E_MALFORMED;
        goto done;
    }
    f[ATL_F_ACCOUNT_ID] = atl_identity_sanitize(p, s, slen, ATL_IDENTITY_MAX_FIELD);
    if (f[ATL_F_ACCOUNT_ID] == NULL) {
        *errmsg = "profile has no account_id";
        rv = ATL_E_MALFORMED;
        goto done;
    }

    for (i = 0; i < ATL_JSON_COUNT(atl_json_profile_map); i++) {
        atl_field_e field = atl_json_profile_map[i].field;
        apr_size_t max = atl_json_profile_map[i].max;

        /* Values that identify or admit someone (Require atlassian-email,
         * REMOTE_USER, the account_status check) are taken whole or not at
         * all: cleaning "mallory\u0000@example.com" or "act\u0000ive" into
         * something else must never make it match. */
        if (field == ATL_F_EMAIL || field == ATL_F_NICKNAME
            || field == ATL_F_ACCOUNT_STATUS) {
            f[field] = atl_json_whole(p, o, atl_json_profile_map[i].key, max);
            continue;
        }
        f[field] = atl_json_field(p, o, atl_json_profile_map[i].key, max);
    }

    /* Only a real boolean says whether the address was verified. */
    if (json_object_object_get_ex(o, "email_verified", &v)
        && json_object_is_type(v, json_type_boolean)) {
        f[ATL_F_EMAIL_VERIFIED] = json_object_get_boolean(v) ? "true" : "false";
    }

    if (json_object_object_get_ex(o, "extended_profile", &v)
        && json_object_is_type(v, json_type_object)) {
        for (i = 0; i < ATL_JSON_COUNT(atl_json_extended_map); i++) {
            f[atl_json_extended_map[i].field] = atl_json_field(
                p, v, atl_json_extended_map[i].key, ATL_IDENTITY_MAX_FIELD);
        }
    }

    /* The identity changes only when the whole profile was acceptable. */
    id->f[ATL_F_ACCOUNT_ID] = f[ATL_F_ACCOUNT_ID];
    id->f[ATL_F_EMAIL_VERIFIED] = f[ATL_F_EMAIL_VERIFIED];
    for (i = 0; i < ATL_JSON_COUNT(atl_json_profile_map); i++) {
        id->f[atl_json_profile_map[i].field] = f[atl_json_profile_map[i].field];
    }
    for (i = 0; i < ATL_JSON_COUNT(atl_json_extended_map); i++) {
        id->f[atl_json_extended_map[i].field] = f[atl_json_extended_map[i].field];
    }

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

/* The host of a site URL: the authority without user info and port, in
 * lower case. NULL when the URL has no host or is implausibly long. */
static const char *atl_json_site_host(apr_pool_t *p, json_object *site)
{
    apr_size_t len = 0;
    const char *url = atl_json_get_string(site, "url", &len);
    const char *clean;
    apr_uri_t uri;
    char *host, *c;

    if (url == NULL || len > ATL_JSON_MAX_URL || atl_identity_has_control(url, len)) {
        return NULL;
    }
    clean = atl_identity_sanitize(p, url, len, ATL_JSON_MAX_URL);
    if (clean == NULL) {
        return NULL;
    }
    memset(&uri, 0, sizeof(uri));
    if (apr_uri_parse(p, clean, &uri) != APR_SUCCESS || uri.hostname == NULL
        || uri.scheme == NULL) {
        return NULL;
    }
    host = apr_pstrdup(p, uri.hostname);
    for (c = host; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return atl_identity_sanitize(p, host, strlen(host), ATL_IDENTITY_MAX_FIELD);
}

/* Add the "scopes" of one accessible-resources entry to *scopes (made
 * when NULL), skipping values that are not clean strings and those already
 * there, up to ATL_JSON_MAX_SCOPES. Nothing happens when the member is
 * absent or not an array. */
static void atl_json_site_scopes(apr_array_header_t **scopes, apr_pool_t *p,
                                 json_object *site)
{
    json_object *v = NULL;
    size_t i, n;

    if (!json_object_object_get_ex(site, "scopes", &v)
        || !json_object_is_type(v, json_type_array)) {
        return;
    }
    if (*scopes == NULL) {
        *scopes = apr_array_make(p, 8, sizeof(const char *));
    }
    n = json_object_array_length(v);
    for (i = 0; i < n && (*scopes)->nelts < ATL_JSON_MAX_SCOPES; i++) {
        const char *scope =
            atl_json_whole_value(p, json_object_array_get_idx(v, i), ATL_JSON_MAX_SCOPE);
        int j, seen = 0;

        if (scope == NULL) {
            continue;
        }
        for (j = 0; j < (*scopes)->nelts && !seen; j++) {
            seen = !strcmp(APR_ARRAY_IDX(*scopes, j, const char *), scope);
        }
        if (!seen) {
            APR_ARRAY_PUSH(*scopes, const char *) = scope;
        }
    }
}

apr_status_t atl_json_parse_sites(apr_array_header_t **sites, const char **errmsg,
                                  apr_pool_t *p, const char *body, apr_size_t len)
{
    json_object *o = NULL;
    apr_array_header_t *a;
    apr_status_t rv;
    size_t i, n;

    *sites = NULL;
    *errmsg = NULL;
    rv = atl_json_load_as(&o, errmsg, p, body, len, json_type_array,
                          "accessible-resources");
    if (rv != APR_SUCCESS) {
        goto done;
    }

    a = apr_array_make(p, ATL_IDENTITY_MAX_SITES, sizeof(atl_site_t));
    n = json_object_array_length(o);
    for (i = 0; i < n && a->nelts < ATL_IDENTITY_MAX_SITES; i++) {
        json_object *e = json_object_array_get_idx(o, i);
        atl_site_t site, *dup = NULL;
        int j;

        if (!json_object_is_type(e, json_type_object)) {
            continue;
        }
        /* Require atlassian-site matches these: whole or not at all. */
        site.id = atl_json_whole(p, e, "id", ATL_IDENTITY_MAX_FIELD);
        if (site.id == NULL) {
            continue;
        }
        site.name = atl_json_whole(p, e, "name", ATL_IDENTITY_MAX_FIELD);
        site.host = atl_json_site_host(p, e);
        site.scopes = NULL;

        /* One site listed once per container (Jira, Confluence) would only
         * fill the session cookie with copies; their scopes are merged, as
         * together they say which products the site has. */
        for (j = 0; j < a->nelts && dup == NULL; j++) {
            atl_site_t *k = &APR_ARRAY_IDX(a, j, atl_site_t);

            if (!strcmp(k->id, site.id)
                && ((k->host == NULL && site.host == NULL)
                    || (k->host && site.host && !strcmp(k->host, site.host)))) {
                dup = k;
            }
        }
        if (dup == NULL) {
            atl_json_site_scopes(&site.scopes, p, e);
            APR_ARRAY_PUSH(a, atl_site_t) = site;
        }
        else {
            atl_json_site_scopes(&dup->scopes, p, e);
        }
    }
    *sites = a;

done:
    if (o) {
        json_object_put(o);
    }
    return rv;
}

/* Add the string v under key; a failed allocation is noticed at the end,
 * when the document is printed. */
static void atl_json_add_string(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, json_object_new_string(v));
}

/* sites and site_ids as arrays. The identity may carry the site list
 * itself or, when it came back from the session without it, only the
 * comma-separated fields. */
static void atl_json_add_sites(json_object *o, apr_pool_t *p, const atl_identity_t *id)
{
    json_object *hosts, *ids;
    int i;

    if (id->sites == NULL && id->f[ATL_F_SITES] == NULL
        && id->f[ATL_F_SITE_IDS] == NULL) {
        return;
    }
    hosts = json_object_new_array();
    ids = json_object_new_array();
    if (id->sites) {
        for (i = 0; i < id->sites->nelts; i++) {
            const atl_site_t *s = &APR_ARRAY_IDX(id->sites, i, atl_site_t);

            if (s->host) {
                json_object_array_add(hosts, json_object_new_string(s->host));
            }
            if (s->id) {
                json_object_array_add(ids, json_object_new_string(s->id));
            }
        }
    }
    else {
        const atl_field_e fields[2] = {ATL_F_SITES, ATL_F_SITE_IDS};
        json_object *arrays[2];
        int k;

        arrays[0] = hosts;
        arrays[1] = ids;
        for (k = 0; k < 2; k++) {
            char *list, *last = NULL, *item;

            if (id->f[fields[k]] == NULL) {
                continue;
            }
            list = apr_pstrdup(p, id->f[fields[k]]);
            for (item = apr_strtok(list, ",", &last); item;
                 item = apr_strtok(NULL, ",", &last)) {
                json_object_array_add(arrays[k], json_object_new_string(item));
            }
        }
    }
    json_object_object_add(o, atl_identity_json_name(ATL_F_SITES), hosts);
    json_object_object_add(o, atl_identity_json_name(ATL_F_SITE_IDS), ids);
}

apr_status_t atl_json_identity(const char **json, apr_pool_t *p, const atl_identity_t *id,
                               int with_token)
{
    json_object *o;
    const char *out;
    apr_status_t rv = APR_SUCCESS;
    int f;

    *json = NULL;
    o = json_object_new_object();
    if (o == NULL) {
        return APR_ENOMEM;
    }
    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *name = atl_identity_json_name((atl_field_e)f);

        switch (f) {
        case ATL_F_SITES: atl_json_add_sites(o, p, id); break;
        case ATL_F_SITE_IDS:
            /* Written together with ATL_F_SITES. */
            break;
        case ATL_F_LOGIN_TIME:
            if (id->login_time > 0) {
                json_object_object_add(o, name, json_object_new_int64(id->login_time));
            }
            else if (id->f[f]) {
                json_object_object_add(o, name,
                                       json_object_new_int64(apr_atoi64(id->f[f])));
            }
            break;
        case ATL_F_EMAIL_VERIFIED:
            if (id->f[f]) {
                json_object_object_add(
                    o, name, json_object_new_boolean(!strcmp(id->f[f], "true")));
            }
            break;
        case ATL_F_ACCESS_TOKEN:
            if (with_token && id->f[f]) {
                atl_json_add_string(o, name, id->f[f]);
            }
            break;
        default:
            if (id->f[f]) {
                atl_json_add_string(o, name, id->f[f]);
            }
            break;
        }
    }
    out = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                                | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (out == NULL) {
        rv = APR_ENOMEM;
    }
    else {
        *json = apr_pstrdup(p, out);
    }
    json_object_put(o);
    return rv;
}
