/* SPDX-License-Identifier: Apache-2.0 */
/* What the application receives: REMOTE_USER aside, the ATLASSIAN_*
 * variables and X-Atlassian-* headers. Under those names a request carries
 * the module's values and nothing else: a client's X-Atlassian-* headers
 * (in every spelling) and ATLASSIAN_* variables planted by other modules
 * (SetEnv, SSI #set, RewriteRule [E=]) are removed. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include <apr_lib.h>
#include <apr_strings.h>

#include "mod_atl_export.h"
#include "mod_atl_req.h"
#include "mod_atl_session.h"

APLOG_USE_MODULE(auth_atlassian);

/* The fields seen during a scan are kept as bits of an apr_uint32_t. */
typedef char atl_fields_fit_in_a_mask[ATL_F_COUNT <= 32 ? 1 : -1];

static const char *const atl_words_header[] = {"x", "atlassian", NULL};
static const char *const atl_words_var[] = {"atlassian", NULL};
static const char *const atl_words_http_var[] = {"http", "x", "atlassian", NULL};

/* Whether key begins with words, each followed by '-' or '_', case
 * ignored: {"x", "atlassian"} matches "X-Atlassian-Email" and
 * "x_atlassian_email". */
static int atl_key_prefixed(const char *key, const char *const *words)
{
    /* Most names differ in their first letter: no call for those. */
    if (apr_tolower((unsigned char)key[0]) != words[0][0]) {
        return 0;
    }
    for (; *words; words++) {
        apr_size_t n = strlen(*words);

        if (strncasecmp(key, *words, n) || (key[n] != '-' && key[n] != '_')) {
            return 0;
        }
        key += n + 1;
    }
    return 1;
}

/* The field whose value the module put into an entry: the key is the very
 * name string the module uses and the value the very string of the login
 * (apr_table_addn keeps both pointers; a value that any other module set,
 * even under the same name, is another string). -1: not the module's.
 * The module adds its entries in field order, so the search starts at
 * *next, the field after the last one found: a table the module filled
 * costs one comparison per entry, not one per field. */
static int atl_own_entry(const apr_table_entry_t *e, const atl_identity_t *id, int pass,
                         int header, int *next)
{
    int i;

    if (!id || !pass) {
        return -1;
    }
    for (i = 0; i < ATL_F_COUNT; i++) {
        int f = (*next + i) % ATL_F_COUNT;
        const char *name =
            header ? atl_identity_header_name(f) : atl_identity_var_name(f);

        if (e->key == name) {
            *next = f + 1;
            return e->val == id->f[f] ? f : -1;
        }
    }
    return -1;
}

/* Remove from t what starts with words and is not the module's, and note
 * in *have which of the login's fields are there already. */
static void atl_clean_table(request_rec *r, apr_table_t *t, const char *const *words,
                            const atl_identity_t *id, int pass, int header,
                            apr_uint32_t *have)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *doomed[16];
    int i, n = 0, f, next = 0;

    for (i = 0; i < arr->nelts; i++) {
        /* The module's own entries are known by their pointers, which is
         * cheaper than reading their names; every other entry under those
         * names goes. */
        if (!e[i].key || apr_tolower((unsigned char)e[i].key[0]) != words[0][0]) {
            continue;
        }
        if ((f = atl_own_entry(&e[i], id, pass, header, &next)) >= 0) {
            *have |= (apr_uint32_t)1 << f;
            continue;
        }
        if (!atl_key_prefixed(e[i].key, words)) {
            continue;
        }
        if (n == (int)(sizeof(doomed) / sizeof(doomed[0]))) {
            /* More than fits: remove these and look again. */
            for (i = 0; i < n; i++) {
                apr_table_unset(t, doomed[i]);
            }
            atl_clean_table(r, t, words, id, pass, header, have);
            return;
        }
        doomed[n++] = e[i].key;
    }
    for (i = 0; i < n; i++) {
        apr_table_unset(t, doomed[i]);
    }
    /* A name can stand twice (SetEnv adds a second ATLASSIAN_ACCOUNT_ID
     * beside the module's): removing the intruder removed both. */
    for (f = 0; n && id && f < ATL_F_COUNT; f++) {
        const char *name =
            header ? atl_identity_header_name(f) : atl_identity_var_name(f);

        if ((*have & ((apr_uint32_t)1 << f)) && apr_table_get(t, name) != id->f[f]) {
            *have &= ~((apr_uint32_t)1 << f);
        }
    }
}

