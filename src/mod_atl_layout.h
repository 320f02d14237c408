/* SPDX-License-Identifier: Apache-2.0 */
/* Where the callback and the protected locations lie: the startup check
 * of the <Location> sections, and the check when a login starts. */
#ifndef MOD_ATL_LAYOUT_H
#define MOD_ATL_LAYOUT_H

#include "mod_atl.h"
#include "mod_atl_config.h"

/* At startup, for server s with a complete configuration c: OK, or
 * HTTP_INTERNAL_SERVER_ERROR after logging why (ATL00517: the callback
 * lies outside a location with AuthType Atlassian and Session On;
 * ATL00518: a protected <Location> has no Session On). Judges plain
 * <Location> prefixes only; what it cannot judge passes. */
int atl_layout_check(apr_pool_t *ptemp, server_rec *s, const atl_srv_conf *c);

/* When a login starts: OK when the callback's path has what it needs (or
 * the module cannot tell), else a logged 500 error page (ATL00520). */
int atl_layout_callback_ok(request_rec *r, const atl_srv_conf *c);

/* The check_authn hook that answers the subrequest of the check above. */
void atl_layout_register(apr_pool_t *p);

#endif
