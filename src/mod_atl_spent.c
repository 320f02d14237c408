/* SPDX-License-Identifier: Apache-2.0 */
/* Spent states in the shared cache.
 *
 * The callback removes the state it uses from the session, but a session
 * cookie is only a copy: whoever kept the cookie and the callback URL (a
 * proxy log, a browser history, a stolen cookie jar) could present the
 * same pending login again, to this process, another one, or another node
 * behind the load balancer. So the first callback that presents a state
 * also records it as spent in the cache of AtlassianCache (shmcb on one
 * machine, memcache, redis or dbd across machines), until the pending login
 * would have expired anyway; a later callback with that state is refused
 * before it calls Atlassian.
 *
 * The cache never sees the state: its key is a keyed hash of it
 * (atl_seal_hash, under the session secret), so reading the cache tells
 * nothing, and no one without the secret can mark another browser's state
 * as spent.
 *
 * The record is a claim made with atl_cache_lock and never released:
 * within one machine the check and the mark happen together, under the
 * cache's global mutex, so of two callbacks with the same state exactly
 * one goes on. Across nodes mod_socache has no "add if absent": two nodes
 * that present the same state within the same few tens of milliseconds
 * (ATL_CACHE_SETTLE) both write their claim, and the one whose claim is
 * read back wins; only a node stalled between its read and its write for
 * longer than that could go on beside the winner. The code itself is
 * single-use at Atlassian too, so such a pair yields one login at most.
 * With AtlassianCache dbd the claim is one INSERT in the shared database,
 * so exactly one callback goes on across nodes as well. */

/* Before APR: APR_OFFSETOF is then offsetof (see mod_auth_atlassian.c). */
#include <stddef.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"

#include <apr_strings.h>

#include "atl_seal.h"
#include "atl_state.h"
#include "mod_atl_cache.h"
#include "mod_atl_pages.h"
#include "mod_atl_session.h"
#include "mod_atl_spent.h"

APLOG_USE_MODULE(auth_atlassian);

#define ATL_SPENT_PURPOSE "spent-state"

int atl_spend_state(request_rec *r, const atl_srv_conf *c, const char *state,
                    apr_int64_t created)
{
    /* Until the pending login would have expired, and a second more: a
     * cache entry must outlive the last moment the state could match. */
    apr_int64_t left = created + ATL_STATE_MAX_AGE - atl_now() + 1;
    const char *hash, *token;
    apr_status_t rv;

    if (left < 2) {
        left = 2;
    }
    rv = atl_seal_hash(&hash, r->pool, c->keys, ATL_SPENT_PURPOSE, state, strlen(state));
    if (rv == APR_SUCCESS) {
        rv = atl_cache_lock(r, apr_pstrcat(r->pool, "spent:", hash, NULL),
                            apr_time_from_sec(left), &token);
    }
    if (rv == APR_SUCCESS) {
        return OK;
    }
    if (rv == APR_EBUSY) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ATL00702: callback refused: its state was already used by "
                      "an earlier callback (a replayed callback URL with an old "
                      "session cookie); Atlassian was not called");
        return atl_error_page(r, HTTP_BAD_REQUEST,
                              "This sign-in was already used. Please start again "
                              "from the page you wanted.");
    }
    /* No cache to record it in: the state has left this session, which is
     * all that can be done; the login goes on. */
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                  "ATL00701: the used state could not be recorded in AtlassianCache "
                  "(%s): it is removed from this session only, so a copy of the old "
                  "session cookie could present it again; the login goes on",
                  rv == APR_ENOTIMPL ? "no cache: load mod_socache_shmcb or set "
                                       "AtlassianCache"
                                     : "the cache is unreachable");
    return OK;
}
