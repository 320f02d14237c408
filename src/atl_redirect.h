/* SPDX-License-Identifier: Apache-2.0 */
/* Where the module may send a browser: the URL restored after a login and
 * the ?logout= target. Judged the way a browser parses URLs. */
#ifndef ATL_REDIRECT_H
#define ATL_REDIRECT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "atl_status.h"

/* Whether url, read as a browser would (tabs, CR and LF dropped,
 * backslashes taken as slashes, leading/trailing C0 controls and spaces
 * trimmed), is a path on this host: it starts with exactly one '/' and is
 * not followed by another '/' (so "//host", "/\host", "///host",
 * "/%09/host" after dropping are refused); no scheme, no control
 * characters at all in the raw value. */
int atl_redirect_is_local(const char *url);

/* Whether url is local (above) or starts with one of allowed (const char *
 * absolute URL prefixes, "https://app.example.com/"). A prefix matches only
 * when the raw url has no backslash, tab, CR, LF or control character and
 * the next character after a prefix that ends in the host is '/', '?', '#'
 * or the end (so "https://a.com" does not allow "https://a.com.evil"). The
 * scheme and host are compared case-insensitively. */
int atl_redirect_allowed(const char *url, const apr_array_header_t *allowed);

/* The return URL to remember for a request whose unparsed URI is uri:
 * leading slashes and backslashes collapsed to one '/', a value that is
 * not local (above) or longer than max becomes "/". */
const char *atl_redirect_return_url(apr_pool_t *p, const char *uri, apr_size_t max);

#endif
