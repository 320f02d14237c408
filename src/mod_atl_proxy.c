/* SPDX-License-Identifier: Apache-2.0 */
/* httpd behind a TLS-terminating proxy or load balancer.
 *
 * A relative AtlassianRedirectURI is resolved against the request's scheme,
 * host and port as httpd sees them. Behind a proxy that ends TLS, httpd
 * sees http and the proxy's inner address unless ServerName carries the
 * public scheme and name (ServerName https://app.example.com) and
 * UseCanonicalName is On. Atlassian then refuses the authorize request
 * (the callback URL is not the one registered in the developer console),
 * and the administrator sees only Atlassian's error page. The proxy's
 * X-Forwarded-Proto header tells the two cases apart. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"

#include <apr_atomic.h>

#include "mod_atl_proxy.h"

APLOG_USE_MODULE(auth_atlassian);

/* Whether this process has warned already: once is enough to find the
 * fix, and a warning on every login would flood the log. */
static volatile apr_uint32_t atl_proxy_warned;

const char *atl_proxy_check(request_rec *r, const char *redirect_uri)
{
    const char *proto;

    if (apr_atomic_read32(&atl_proxy_warned)) {
        return redirect_uri;
    }
    proto = apr_table_get(r->headers_in, "X-Forwarded-Proto");
    if (!proto || strcasecmp(proto, "https") || !strcmp(ap_http_scheme(r), "https")) {
        return redirect_uri;
    }
    if (apr_atomic_cas32(&atl_proxy_warned, 1, 0) != 0) {
        return redirect_uri;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ATL00410: this request reached a proxy over https "
                  "(X-Forwarded-Proto: https) but httpd sees http, so the relative "
                  "AtlassianRedirectURI becomes %s, which Atlassian refuses if it "
                  "is not the callback URL registered for the app: put the public "
                  "scheme and name in ServerName (ServerName "
                  "https://app.example.com) with UseCanonicalName On, or make "
                  "AtlassianRedirectURI an absolute https:// URL (said once per "
                  "process)",
                  ap_escape_logitem(r->pool, redirect_uri));
    return redirect_uri;
}
