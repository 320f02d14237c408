/* SPDX-License-Identifier: Apache-2.0 */
/* Callbacks waiting on Atlassian take at most a fixed share of a child's
 * threads, so that a slow Atlassian never stops the child from serving
 * logged-in requests (which never call Atlassian). */
#ifndef MOD_ATL_LIMIT_H
#define MOD_ATL_LIMIT_H

#include "mod_atl.h"
#include "mod_atl_config.h"

/* Let a callback that is about to call Atlassian in. OK: it counts as in
 * flight until the request ends. Beyond the share (half the threads of a
 * child, at least one): a 503 page with Retry-After, logged. Call it
 * before the callback changes the session, so that the same callback can
 * be tried again later. */
int atl_limit_enter(request_rec *r, const atl_srv_conf *c);

#endif
