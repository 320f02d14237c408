/* SPDX-License-Identifier: Apache-2.0 */
/* What the module answers itself: error pages, the 401, the login
 * redirect, and the 403 that replaces mod_authz_core's 401 for a user who
 * is logged in but refused. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <apr_strings.h>
#include <stdlib.h>

#include "mod_atl_pages.h"

APLOG_USE_MODULE(auth_atlassian);

/* Request notes. */
#define ATL_NOTE_FORBID "atlassian-forbid"       /* refused logged-in user */
#define ATL_NOTE_NEED   "atlassian-group-need"   /* groups that would grant */
#define ATL_NOTE_GFAIL  "atlassian-group-status" /* membership unknown: status */
#define ATL_NOTE_RETRY  "atlassian-group-retry"  /* ... and its Retry-After */

static const char *atl_status_title(int status)
{
    switch (status) {
    case HTTP_BAD_REQUEST: return "The sign-in request is not valid";
    case HTTP_FORBIDDEN: return "Access refused";
    case HTTP_BAD_GATEWAY: return "Atlassian could not complete the sign-in";
    case HTTP_GATEWAY_TIME_OUT: return "Atlassian did not answer in time";
    case HTTP_SERVICE_UNAVAILABLE: return "The sign-in is busy";
    case HTTP_METHOD_NOT_ALLOWED: return "Method not allowed";
    default: return "The sign-in is not configured correctly";
    }
}

/* mod_session_cookie puts its own Cache-Control in headers_out whenever it
 * loads a session; the module's answers carry one header only, no-store. */
void atl_no_store(request_rec *r)
{
    apr_table_unset(r->headers_out, "Cache-Control");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
}

/* Answer status with a small fixed HTML page. The page never contains
 * request input; "text" is one of the module's own sentences. */
int atl_error_page(request_rec *r, int status, const char *text)
{
    const char *title = atl_status_title(status);

    atl_no_store(r);
    ap_custom_response(r, status,
                       apr_pstrcat(r->pool, "<!DOCTYPE html>\n<html><head><title>", title,
                                   "</title></head>\n<body><h1>", title, "</h1>\n<p>",
                                   text,
                                   "</p>\n<p><a href=\"/\">Home</a></p>\n"
                                   "</body></html>\n",
                                   NULL));
    return status;
}

int atl_redirect(request_rec *r, const char *location)
{
    atl_no_store(r);
    apr_table_setn(r->headers_out, "Location", location);
    return HTTP_MOVED_TEMPORARILY;
}

int atl_unauthorized(request_rec *r)
{
    const char *realm = ap_auth_name(r);

    atl_no_store(r);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_pstrcat(r->pool, "Atlassian realm=\"",
                               ap_escape_quotes(r->pool, realm ? realm : ""), "\"",
                               NULL));
    return HTTP_UNAUTHORIZED;
}

void atl_note_group_needed(request_rec *r, const char *entries)
{
    const char *had = apr_table_get(r->notes, ATL_NOTE_NEED);

    apr_table_setn(r->notes, ATL_NOTE_NEED,
                   had ? apr_pstrcat(r->pool, had, ",", entries, NULL) : entries);
}

void atl_note_group_failure(request_rec *r, int status, apr_int64_t retry_after)
{
    /* The first failure decides the answer. */
    if (!apr_table_get(r->notes, ATL_NOTE_GFAIL)) {
        apr_table_setn(r->notes, ATL_NOTE_GFAIL, apr_itoa(r->pool, status));
        if (retry_after > 0) {
            apr_table_setn(r->notes, ATL_NOTE_RETRY,
                           apr_psprintf(r->pool, "%" APR_INT64_T_FMT, retry_after));
        }
    }
}

/* mod_authz_core calls this when it refuses with 401. For a logged-in
 * user of this module that is a refusal, not a reason to log in again:
 * the answer becomes 403 (see atl_forbid_filter). */
int atl_note_auth_failure(request_rec *r, const char *type)
{
    if (strcasecmp(type, ATL_AUTH_TYPE)) {
        return DECLINED;
    }
    if (r->user && *r->user && apr_table_get(r->notes, ATL_NOTE_GFAIL)) {
        apr_table_setn(r->notes, ATL_NOTE_FORBID, "1");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00317: user %s is logged in, but a group membership the "
                      "Require lines of %s need could not be read from Atlassian: "
                      "%s, not 403",
                      r->user, r->uri, apr_table_get(r->notes, ATL_NOTE_GFAIL));
    }
    else if (r->user && *r->user) {
        apr_table_setn(r->notes, ATL_NOTE_FORBID, "1");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00070: user %s is logged in but refused by the Require "
                      "lines of %s: 403",
                      r->user, r->uri);
    }
    else {
        atl_unauthorized(r);
    }
    return OK;
}

