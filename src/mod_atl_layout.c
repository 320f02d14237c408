/* SPDX-License-Identifier: Apache-2.0 */
/* Where the callback and the protected locations lie.
 *
 * The callback (AtlassianRedirectURI) works only inside a location with
 * "AuthType Atlassian", a Require line that needs a login, and "Session On":
 * the pending login lives in that session. A protected location without
 * "Session On" cannot work either. Both are found before any browser is
 * sent to Atlassian:
 *
 * - at startup ("apache2 -t"), for what the module can judge: the plain
 *   <Location> sections (prefixes, no regular expression, no wildcard)
 *   merged in order on the server's defaults (httpd merges <Location>
 *   sections last, in the order they appear), when nothing else may change
 *   AuthType or Session there (<Directory>, <Files> or <If> sections that
 *   set them, .htaccess files allowed to, <LocationMatch> sections). It
 *   reads only what httpd's headers publish: core_dir_config (http_core.h),
 *   session_dir_conf (mod_session.h), the merge ap_merge_per_dir_configs,
 *   and the AuthType through mod_authn_core's optional function; the one
 *   rule it states itself is the <Location> prefix match (atl_prefix_matches);
 * - otherwise at request time, when a login starts: a subrequest for the
 *   callback's path shows its merged configuration, and whether httpd runs
 *   authentication there. One subrequest per login start, not cached: a
 *   login start is rare, and .htaccess files may change at any time.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_auth.h"
#include "mod_session.h"

#include <apr_strings.h>
#include <apr_uri.h>

#include "mod_atl_config.h"
#include "mod_atl_layout.h"
#include "mod_atl_pages.h"

APLOG_USE_MODULE(auth_atlassian);

/* Set on the request that starts a login while its subrequest for the
 * callback's path runs; "authn" once authentication ran there. */
#define ATL_NOTE_PROBE "atlassian-probe"

/* What a merged configuration says at one path. */
typedef struct {
    const char *auth_type; /* NULL: none */
    int session;           /* "Session On" */
    int unknown;           /* something the startup walk cannot judge */
} atl_place_t;

static module *atl_authn_core_module(void)
{
    return ap_find_linked_module("mod_authn_core.c");
}

static module *atl_session_module(void)
{
    return ap_find_linked_module("mod_session.c");
}

/* Whether a configuration vector holds any of mod_authn_core's directives
 * (AuthType, AuthName): a section without them has no entry of it. */
static int atl_vec_has_authn(ap_conf_vector_t *vec)
{
    module *authn = atl_authn_core_module();

    return authn && ap_get_module_config(vec, authn) != NULL;
}

/* The AuthType of a merged configuration vector (NULL: none).
 *
 * mod_authn_core keeps AuthType in a per-directory record that no header
 * publishes; its public accessor is the optional function
 * authn_ap_auth_type, which takes a request and reads r->per_dir_config
 * only (ap_auth_type() cannot be used at startup: the core fetches that
 * function only after the configuration checks). At startup there is no
 * request, so the vector is handed over in an otherwise empty request_rec:
 * the one place the module makes one. */
static const char *atl_vec_auth_type(apr_pool_t *p, ap_conf_vector_t *vec)
{
    APR_OPTIONAL_FN_TYPE(authn_ap_auth_type) *auth_type =
        APR_RETRIEVE_OPTIONAL_FN(authn_ap_auth_type);
    request_rec carrier;

    if (!auth_type || !atl_vec_has_authn(vec)) {
        return NULL;
    }
    memset(&carrier, 0, sizeof(carrier));
    carrier.pool = p;
    carrier.per_dir_config = vec;
    return auth_type(&carrier);
}

/* mod_session's record of a vector (public in mod_session.h). */
static session_dir_conf *atl_vec_session_conf(ap_conf_vector_t *vec)
{
    module *m = atl_session_module();

    return m ? ap_get_module_config(vec, m) : NULL;
}

/* Whether a vector turns Session on. */
static int atl_vec_session(ap_conf_vector_t *vec)
{
    session_dir_conf *sc = atl_vec_session_conf(vec);

    return sc && sc->enabled;
}

static int atl_is_atlassian(const char *type)
{
    return type && !strcasecmp(type, ATL_AUTH_TYPE);
}

/* Sections the startup walk cannot judge: <Directory> and <Files> (their
 * paths depend on how URLs map to files), <If>, and .htaccess files that
 * may set AuthType or Session. Sets *uses when one of them says
 * "AuthType Atlassian". */
