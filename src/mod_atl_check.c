/* SPDX-License-Identifier: Apache-2.0 */
/* The checks of the whole configuration at startup (check_config): each
 * server that uses the module has what a login needs, a usable shared
 * cache, and a callback that lies where its session is. A refusal fails
 * "apache2 -t" with a tagged line naming the server. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_session.h"

#include <apr_strings.h>

#include "atl_authorize.h"
#include "mod_atl_cache.h"
#include "mod_atl_check.h"
#include "mod_atl_config.h"
#include "mod_atl_layout.h"

APLOG_USE_MODULE(auth_atlassian);

/* Refuse to start (and fail "apachectl -t") when the configuration is
 * incomplete. A server with none of the required directives leaves the
 * module idle. */
int atl_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s)
{
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        atl_srv_conf *c = atl_srv(vs);
        const char *missing = NULL, *errmsg, *cname;

        /* The shared cache's provider must be loaded (mod_socache_*, or
         * mod_dbd for dbd). */
        if (atl_cache_is_dbd(c->cache)) {
            if (!atl_cache_dbd_available()) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                             "ATL00660: AtlassianCache dbd needs mod_dbd, which is "
                             "not loaded (a2enmod dbd), with DBDriver and DBDParams "
                             "for this server");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        else if (c->cache) {
            const char *name;

            if (!atl_cache_usable(ptemp, c->cache, &name)) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                             "ATL00004: AtlassianCache: the socache provider '%s' "
                             "is not loaded (LoadModule socache_%s_module)",
                             name, name);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        /* The default extra parameters, parsed once here. */
        if (!c->params
            && atl_authorize_parse_params(&c->params, &errmsg, pconf, ATL_DEFAULT_PARAMS)
                   != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!c->client_id && !c->client_secret && !c->redirect_uri && !c->keys) {
            continue;
        }
        if (!c->client_id) {
            missing = "AtlassianClientID";
        }
        else if (!c->client_secret) {
            missing = "AtlassianClientSecret";
        }
        else if (!c->redirect_uri) {
            missing = "AtlassianRedirectURI";
        }
        else if (!c->keys) {
            missing = "AtlassianSessionSecret";
        }
        if (!missing) {
            c->purpose_login = atl_purpose(pconf, c, "login");
            c->purpose_pending = atl_purpose(pconf, c, "pending");
        }
        if (missing) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                         "ATL00001: %s is required in %s", missing,
                         atl_server_label(ptemp, vs));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* Without a cache, single use of the state, one refresh per login
         * and shared group re-checks would be silently off. */
        if (!c->cache && !atl_cache_usable(ptemp, NULL, &cname)) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, vs,
                         "ATL00640: mod_socache_shmcb is not loaded, and the "
                         "module needs a cache (in %s): run \"a2enmod "
                         "socache_shmcb\" (or add \"LoadModule "
                         "socache_shmcb_module .../mod_socache_shmcb.so\"), or "
                         "set AtlassianCache to a loaded provider",
                         atl_server_label(ptemp, vs));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_session_load)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     "ATL00002: mod_session is not loaded: add LoadModule lines "
                     "for session_module and session_cookie_module (or "
                     "session_dbd_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* A callback or a protected location that cannot work. */
    for (vs = s; vs; vs = vs->next) {
        atl_srv_conf *c = atl_srv(vs);

        if (c->client_id && atl_layout_check(ptemp, vs, c) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
