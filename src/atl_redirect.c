/* SPDX-License-Identifier: Apache-2.0 */
/* Where the module may send a browser. Every check here reads the URL the
 * way a browser does (WHATWG URL parsing): tabs, CR and LF are dropped
 * anywhere, leading and trailing C0 controls and spaces are trimmed, and a
 * backslash counts as a slash in special schemes and in relative URLs. We
 * go further and refuse any control character outright, since there is no
 * legitimate reason for one in a redirect target. */

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "atl_redirect.h"

static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int is_slash(char c)
{
    return c == '/' || c == '\\';
}

/* Whether s begins with a percent-encoded character that a server-side
 * decoder could turn into a slash, a backslash or a dropped control
 * character ("%2F", "%5C", "%09", "%0A", "%0D"). Browsers keep these as
 * part of the path, but a second decoding step behind us might not. */
static int is_encoded_separator(const char *s)
{
    if (s[0] != '%' || s[1] == '\0' || s[2] == '\0') {
        return 0;
    }
    if (s[1] == '0') {
        char c = (char)apr_tolower(s[2]);
        return c == '9' || c == 'a' || c == 'd';
    }
    if (s[1] == '2') {
        return apr_tolower(s[2]) == 'f';
    }
    if (s[1] == '5') {
        return apr_tolower(s[2]) == 'c';
    }
    return 0;
}

int atl_redirect_is_local(const char *url)
{
    const char *s, *e;

    if (url == NULL) {
        return 0;
    }
    for (s = url; *s; s++) {
        if (is_ctl((unsigned char)*s)) {
            return 0;
        }
    }
    /* Trim spaces (the controls are already refused). */
    s = url;
    while (*s == ' ') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && e[-1] == ' ') {
        e--;
    }
    if (e == s || !is_slash(s[0])) {
        /* Empty, or relative to the current path or carrying a scheme
         * ("https:", "javascript:", "evil.com"): not a path we vouch for. */
        return 0;
    }
    if (e - s >= 2 && is_slash(s[1])) {
        /* "//host", "/\host", "\\host", "///host": another host. */
        return 0;
    }
    if (is_encoded_separator(s + 1)) {
        return 0;
    }
    return 1;
}

/* Length of prefix's "scheme://authority" part, or 0 when prefix has no
 * scheme or an empty host (such a prefix would allow everything). */
static apr_size_t prefix_origin_len(const char *prefix)
{
    const char *sep = strstr(prefix, "://");
    const char *host, *end;

    if (sep == NULL || sep == prefix) {
        return 0;
    }
    for (host = prefix; host < sep; host++) {
        if (!apr_isalnum(*host) && *host != '+' && *host != '-' && *host != '.') {
            return 0;
        }
    }
    host = sep + 3;
    end = host + strcspn(host, "/?#");
    if (end == host) {
        return 0;
    }
    return (apr_size_t)(end - prefix);
}

static int prefix_matches(const char *url, const char *prefix)
{
    apr_size_t olen = prefix_origin_len(prefix);
    apr_size_t plen;
    char next;

    if (olen == 0 || strncasecmp(url, prefix, olen) != 0) {
        return 0;
    }
    plen = strlen(prefix);
    if (strncmp(url + olen, prefix + olen, plen - olen) != 0) {
        return 0;
    }
    if (plen > olen) {
        /* The prefix has a path: the host is already pinned down. */
        return 1;
    }
    /* The prefix ends with the host: "https://a.com" must not allow
     * "https://a.com.evil", "https://a.com@evil" or "https://a.com:1". */
    next = url[olen];
    return next == '\0' || next == '/' || next == '?' || next == '#';
}

int atl_redirect_allowed(const char *url, const apr_array_header_t *allowed)
{
    const char *s;
    int i;

    if (url == NULL) {
        return 0;
    }
    if (atl_redirect_is_local(url)) {
        return 1;
    }
    if (allowed == NULL) {
        return 0;
    }
    for (s = url; *s; s++) {
        if (*s == '\\' || is_ctl((unsigned char)*s)) {
            return 0;
        }
    }
    for (i = 0; i < allowed->nelts; i++) {
        const char *prefix = APR_ARRAY_IDX(allowed, i, const char *);
        if (prefix && prefix_matches(url, prefix)) {
            return 1;
        }
    }
    return 0;
}

const char *atl_redirect_return_url(apr_pool_t *p, const char *uri, apr_size_t max)
{
    const char *s, *url;

    if (uri == NULL) {
        return "/";
    }
    s = uri;
    while (is_slash(*s)) {
        s++;
    }
    if (s == uri) {
        /* Not a path at all ("*", "http://host/x"): start over at the root. */
        return "/";
    }
    url = apr_pstrcat(p, "/", s, NULL);
    if (strlen(url) > max || !atl_redirect_is_local(url)) {
        return "/";
    }
    return url;
}