static int atl_sections_unknown(apr_pool_t *p, apr_array_header_t *secs, int *uses)
{
    int i, unknown = 0;

    for (i = 0; secs && i < secs->nelts; i++) {
        ap_conf_vector_t *vec = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        core_dir_config *core = ap_get_core_module_config(vec);
        session_dir_conf *sc = atl_vec_session_conf(vec);

        if (atl_is_atlassian(atl_vec_auth_type(p, vec))) {
            *uses = 1;
        }
        if (atl_vec_has_authn(vec) || (sc && sc->enabled_set)
            || (core->override & OR_AUTHCFG)
            || (core->override_list && !apr_is_empty_table(core->override_list))) {
            unknown = 1;
        }
        unknown |= atl_sections_unknown(p, core->sec_file, uses);
        unknown |= atl_sections_unknown(p, core->sec_if, uses);
    }
    return unknown;
}

/* The prefix rule of a plain <Location> (no regular expression, no
 * wildcard), as httpd's documentation of <Location> states it: the prefix
 * matches whole path segments, so "/private" covers /private, /private/
 * and /private/x, but not /privatex; a prefix ending in "/" covers what
 * starts with it. */
static int atl_prefix_matches(const char *prefix, const char *path)
{
    apr_size_t len = strlen(prefix);

    return !strncmp(prefix, path, len)
           && (len == 0 || prefix[len - 1] == '/' || path[len] == '/'
               || path[len] == '\0');
}

/* The configuration at path: the server's defaults, then every plain
 * <Location> that covers it, in the order of the configuration. */
static void atl_place_at(atl_place_t *out, apr_pool_t *p, server_rec *s, const char *path)
{
    core_server_config *sconf = ap_get_core_module_config(s->module_config);
    ap_conf_vector_t *vec = s->lookup_defaults;
    int i;

    out->unknown = 0;
    for (i = 0; sconf->sec_url && i < sconf->sec_url->nelts; i++) {
        ap_conf_vector_t *entry = APR_ARRAY_IDX(sconf->sec_url, i, ap_conf_vector_t *);
        core_dir_config *core = ap_get_core_module_config(entry);

        if (core->r || core->d_is_fnmatch) {
            out->unknown = 1; /* <LocationMatch>, <Location ~>, wildcards */
            continue;
        }
        if (!core->d || !atl_prefix_matches(core->d, path)) {
            continue;
        }
        if (core->sec_if) {
            out->unknown = 1;
        }
        vec = ap_merge_per_dir_configs(p, vec, entry);
    }
    out->auth_type = atl_vec_auth_type(p, vec);
    out->session = atl_vec_session(vec);
}

/* Whether the callback's URL names this server (an absolute
 * AtlassianRedirectURI may point at another virtual host). */
