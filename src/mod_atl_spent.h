/* SPDX-License-Identifier: Apache-2.0 */
/* Single use of a login's state across processes and nodes: a state is
 * spent by the first callback that presents it, whatever that callback's
 * outcome, and the shared cache (AtlassianCache) remembers it. */
#ifndef MOD_ATL_SPENT_H
#define MOD_ATL_SPENT_H

#include "mod_atl.h"
#include "mod_atl_config.h"

/* Spend the state of a pending login created at `created` (seconds since
 * the epoch). OK: this is its first use, or the cache could not record it
 * (logged; the login goes on, the session alone then keeps it single-use).
 * A state spent before: a 400 page, logged at info. Call it only with a
 * state that matched a pending login of the session, before any call to
 * Atlassian. */
int atl_spend_state(request_rec *r, const atl_srv_conf *c, const char *state,
                    apr_int64_t created);

#endif
