/* SPDX-License-Identifier: Apache-2.0 */
/* httpd behind a TLS-terminating proxy or load balancer: the check that
 * tells the administrator when the callback URL comes out wrong. */
#ifndef MOD_ATL_PROXY_H
#define MOD_ATL_PROXY_H

#include "mod_atl.h"

/* Called with the callback URL built from a relative AtlassianRedirectURI,
 * which it returns: when the request reached a proxy over https
 * (X-Forwarded-Proto) but httpd sees plain http, logs once per process
 * what to change. */
const char *atl_proxy_check(request_rec *r, const char *redirect_uri);

#endif
