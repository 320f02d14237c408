/* What the application receives: the identity as variables and headers,
 * and the removal of every client-sent copy of them. */
#ifndef MOD_ATL_EXPORT_H
#define MOD_ATL_EXPORT_H

#include "mod_atl.h"
#include "atl_identity.h"
#include "mod_atl_config.h"

/* A note on the first request of a chain: its headers are the module's. */
#define ATL_NOTE_SET "atlassian-identity"

void atl_scrub_headers(request_rec *r);
void atl_pass_identity(request_rec *r, const atl_identity_t *id, const atl_dir_conf *d);

#endif
