/* SPDX-License-Identifier: Apache-2.0 */
/* What the JSON and OAuth unit tests share: Atlassian's example /me answer,
 * a string member of a JSON object, a site of an array. */
#ifndef ATL_JSON_SAMPLES_H
#define ATL_JSON_SAMPLES_H

#include <json-c/json.h>

#include "atl_identity.h"

/* The example answer of Atlassian's /me documentation. */
static const char *me_example =
    "{\"account_type\": \"atlassian\", \"account_id\": "
    "\"112233aa-bb11-cc22-33dd-445566abcabc\",\n"
    " \"email\": \"mia@example.com\", \"name\": \"Mia Krystof\",\n"
    " \"picture\": "
    "\"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/"
    "112233aa/1234abcd\",\n"
    " \"account_status\": \"active\", \"nickname\": \"mkrystof\", \"zoneinfo\": "
    "\"Australia/Sydney\",\n"
    " \"locale\": \"en-US\",\n"
    " \"extended_profile\": {\"job_title\": \"Designer\", \"organization\": "
    "\"mia@example.com\",\n"
    "                      \"department\": \"Design team\", \"location\": \"Sydney\"}}\n";

#define SITE(a, i) (&APR_ARRAY_IDX((a), (i), atl_site_t))

/* The string member key of o, or NULL. */
static inline const char *member(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

#endif
