/* SPDX-License-Identifier: Apache-2.0 */
/* What every file of the httpd glue shares: the module's declaration and
 * its auth type. The glue files are src/mod_atl_*.c (they may include
 * httpd headers); the core is src/atl_*.c (it never does). */
#ifndef MOD_ATL_H
#define MOD_ATL_H

#include "httpd.h"
#include "http_config.h"

extern module AP_MODULE_DECLARE_DATA auth_atlassian_module;

#define ATL_AUTH_TYPE "Atlassian"

#endif
