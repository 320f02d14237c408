/* SPDX-License-Identifier: Apache-2.0 */
/* The owner of the module's per-request record (see mod_atl_req.h): the
 * only file that knows its members. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"

#include "mod_atl_req.h"

typedef struct {
    atl_identity_t *id;   /* this request's login; NULL: anonymous */
    int authn;            /* check_authn decided this request */
    session_rec *changed; /* the session, once the module set a value */
    int handler;          /* the request reached its handler */
    /* Kept on the first request of a chain: the session is loaded once per
     * chain, because with SessionCookieRemove On the cookie is gone once it
     * was read, and the login in it read once. */
    session_rec *z;
    atl_identity_t *login;
    int login_read;
    /* Kept on a main request: the login of its latest subrequest into a
     * protected location, which mod_dir (DirectoryIndex, FallbackResource)
     * may turn into the request itself (ap_internal_fast_redirect). */
    ap_conf_vector_t *sub_dir;
    atl_identity_t *sub_id;
    const char *sub_user;
    apr_table_t *sub_headers;
    /* Kept on the first request of a chain: the sites whose group
     * membership could not be read for it. */
    apr_array_header_t *group_fails;
    /* Kept on the first request of a chain: the session cookie's name when
     * it came with the logins of two different accounts. */
    const char *tossed;
    /* What atl_export left in this request's tables. */
    struct atl_export_snap_t *snap;
} atl_req_t;

/* The record of r, made on first use. */
static atl_req_t *atl_req(request_rec *r)
{
    atl_req_t *rq = ap_get_module_config(r->request_config, &auth_atlassian_module);

    if (!rq) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &auth_atlassian_module, rq);
    }
    return rq;
}

/* The record of r, or NULL when the module has not made one. */
static atl_req_t *atl_req_peek(request_rec *r)
{
    return ap_get_module_config(r->request_config, &auth_atlassian_module);
}

request_rec *atl_initial(request_rec *r)
{
    for (;;) {
        if (r->main) {
            r = r->main;
        }
        else if (r->prev) {
            r = r->prev;
        }
        else {
            return r;
        }
    }
}

static atl_req_t *atl_chain(request_rec *r)
{
    return atl_req(atl_initial(r));
}

void atl_req_set_login(request_rec *r, atl_identity_t *id)
{
    atl_req_t *rq = atl_req(r);

    rq->id = id;
    rq->authn = 1;
}

void atl_req_set_identity(request_rec *r, atl_identity_t *id)
{
    atl_req(r)->id = id;
}

atl_identity_t *atl_req_identity(request_rec *r)
{
    atl_req_t *rq = atl_req_peek(r);

    return rq ? rq->id : NULL;
}

int atl_req_decided(request_rec *r)
{
    atl_req_t *rq = atl_req_peek(r);

    return rq && rq->authn;
}

atl_identity_t *atl_get_identity(request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        atl_req_t *rq = atl_req_peek(r);

        if (rq && rq->id) {
            return rq->id;
        }
    }
    return NULL;
}

void atl_req_mark_handler(request_rec *r)
{
    atl_req(r)->handler = 1;
}

int atl_req_reached_handler(request_rec *r)
{
    atl_req_t *rq = atl_req_peek(r);

    return rq && rq->handler;
}

void atl_req_note_subrequest(request_rec *r, atl_identity_t *id)
{
    atl_req_t *m = atl_req(r->main);

    m->sub_dir = r->per_dir_config;
    m->sub_id = id;
    m->sub_user = r->user;
    m->sub_headers = r->headers_in;
}

atl_identity_t *atl_req_subrequest_login(request_rec *r, const char **user,
                                         apr_table_t **headers_in)
{
    atl_req_t *rq = atl_req_peek(r);

    if (r->main || !rq || !rq->sub_id || rq->sub_dir != r->per_dir_config) {
        return NULL;
    }
    *user = rq->sub_user;
    *headers_in = rq->sub_headers;
    return rq->sub_id;
}

session_rec *atl_req_session(request_rec *r)
{
    return atl_chain(r)->z;
}

void atl_req_keep_session(request_rec *r, session_rec *z)
{
    atl_chain(r)->z = z;
}

int atl_req_session_login(atl_identity_t **id, request_rec *r, session_rec *z)
{
    atl_req_t *chain = atl_chain(r);

    if (chain->login_read && chain->z == z) {
        *id = chain->login;
        return 1;
    }
    return 0;
}

void atl_req_keep_session_login(request_rec *r, session_rec *z, atl_identity_t *id)
{
    atl_req_t *chain = atl_chain(r);

    if (chain->z == z) {
        chain->login = id;
        chain->login_read = 1;
    }
}

void atl_req_forget_session_login(request_rec *r)
{
    atl_req_t *chain = atl_chain(r);

    chain->login = NULL;
    chain->login_read = 0;
}

void atl_req_note_tossed(request_rec *r, const char *cookie_name)
{
    atl_chain(r)->tossed = cookie_name;
}

const char *atl_req_tossed(request_rec *r)
{
    return atl_chain(r)->tossed;
}

void atl_req_note_changed(request_rec *r, session_rec *z)
{
    atl_req(r)->changed = z;
}

session_rec *atl_req_take_changed(request_rec *r)
{
    atl_req_t *rq = atl_req_peek(r);
    session_rec *z = rq ? rq->changed : NULL;

    if (z) {
        rq->changed = NULL;
    }
    return z;
}

void atl_req_note_group_fails(request_rec *r, apr_array_header_t *fails)
{
    atl_chain(r)->group_fails = fails;
}

const apr_array_header_t *atl_req_group_fails(request_rec *r)
{
    return atl_chain(r)->group_fails;
}

struct atl_export_snap_t *atl_req_export_snap(request_rec *r)
{
    return atl_req(r)->snap;
}

void atl_req_keep_export_snap(request_rec *r, struct atl_export_snap_t *snap)
{
    atl_req(r)->snap = snap;
}
