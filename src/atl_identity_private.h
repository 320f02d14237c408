/* SPDX-License-Identifier: Apache-2.0 */
/* What the identity's files share among themselves: the description of
 * each field. Not for the rest of the module. */
#ifndef ATL_IDENTITY_PRIVATE_H
#define ATL_IDENTITY_PRIVATE_H

#include "atl_identity.h"

typedef struct {
    const char *var;
    const char *header;
    const char *json;
    unsigned char num;         /* storage number; 0: derived, not stored */
    apr_size_t max;            /* longest value stored */
    const char *const *abbrev; /* common values and prefixes, or NULL */
} atl_field_desc_t;

/* Indexed by atl_field_e. */
extern const atl_field_desc_t atl_identity_fields[ATL_F_COUNT];

#endif
