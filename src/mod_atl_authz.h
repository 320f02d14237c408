/* SPDX-License-Identifier: Apache-2.0 */
/* The Require providers: atlassian-email, -account-id, -site. */
#ifndef MOD_ATL_AUTHZ_H
#define MOD_ATL_AUTHZ_H

#include "mod_atl.h"

void atl_authz_register(apr_pool_t *p);

#endif
