/* SPDX-License-Identifier: Apache-2.0 */
/* The endpoints on the callback URL: the code (the end of a login),
 * error=, logout=, info=json. */
#ifndef MOD_ATL_CALLBACK_H
#define MOD_ATL_CALLBACK_H

#include "mod_atl.h"
#include "mod_session.h"
#include "mod_atl_config.h"

/* What atl_callback answers for an ?info=json of a logged-in user: not an
 * HTTP status, but "log the user in, the handler writes the document". */
#define ATL_INFO_READY (-100)

/* Request notes. */
#define ATL_NOTE_INFO    "atlassian-info"     /* ?info=json document */
#define ATL_NOTE_HANDLED "atlassian-callback" /* the callback was seen */
#define ATL_INFO_HANDLER "atlassian-info"

int atl_callback(request_rec *r, const atl_srv_conf *c, const atl_dir_conf *d,
                 session_rec *z);
int atl_callback_misconfigured(request_rec *r, const char *what);
int atl_info_handler(request_rec *r);

#endif
