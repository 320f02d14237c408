/* SPDX-License-Identifier: Apache-2.0 */
/* The shared outcome of a group check, one record of atl_json_records.h:
 *
 *     {"c":<checked>,"e":1,"g":["site/group",...],
 *      "f":[{"s":"<site>","h":<status>,"u":<retry until>,"w":"<why>"},...]}
 *
 * c is when it was checked (seconds since the epoch), e only when the
 * token was refused, g the configured groups the user is in, f the sites
 * whose membership is not known: the HTTP status the request gets, until
 * when no one asks again (0: no such time) and a line for the log. */

#include <string.h>

#include "atl_gcheck.h"
#include "atl_identity.h"
#include "atl_json_records.h"

#define GCHECK_MAX_VALUE  1024
#define GCHECK_MAX_GROUPS 4096
#define GCHECK_MAX_FAILS  256
/* Six bytes for each byte of every value at most, and the names. */
#define GCHECK_MAX_LEN                                                                   \
    ((GCHECK_MAX_GROUPS + 2 * GCHECK_MAX_FAILS) * (6 * GCHECK_MAX_VALUE + 8)             \
     + GCHECK_MAX_FAILS * 64 + 64)

enum { F_SITE, F_STATUS, F_UNTIL, F_WHY, F_N };

static const atl_json_member_t fail_members[F_N] = {
    [F_SITE] = {"s", ATL_JSON_STR, 1, GCHECK_MAX_VALUE},
    [F_STATUS] = {"h", ATL_JSON_INT, 1, 599},
    [F_UNTIL] = {"u", ATL_JSON_INT, 1, ATL_JSON_MAX_TIME},
    [F_WHY] = {"w", ATL_JSON_STR, 0, GCHECK_MAX_VALUE},
};

enum { G_CHECKED, G_ENDED, G_GROUPS, G_FAILS, G_N };

static const atl_json_member_t gcheck_members[G_N] = {
    [G_CHECKED] = {"c", ATL_JSON_INT, 1, ATL_JSON_MAX_TIME},
    [G_ENDED] = {"e", ATL_JSON_INT, 0, 1},
    [G_GROUPS] = {"g", ATL_JSON_STRS, 1, GCHECK_MAX_GROUPS, GCHECK_MAX_VALUE},
    [G_FAILS] = {"f", ATL_JSON_RECS, 1, GCHECK_MAX_FAILS, 0, fail_members, F_N},
};

atl_gcheck_t *atl_gcheck_make(apr_pool_t *p, apr_int64_t now)
{
    atl_gcheck_t *g = apr_pcalloc(p, sizeof(*g));

    g->checked = now;
    g->groups = apr_array_make(p, 4, sizeof(const char *));
    g->fails = apr_array_make(p, 1, sizeof(atl_gfail_t));
    return g;
}

/* A value as it is written: without control characters, at most
 * GCHECK_MAX_VALUE bytes, never empty ("-"). */
static atl_json_value_t gcheck_text(apr_pool_t *p, const char *v)
{
    const char *clean =
        v ? atl_identity_sanitize(p, v, strlen(v), GCHECK_MAX_VALUE) : NULL;

    clean = clean ? clean : "-";
    return (atl_json_value_t){1, clean, strlen(clean)};
}

apr_status_t atl_gcheck_encode(const char **out, apr_size_t *len, apr_pool_t *p,
                               const atl_gcheck_t *g)
{
    atl_json_value_t v[G_N] = {{0}};
    int i;

    *out = NULL;
    *len = 0;
    if (g->checked <= 0) {
        return ATL_E_BADINPUT;
    }
    v[G_CHECKED] = (atl_json_value_t){1, NULL, 0, g->checked};
    v[G_ENDED] = (atl_json_value_t){g->ended != 0, NULL, 0, 1};
    v[G_GROUPS].present = 1;
    v[G_GROUPS].list = apr_array_make(p, g->groups->nelts + 1, sizeof(const char *));
    for (i = 0; i < g->groups->nelts; i++) {
        APR_ARRAY_PUSH(v[G_GROUPS].list, const char *) =
            gcheck_text(p, APR_ARRAY_IDX(g->groups, i, const char *)).s;
    }
    v[G_FAILS].present = 1;
    v[G_FAILS].list = apr_array_make(p, g->fails->nelts + 1, sizeof(atl_json_value_t *));
    for (i = 0; i < g->fails->nelts; i++) {
        const atl_gfail_t *f = &APR_ARRAY_IDX(g->fails, i, atl_gfail_t);
        atl_json_value_t *fv = apr_pcalloc(p, F_N * sizeof(*fv));

        fv[F_SITE] = gcheck_text(p, f->site);
        fv[F_STATUS] = (atl_json_value_t){1, NULL, 0, f->status};
        fv[F_UNTIL] = (atl_json_value_t){1, NULL, 0, f->retry_until};
        if (f->why) {
            fv[F_WHY] = gcheck_text(p, f->why);
        }
        APR_ARRAY_PUSH(v[G_FAILS].list, atl_json_value_t *) = fv;
    }
    return atl_json_record_write(out, len, p, gcheck_members, G_N, v);
}

apr_status_t atl_gcheck_decode(atl_gcheck_t **out, apr_pool_t *p, const char *s,
                               apr_size_t len)
{
    atl_json_value_t v[G_N];
    atl_gcheck_t *g;
    int i;

    *out = NULL;
    if (atl_json_record_read(v, p, gcheck_members, G_N, s, len, GCHECK_MAX_LEN)
            != APR_SUCCESS
        || v[G_CHECKED].i <= 0 || (v[G_ENDED].present && v[G_ENDED].i != 1)) {
        return ATL_E_MALFORMED;
    }
    g = atl_gcheck_make(p, v[G_CHECKED].i);
    g->ended = v[G_ENDED].present;
    g->groups = v[G_GROUPS].list;
    for (i = 0; i < v[G_FAILS].list->nelts; i++) {
        const atl_json_value_t *fv =
            APR_ARRAY_IDX(v[G_FAILS].list, i, atl_json_value_t *);
        atl_gfail_t *f = &APR_ARRAY_PUSH(g->fails, atl_gfail_t);

        f->site = fv[F_SITE].s;
        f->status = (int)fv[F_STATUS].i;
        f->retry_until = fv[F_UNTIL].i;
        f->why = fv[F_WHY].present ? fv[F_WHY].s : "unknown";
    }
    *out = g;
    return APR_SUCCESS;
}
