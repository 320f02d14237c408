/* What the application receives: REMOTE_USER aside, the ATLASSIAN_*
 * variables and X-Atlassian-* headers, and the removal of a client's own
 * X-Atlassian-* headers, in every spelling. */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_strings.h>

#include "mod_atl_export.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

/* Whether key begins with words, each followed by '-' or '_', case
 * ignored: {"x", "atlassian"} matches "X-Atlassian-Email" and
 * "x_atlassian_email". */
static int atl_key_prefixed(const char *key, const char *const *words)
{
    for (; *words; words++) {
        apr_size_t n = strlen(*words);

        if (strncasecmp(key, *words, n) || (key[n] != '-' && key[n] != '_')) {
            return 0;
        }
        key += n + 1;
    }
    return 1;
}

static void atl_unset_prefixed(request_rec *r, apr_table_t *t, const char *const *words)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_array_header_t *doomed = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && atl_key_prefixed(e[i].key, words)) {
            if (!doomed) {
                doomed = apr_array_make(r->pool, 4, sizeof(const char *));
            }
            APR_ARRAY_PUSH(doomed, const char *) = e[i].key;
        }
    }
    for (i = 0; doomed && i < doomed->nelts; i++) {
        apr_table_unset(t, APR_ARRAY_IDX(doomed, i, const char *));
    }
}

/* Remove every incoming X-Atlassian-* header, whatever its case and
 * whether it is spelt with '-' or '_', so a client can never pose as
 * someone. A subrequest (an SSI include, say) also inherits the
 * environment of its parent, where httpd may already have turned the
 * client's headers into HTTP_X_ATLASSIAN_* variables. */
void atl_scrub_headers(request_rec *r)
{
    static const char *const header[] = {"x", "atlassian", NULL};
    static const char *const env[] = {"http", "x", "atlassian", NULL};

    atl_unset_prefixed(r, r->headers_in, header);
    atl_unset_prefixed(r, r->subprocess_env, env);
}

void atl_pass_identity(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d)
{
    int pass = d->pass_as == -1 ? ATL_PASS_BOTH : d->pass_as;
    int f;

    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *v = id->f[f];

        if (!v || (f == ATL_F_ACCESS_TOKEN && d->pass_token != 1)) {
            continue;
        }
        if (pass & ATL_PASS_ENV) {
            apr_table_setn(r->subprocess_env, atl_identity_var_name(f), v);
        }
        if (pass & ATL_PASS_HEADERS) {
            apr_table_setn(r->headers_in, atl_identity_header_name(f), v);
        }
    }
    /* The headers of a main request (and of its internal redirects, which
     * copy them) are now the module's own. A subrequest's are not marked:
     * its parent may be a page the module does not protect. */
    if (!r->main) {
        apr_table_setn(atl_initial(r)->notes, ATL_NOTE_SET, "1");
    }
}
