/* SPDX-License-Identifier: Apache-2.0 */
/* The /authorize URL and the extra parameters of AtlassianAuthorizeParams. */

#include <string.h>

#include <apr_escape.h>
#include <apr_strings.h>

#include "atl_authorize.h"

/* The parameters the module sets itself; the configuration may not. */
static const char *const reserved_keys[] = {
    "audience", "client_id", "scope", "redirect_uri", "state", "response_type", NULL};

static int is_reserved(const char *key)
{
    int i;

    /* Compared without case: a server that reads names case-insensitively
     * must not see a second "State" next to ours. */
    for (i = 0; reserved_keys[i]; i++) {
        if (strcasecmp(key, reserved_keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* URL-encode for a query: apr_pescape_urlencoded writes a space as '+',
 * which some servers read literally; a '+' of the input is already %2b,
 * so turning every remaining '+' into %20 is exact. */
static const char *query_escape(apr_pool_t *p, const char *s)
{
    const char *e = apr_pescape_urlencoded(p, s);
    apr_size_t plus = 0, i, j, n;
    char *out;

    for (i = 0; e[i]; i++) {
        plus += (e[i] == '+');
    }
    if (plus == 0) {
        return e;
    }
    n = i;
    out = apr_palloc(p, n + 2 * plus + 1);
    for (i = 0, j = 0; i < n; i++) {
        if (e[i] == '+') {
            memcpy(out + j, "%20", 3);
            j += 3;
        }
        else {
            out[j++] = e[i];
        }
    }
    out[j] = '\0';
    return out;
}

apr_status_t atl_authorize_parse_params(apr_array_header_t **params, const char **errmsg,
                                        apr_pool_t *p, const char *spec)
{
    apr_array_header_t *arr = apr_array_make(p, 4, sizeof(atl_param_t));
    char *copy, *tok, *last = NULL;

    *params = NULL;
    *errmsg = NULL;
    if (spec == NULL) {
        *params = arr;
        return APR_SUCCESS;
    }
    copy = apr_pstrdup(p, spec);
    /* Empty pieces ("a=1&&b=2", a trailing '&') are skipped: they carry
     * nothing, and apr_strtok never returns them. */
    for (tok = apr_strtok(copy, "&", &last); tok; tok = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(tok, '=');
        const char *key, *value;
        atl_param_t *param;

        if (eq) {
            *eq = '\0';
            value = eq + 1;
        }
        else {
            value = "";
        }
        key = apr_punescape_url(p, tok, NULL, NULL, 0);
        value = apr_punescape_url(p, value, NULL, NULL, 0);
        if (key == NULL || value == NULL) {
            *errmsg = apr_psprintf(p, "bad %%-escape (or %%00) in parameter \"%s\"", tok);
            return ATL_E_BADINPUT;
        }
        if (*key == '\0') {
            *errmsg = "a parameter has an empty name";
            return ATL_E_BADINPUT;
        }
        if (is_reserved(key)) {
            *errmsg =
                apr_psprintf(p, "parameter \"%s\" is set by the module itself", key);
            return ATL_E_BADINPUT;
        }
        param = apr_array_push(arr);
        param->key = key;
        param->value = value;
    }
    *params = arr;
    return APR_SUCCESS;
}

apr_status_t atl_authorize_url(const char **url, apr_pool_t *p, const char *base,
                               const char *client_id, const char *scope,
                               const char *redirect_uri, const char *state,
                               const apr_array_header_t *params)
{
    static const char *const names[] = {"audience",     "client_id", "scope",
                                        "redirect_uri", "state",     "response_type"};
    const char *values[6];
    apr_array_header_t *parts;
    const char *sep;
    apr_size_t blen;
    int i;

    *url = NULL;
    if (base == NULL || client_id == NULL || scope == NULL || redirect_uri == NULL
        || state == NULL) {
        return APR_EINVAL;
    }
    values[0] = "api.atlassian.com";
    values[1] = client_id;
    values[2] = scope;
    values[3] = redirect_uri;
    values[4] = state;
    values[5] = "code";

    parts = apr_array_make(p, 16, sizeof(const char *));
    APR_ARRAY_PUSH(parts, const char *) = base;

    blen = strlen(base);
    if (strchr(base, '?') == NULL) {
        sep = "?";
    }
    else if (blen > 0 && (base[blen - 1] == '?' || base[blen - 1] == '&')) {
        sep = "";
    }
    else {
        sep = "&";
    }
    for (i = 0; i < 6; i++) {
        APR_ARRAY_PUSH(parts, const char *) = i == 0 ? sep : "&";
        APR_ARRAY_PUSH(parts, const char *) = names[i];
        APR_ARRAY_PUSH(parts, const char *) = "=";
        APR_ARRAY_PUSH(parts, const char *) = query_escape(p, values[i]);
    }
    for (i = 0; params && i < params->nelts; i++) {
        const atl_param_t *param = &APR_ARRAY_IDX(params, i, atl_param_t);
        APR_ARRAY_PUSH(parts, const char *) = "&";
        APR_ARRAY_PUSH(parts, const char *) = query_escape(p, param->key);
        APR_ARRAY_PUSH(parts, const char *) = "=";
        APR_ARRAY_PUSH(parts, const char *) =
            query_escape(p, param->value ? param->value : "");
    }
    *url = apr_array_pstrcat(p, parts, 0);
    return APR_SUCCESS;
}
