/* SPDX-License-Identifier: Apache-2.0 */
/* Result codes shared by the core. Every core function returns an
 * apr_status_t: APR_SUCCESS, an APR error, or one of these. The glue maps
 * them to an HTTP status (see atl_status_http()). */
#ifndef ATL_STATUS_H
#define ATL_STATUS_H

#include <apr_errno.h>

/* An outbound call to Atlassian took longer than AtlassianTimeout. */
#define ATL_E_TIMEOUT (APR_OS_START_USERERR + 4100)
/* Atlassian could not be reached, TLS failed, or it answered non-2xx. */
#define ATL_E_UPSTREAM (APR_OS_START_USERERR + 4101)
/* Atlassian answered, but the answer is malformed or incomplete. */
#define ATL_E_MALFORMED (APR_OS_START_USERERR + 4102)
/* The account or the consent was refused (not active, access_denied). */
#define ATL_E_DENIED (APR_OS_START_USERERR + 4103)
/* Input from the browser or the configuration is invalid. */
#define ATL_E_BADINPUT (APR_OS_START_USERERR + 4104)
/* A value or an answer exceeds its size limit. */
#define ATL_E_TOOBIG (APR_OS_START_USERERR + 4105)
/* A sealed value did not unseal (tampered, truncated, other key). */
#define ATL_E_UNSEAL (APR_OS_START_USERERR + 4106)
/* A product API answered 401 "scope does not match": the token lacks the
 * scope the call needs. A configuration error (AtlassianScope and the app
 * in the developer console), not a decision about the user. */
#define ATL_E_SCOPE (APR_OS_START_USERERR + 4107)
/* A product API refused the user's token (any other 401, or 403): the token
 * was revoked or expired, or the user may not use the product on that
 * site. */
#define ATL_E_FORBIDDEN (APR_OS_START_USERERR + 4108)
/* A product API asked us to slow down (429, or 503 with or without
 * Retry-After): try again later, never read it as an answer. */
#define ATL_E_RATELIMIT (APR_OS_START_USERERR + 4109)

/* The token endpoint refused the grant itself (error=invalid_grant): a junk,
 * expired or replayed code, or a refresh token that is no longer valid. */
#define ATL_E_GRANT (APR_OS_START_USERERR + 4110)

/* A call was only noted, to be made with others in the next wave
 * (atl_http_batch_plan): there is no answer yet. */
#define ATL_E_DEFERRED (APR_OS_START_USERERR + 4120)

#endif