static int atl_callback_here(apr_pool_t *p, const server_rec *s, const atl_srv_conf *c)
{
    apr_uri_t u;
    int i;

    if (!c->redirect_absolute) {
        return 1;
    }
    if (apr_uri_parse(p, c->redirect_uri, &u) != APR_SUCCESS || !u.hostname) {
        return 0;
    }
    if (s->server_hostname && !strcasecmp(u.hostname, s->server_hostname)) {
        return 1;
    }
    for (i = 0; s->names && i < s->names->nelts; i++) {
        if (!strcasecmp(u.hostname, APR_ARRAY_IDX(s->names, i, const char *))) {
            return 1;
        }
    }
    for (i = 0; s->wild_names && i < s->wild_names->nelts; i++) {
        if (!ap_strcasecmp_match(u.hostname,
                                 APR_ARRAY_IDX(s->wild_names, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

static const char *atl_place_problem(apr_pool_t *p, const atl_place_t *at)
{
    if (!at->auth_type) {
        return "no \"AuthType Atlassian\" there";
    }
    if (!atl_is_atlassian(at->auth_type)) {
        return apr_psprintf(p, "\"AuthType %s\" there, not Atlassian", at->auth_type);
    }
    if (!at->session) {
        return "no \"Session On\" there";
    }
    return NULL;
}

int atl_layout_check(apr_pool_t *ptemp, server_rec *s, const atl_srv_conf *c)
{
    core_server_config *sconf = ap_get_core_module_config(s->module_config);
    core_dir_config *dflt = ap_get_core_module_config(s->lookup_defaults);
    atl_place_t at;
    const char *why;
    int i, uses = 0, unknown;

    if (!atl_authn_core_module() || !atl_session_module()) {
        return OK; /* no AuthType at all, or ATL00002 says it */
    }
    /* Sections and .htaccess files that may change AuthType or Session. */
    unknown = atl_sections_unknown(ptemp, sconf->sec_dir, &uses);
    unknown |= atl_sections_unknown(ptemp, dflt->sec_file, &uses);
    unknown |= atl_sections_unknown(ptemp, dflt->sec_if, &uses);
    if (atl_is_atlassian(atl_vec_auth_type(ptemp, s->lookup_defaults))) {
        uses = 1;
    }

    /* Each plain <Location> with AuthType Atlassian needs Session On. */
    for (i = 0; sconf->sec_url && i < sconf->sec_url->nelts; i++) {
        ap_conf_vector_t *entry = APR_ARRAY_IDX(sconf->sec_url, i, ap_conf_vector_t *);
        core_dir_config *core = ap_get_core_module_config(entry);

        if (!atl_is_atlassian(atl_vec_auth_type(ptemp, entry))) {
            continue;
        }
        uses = 1;
        if (core->r || core->d_is_fnmatch || !core->d || unknown) {
            continue;
        }
        atl_place_at(&at, ptemp, s, core->d);
        if (!at.unknown && atl_is_atlassian(at.auth_type) && !at.session) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                         "ATL00518: <Location %s> has \"AuthType Atlassian\" but no "
                         "\"Session On\" (in %s): add \"Session On\" and a session "
                         "store (SessionCookieName, or mod_session_dbd) there",
                         core->d, atl_server_label(ptemp, s));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* The callback. A server where nothing says AuthType Atlassian starts
     * no login: its callback is not judged. */
    if (!uses || unknown || !atl_callback_here(ptemp, s, c)) {
        return OK;
    }
    atl_place_at(&at, ptemp, s, c->redirect_path);
    if (at.unknown || (why = atl_place_problem(ptemp, &at)) == NULL) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                 "ATL00517: AtlassianRedirectURI %s lies outside every location "
                 "with \"AuthType Atlassian\" and \"Session On\" (%s; in %s): put "
                 "the callback inside a protected location, such as "
                 "/protected/oauth2callback below <Location /protected>",
                 c->redirect_uri, why, atl_server_label(ptemp, s));
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* check_authn, first of all, for the subrequest of atl_layout_callback_ok
 * only: authentication runs at the callback's path. Nothing more happens
 * in that subrequest. */
static int atl_probe_authn(request_rec *r)
{
    if (!r->main || !apr_table_get(r->main->notes, ATL_NOTE_PROBE)) {
        return DECLINED;
    }
    apr_table_setn(r->main->notes, ATL_NOTE_PROBE, "authn");
    return HTTP_UNAUTHORIZED;
}

int atl_layout_callback_ok(request_rec *r, const atl_srv_conf *c)
{
    request_rec *sub;
    const char *why = NULL, *ran;

    if (c->redirect_absolute) {
        apr_uri_t u;

        /* Another host's callback is that host's business. */
        if (apr_uri_parse(r->pool, c->redirect_uri, &u) != APR_SUCCESS || !u.hostname
            || !r->hostname || strcasecmp(u.hostname, r->hostname)) {
            return OK;
        }
    }
    apr_table_setn(r->notes, ATL_NOTE_PROBE, "1");
    sub = ap_sub_req_lookup_uri(c->redirect_path, r, NULL);
    ran = apr_table_get(r->notes, ATL_NOTE_PROBE);
    apr_table_unset(r->notes, ATL_NOTE_PROBE);

    if (sub->per_dir_config == r->per_dir_config) {
        /* The same configuration as this request, which runs the module. */
    }
    else if (ran && !strcmp(ran, "authn")) {
        const char *type = ap_auth_type(sub);

        if (!atl_is_atlassian(type)) {
            why = type ? apr_psprintf(r->pool, "\"AuthType %s\" there, not Atlassian",
                                      ap_escape_logitem(r->pool, type))
                       : "no \"AuthType Atlassian\" there";
        }
        else if (!atl_vec_session(sub->per_dir_config)) {
            why = "no \"Session On\" there";
        }
    }
    else if (sub->status == HTTP_OK) {
        why = "no authentication runs there: no Require line there needs a login "
              "(Require valid-user)";
    }
    ap_destroy_sub_req(sub);
    if (!why) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ATL00520: no login started: AtlassianRedirectURI %s lies outside "
                  "every location with \"AuthType Atlassian\", a Require line and "
                  "\"Session On\" (%s); Atlassian would send the browser back to a "
                  "callback that cannot finish the login",
                  c->redirect_uri, why);
    return atl_error_page(r, HTTP_INTERNAL_SERVER_ERROR,
                          "The sign-in is not configured correctly.");
}

void atl_layout_register(apr_pool_t *p)
{
    ap_hook_check_authn(atl_probe_authn, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
}
