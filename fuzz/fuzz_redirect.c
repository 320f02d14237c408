/* SPDX-License-Identifier: Apache-2.0 */
/* Where the module may send a browser: atl_redirect_is_local,
 * atl_redirect_allowed and atl_redirect_return_url on any string, checked
 * against a second, independent reading of the URL the way a browser
 * parses it (the WHATWG URL standard): a URL judged local never names
 * another host, and an allowed absolute URL names only a host of the
 * allowed prefixes. */

#include <ctype.h>

#include "fuzz_common.h"

#include "atl_redirect.h"
#include "atl_state.h"

static const char *const prefixes[] = {"https://app.example.com/",
                                       "https://intranet.example.org",
                                       "https://sso.example.org/Welcome/", NULL};

static apr_array_header_t *allowed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *global;
    int i;

    fuzz_apr_init();
    global = fuzz_pool();
    allowed = apr_array_make(global, 4, sizeof(const char *));
    for (i = 0; prefixes[i]; i++) {
        APR_ARRAY_PUSH(allowed, const char *) = prefixes[i];
    }
    return 0;
}

static int is_c0_or_space(unsigned char c)
{
    return c <= 0x20;
}

/* A browser's first steps: leading and trailing C0 controls and spaces
 * trimmed, then every tab, LF and CR removed. */
static char *browser_clean(apr_pool_t *p, const char *url)
{
    size_t b = 0, e = strlen(url), n = 0, i;
    char *out;

    while (b < e && is_c0_or_space((unsigned char)url[b])) {
        b++;
    }
    while (e > b && is_c0_or_space((unsigned char)url[e - 1])) {
        e--;
    }
    out = apr_palloc(p, e - b + 1);
    for (i = b; i < e; i++) {
        if (url[i] != '\t' && url[i] != '\n' && url[i] != '\r') {
            out[n++] = url[i];
        }
    }
    out[n] = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One round of %XX decoding, as a server-side step behind the module
 * might do. Bytes decoded to NUL are kept as '%' so that the string stays
 * one C string (they are no slash either way). */
static char *percent_decode(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1);
    size_t n = 0;

    while (*s) {
        int h, l;
        if (s[0] == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0
            && (h || l)) {
            out[n++] = (char)(h * 16 + l);
            s += 3;
        }
        else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    return out;
}

static int slash(char c)
{
    return c == '/' || c == '\\';
}

/* Whether the cleaned URL, taken relative to a page of this site, stays on
 * this host: a path starting with one slash (backslash counts), not two. */
static int stays_on_host(const char *s)
{
    return slash(s[0]) && !slash(s[1]);
}

static int special_scheme(const char *scheme)
{
    static const char *const special[] = {"http", "https", "ws", "wss",
                                          "ftp",  "file",  NULL};
    int i;

    for (i = 0; special[i]; i++) {
        if (strcmp(scheme, special[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The scheme and host a browser reads from an absolute URL (lower case,
 * host percent-decoded); 0 when the URL has no scheme. */
static int browser_origin(apr_pool_t *p, const char *url, const char **scheme,
                          const char **host)
{
    const char *s = browser_clean(p, url), *c, *auth, *at, *end;
    char *h;
    size_t i;

    if (!isalpha((unsigned char)s[0])) {
        return 0;
    }
    for (c = s + 1; isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.';
         c++) {
    }
    if (*c != ':') {
        return 0;
    }
    *scheme = apr_pstrmemdup(p, s, (size_t)(c - s));
    for (h = (char *)*scheme; *h; h++) {
        *h = (char)tolower((unsigned char)*h);
    }
    c++;
    if (special_scheme(*scheme)) {
        /* "https:evil.com", "https:/evil.com", "https:\\\\evil.com": all
         * name evil.com when the page is not itself on https. */
        while (slash(*c)) {
            c++;
        }
    }
    else if (c[0] == '/' && c[1] == '/') {
        c += 2;
    }
    else {
        *host = "";
        return 1;
    }
    auth = c;
    end = auth + strcspn(auth, special_scheme(*scheme) ? "/\\?#" : "/?#");
    at = NULL;
    for (c = auth; c < end; c++) {
        if (*c == '@') {
            at = c;
        }
    }
    if (at) {
        auth = at + 1;
    }
    if (*auth == '[') {
        c = memchr(auth, ']', (size_t)(end - auth));
        end = c ? c + 1 : end;
    }
    else {
        c = memchr(auth, ':', (size_t)(end - auth));
        end = c ? c : end;
    }
    h = percent_decode(p, apr_pstrmemdup(p, auth, (size_t)(end - auth)));
    for (i = 0; h[i]; i++) {
        h[i] = (char)tolower((unsigned char)h[i]);
    }
    *host = h;
    return 1;
}

static void check_local(apr_pool_t *p, const char *url)
{
    const char *clean = browser_clean(p, url);

    FUZZ_CHECK(!fuzz_has_ctl(url, strlen(url)));
    FUZZ_CHECK(stays_on_host(clean));
    /* Nor after one more round of decoding behind us ("/%2F/evil.com"). */
    FUZZ_CHECK(stays_on_host(browser_clean(p, percent_decode(p, clean))));
}

static void check_allowed(apr_pool_t *p, const char *url)
{
    const char *scheme = NULL, *host = NULL;
    int i, ok = 0;

    FUZZ_CHECK(strchr(url, '\\') == NULL && !fuzz_has_ctl(url, strlen(url)));
    FUZZ_CHECK(browser_origin(p, url, &scheme, &host));
    for (i = 0; prefixes[i]; i++) {
        const char *ps = NULL, *ph = NULL;
        FUZZ_CHECK(browser_origin(p, prefixes[i], &ps, &ph));
        if (strcmp(ps, scheme) == 0 && strcmp(ph, host) == 0) {
            ok = 1;
        }
    }
    if (!ok) {
        fprintf(stderr, "allowed URL names %s://%s\n", scheme, host);
    }
    FUZZ_CHECK(ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *url = fuzz_cstr(p, data, size);
    const char *ret, *s;
    int local;

    local = atl_redirect_is_local(url);
    if (local) {
        check_local(p, url);
    }
    FUZZ_CHECK(atl_redirect_allowed(url, NULL) == local);
    if (atl_redirect_allowed(url, allowed)) {
        if (!local) {
            check_allowed(p, url);
        }
    }
    else {
        FUZZ_CHECK(!local);
    }

    /* The return URL: "/" or the request's path with its leading slashes
     * collapsed, and always local. */
    ret = atl_redirect_return_url(p, url, ATL_STATE_MAX_URL);
    FUZZ_CHECK(ret != NULL && strlen(ret) <= ATL_STATE_MAX_URL);
    FUZZ_CHECK(atl_redirect_is_local(ret));
    check_local(p, ret);
    if (strcmp(ret, "/") != 0) {
        for (s = url; slash(*s); s++) {
        }
        FUZZ_CHECK(s != url && strcmp(ret + 1, s) == 0);
    }

    apr_pool_destroy(p);
    return 0;
}
