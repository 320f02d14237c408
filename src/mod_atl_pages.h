/* SPDX-License-Identifier: Apache-2.0 */
/* The module's answers: error pages, the 401 and the login redirect, and
 * the 403 of a refused logged-in user. */
#ifndef MOD_ATL_PAGES_H
#define MOD_ATL_PAGES_H

#include "mod_atl.h"

/* Cache-Control: no-store, and no other Cache-Control header. */
void atl_no_store(request_rec *r);
int atl_error_page(request_rec *r, int status, const char *text);
int atl_redirect(request_rec *r, const char *location);
int atl_unauthorized(request_rec *r);

/* Hooks: mod_authz_core's refusal, and the filter that turns it into 403. */
int atl_note_auth_failure(request_rec *r, const char *type);
void atl_insert_error_filter(request_rec *r);
void atl_insert_filter(request_rec *r);
void atl_pages_register(apr_pool_t *p);

/* From Require atlassian-group, for the page of a refused user: the
 * groups (comma-separated "site/group") that would have granted; or, when
 * a membership could not be read, the answer instead of 403 (502, 503
 * with Retry-After seconds, 504). */
void atl_note_group_needed(request_rec *r, const char *entries);
void atl_note_group_failure(request_rec *r, int status, apr_int64_t retry_after);

#endif