void atl_scrub_headers(request_rec *r)
{
    apr_uint32_t have = 0;

    atl_clean_table(r, r->headers_in, atl_words_header, NULL, 0, 1, &have);
}

/* A copy of the entries of one table as atl_export left it. */
typedef struct {
    const apr_table_t *t;
    const apr_table_entry_t *elts;
    int nelts;
    apr_table_entry_t *copy;
} atl_table_snap_t;

struct atl_export_snap_t {
    const atl_identity_t *id;
    const atl_dir_conf *d;
    atl_table_snap_t env, hdr;
};

static void atl_snap_take(request_rec *r, atl_table_snap_t *s, const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    apr_size_t size = sizeof(apr_table_entry_t) * (apr_size_t)arr->nelts;

    s->t = t;
    s->elts = (const apr_table_entry_t *)arr->elts;
    s->nelts = arr->nelts;
    s->copy = size ? apr_pmemdup(r->pool, arr->elts, size) : NULL;
}

/* Whether t is still as the snapshot saw it: the same entries, each with
 * the same key and value pointers. Whatever another module did to it
 * (an entry added, removed, set, merged, the table replaced) shows. */
static int atl_snap_same(const atl_table_snap_t *s, const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);

    return s->t == t && s->elts == (const apr_table_entry_t *)arr->elts
           && s->nelts == arr->nelts
           && (!s->nelts
               || !memcmp(s->copy, arr->elts,
                          sizeof(apr_table_entry_t) * (apr_size_t)s->nelts));
}

static void atl_export_tables(request_rec *r, const atl_identity_t *id,
                              const atl_dir_conf *d);

void atl_export(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d)
{
    struct atl_export_snap_t *s = atl_req_export_snap(r);

    /* The second export of a request (right before its handler) finds,
     * in the common case, the tables exactly as the first one left them:
     * then there is nothing to remove and nothing to add. */
    if (s && s->id == id && s->d == d && atl_snap_same(&s->env, r->subprocess_env)
        && atl_snap_same(&s->hdr, r->headers_in)) {
        return;
    }
    atl_export_tables(r, id, d);
    if (!s) {
        s = apr_palloc(r->pool, sizeof(*s));
        atl_req_keep_export_snap(r, s);
    }
    s->id = id;
    s->d = d;
    atl_snap_take(r, &s->env, r->subprocess_env);
    atl_snap_take(r, &s->hdr, r->headers_in);
}

static void atl_export_tables(request_rec *r, const atl_identity_t *id,
                              const atl_dir_conf *d)
{
    int pass = d->pass_as == -1 ? ATL_PASS_BOTH : d->pass_as;
    apr_uint32_t env = 0, hdr = 0;
    int f;

    atl_clean_table(r, r->subprocess_env, atl_words_var, id, pass & ATL_PASS_ENV, 0,
                    &env);
    /* CGI turns the headers into HTTP_X_ATLASSIAN_* itself, later; any such
     * variable already there came from elsewhere (a parent's headers). */
    atl_clean_table(r, r->subprocess_env, atl_words_http_var, NULL, 0, 0, &env);
    atl_clean_table(r, r->headers_in, atl_words_header, id, pass & ATL_PASS_HEADERS, 1,
                    &hdr);
    if (!id) {
        return;
    }
    /* What is missing is absent under every spelling now (the scans above
     * removed all else): added without another search of the table, so
     * the work grows with the number of fields, not with its square. */
    for (f = 0; f < ATL_F_COUNT; f++) {
        const char *v = id->f[f];

        if (!v || (f == ATL_F_ACCESS_TOKEN && d->pass_token != 1)) {
            continue;
        }
        if ((pass & ATL_PASS_ENV) && !(env & ((apr_uint32_t)1 << f))) {
            apr_table_addn(r->subprocess_env, atl_identity_var_name(f), v);
        }
        if ((pass & ATL_PASS_HEADERS) && !(hdr & ((apr_uint32_t)1 << f))) {
            apr_table_addn(r->headers_in, atl_identity_header_name(f), v);
        }
    }
}
