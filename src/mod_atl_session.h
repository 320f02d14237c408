/* The module's values in mod_session: loading, unsealing and storing the
 * login and the pending logins, and what a request learnt about its
 * login (shared with subrequests, internal redirects and the Require
 * providers). */
#ifndef MOD_ATL_SESSION_H
#define MOD_ATL_SESSION_H

#include "mod_atl.h"
#include "mod_session.h"
#include <apr_tables.h>

#include "atl_identity.h"
#include "mod_atl_config.h"

/* Budget for the module's sealed values, so a session cookie (with its
 * name, attributes and the url-encoding of mod_session) stays under 4 KB. */
#define ATL_BUDGET_TOTAL   3400
#define ATL_BUDGET_PENDING 1800

/* What a request learnt about its login, shared with the authz providers
 * and subrequests through the request config. */
typedef struct {
    atl_identity_t *id;   /* NULL: anonymous */
    session_rec *changed; /* the session, once the module set a value */
} atl_req_t;

/* post_config: fetch mod_session's optional functions; 0 when missing. */
int atl_session_init(void);

apr_int64_t atl_now(void);

request_rec *atl_initial(request_rec *r);
atl_req_t *atl_req(request_rec *r);
void atl_set_req(request_rec *r, atl_identity_t *id);
atl_identity_t *atl_get_identity(request_rec *r);

session_rec *atl_load_session(request_rec *r);
apr_status_t atl_store_login(request_rec *r, session_rec *z, const char *sealed);
int atl_commit(request_rec *r, int status);
atl_identity_t *atl_load_identity(request_rec *r, session_rec *z, const atl_srv_conf *c,
                                  const atl_dir_conf *d);
apr_status_t atl_seal_login(const char **sealed, request_rec *r, const atl_srv_conf *c,
                            atl_identity_t *id);

apr_array_header_t *atl_load_pending(request_rec *r, session_rec *z,
                                     const atl_srv_conf *c);
apr_status_t atl_store_pending(request_rec *r, session_rec *z, const atl_srv_conf *c,
                               apr_array_header_t *list, apr_size_t budget);

#endif