/* The refusal of a logged-in user: mod_authz_core's 401, or its 500 when
 * a "Require not atlassian-group" could not read the membership (see
 * mod_atl_authz.c). */
static int atl_is_refusal_status(int status)
{
    return status == HTTP_UNAUTHORIZED || status == HTTP_INTERNAL_SERVER_ERROR;
}

void atl_insert_error_filter(request_rec *r)
{
    if (atl_is_refusal_status(r->status) && apr_table_get(r->notes, ATL_NOTE_FORBID)) {
        ap_add_output_filter("ATL_FORBID", NULL, r, r->connection);
    }
}

/* The same for an "ErrorDocument 401 /local/page": httpd answers it with
 * an internal redirect whose request carries the 401 of the refusal. */
void atl_insert_filter(request_rec *r)
{
    if (r->prev && atl_is_refusal_status(r->status)
        && apr_table_get(r->prev->notes, ATL_NOTE_FORBID)) {
        ap_add_output_filter("ATL_FORBID", NULL, r, r->connection);
    }
}

/* The page of a refused logged-in user: 403, naming the groups that would
 * have granted (escaped), or the failure that left a membership unknown. */
static const char *atl_forbid_page(request_rec *r, const request_rec *from, int *status)
{
    const char *fail = apr_table_get(from->notes, ATL_NOTE_GFAIL);
    const char *need = apr_table_get(from->notes, ATL_NOTE_NEED);
    const char *retry = apr_table_get(from->notes, ATL_NOTE_RETRY);
    const char *title, *text;

    *status = fail ? atoi(fail) : HTTP_FORBIDDEN;
    if (*status == HTTP_SERVICE_UNAVAILABLE && retry) {
        apr_table_setn(r->headers_out, "Retry-After", retry);
    }
    switch (*status) {
    case HTTP_FORBIDDEN:
        title = "Access refused";
        text = need ? apr_pstrcat(r->pool,
                                  "You are signed in, but this page is open only "
                                  "to members of one of these groups: ",
                                  ap_escape_html(r->pool, need), ".", NULL)
                    : "You are signed in, but your account is not allowed to "
                      "see this page.";
        break;
    case HTTP_SERVICE_UNAVAILABLE:
        title = "Group membership not available";
        text = "Atlassian asked us to wait before checking your group "
               "membership again. Please try again in a moment.";
        break;
    case HTTP_GATEWAY_TIME_OUT:
        title = "Atlassian did not answer in time";
        text = "Your group membership could not be checked in time. Please try "
               "again in a moment.";
        break;
    default:
        *status = HTTP_BAD_GATEWAY;
        title = "Group membership not available";
        text = "Your group membership could not be read from Atlassian. The "
               "server's error log says why.";
        break;
    }
    return apr_pstrcat(r->pool, "<!DOCTYPE html>\n<html><head><title>", title,
                       "</title></head>\n<body><h1>", title, "</h1>\n<p>", text,
                       "</p>\n<p><a href=\"/\">Home</a></p>\n</body></html>\n", NULL);
}

/* Turns the 401 that mod_authz_core sends to a refused logged-in user into
 * a 403 with the module's own page (or 502/503/504 when a group membership
 * could not be read). */
static apr_status_t atl_forbid_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    apr_bucket *b;
    const char *page = f->ctx;
    int status;

    if (!page) {
        page = atl_forbid_page(
            r, apr_table_get(r->notes, ATL_NOTE_FORBID) || !r->prev ? r : r->prev,
            &status);
        f->ctx = (void *)page;
        r->status = status;
        r->status_line = NULL;
        apr_table_unset(r->headers_out, "WWW-Authenticate");
        apr_table_unset(r->err_headers_out, "WWW-Authenticate");
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        ap_set_content_type(r, "text/html; charset=utf-8");
    }
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);) {
        apr_bucket *next = APR_BUCKET_NEXT(b);

        if (APR_BUCKET_IS_EOS(b)) {
            APR_BUCKET_INSERT_BEFORE(
                b, apr_bucket_pool_create(page, strlen(page), r->pool, bb->bucket_alloc));
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
        b = next;
    }
    return ap_pass_brigade(f->next, bb);
}

void atl_pages_register(apr_pool_t *p)
{
    ap_register_output_filter("ATL_FORBID", atl_forbid_filter, NULL, AP_FTYPE_RESOURCE);
}
