/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_groups (product choice, site lookup, matching) and
 * atl_json_groups (Jira's and Confluence's group answers), plus the scopes
 * atl_json_parse_sites keeps for them. No network: the HTTP calls are
 * covered by test_groups_fetch.c. */

#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "atl_check.h"
#include "atl_groups.h"
#include "atl_json.h"
#include "atl_json_groups.h"

#define GROUP(a, i) (&APR_ARRAY_IDX((a), (i), atl_group_t))

static apr_array_header_t *new_list(void)
{
    return apr_array_make(pool, 4, sizeof(atl_group_t));
}

static apr_status_t jira(apr_array_header_t *g, const char **err, const char *body)
{
    *err = NULL;
    return atl_json_parse_jira_groups(g, err, pool, body, strlen(body),
                                      ATL_GROUPS_MAX_GROUPS);
}

static apr_status_t conf(apr_array_header_t *g, const char **next, const char **err,
                         const char *body)
{
    *err = NULL;
    return atl_json_parse_confluence_groups(g, next, err, pool, body, strlen(body),
                                            ATL_GROUPS_MAX_GROUPS);
}

/* ---- Jira ----------------------------------------------------------- */

START_TEST(jira_valid)
{
    apr_array_header_t *g = new_list();
    const char *err;
    const char *body =
        "{\"self\":\"https://x/rest/api/3/user?accountId=1\",\"accountId\":\"1\","
        "\"groups\":{\"size\":3,\"items\":["
        "{\"name\":\"jira-software-users\","
        "\"groupId\":\"0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5\",\"self\":\"https://x\"},"
        "{\"name\":\"site-admins\",\"groupId\":null},"
        "{\"name\":\"Ünïcode Team\"}],\"max-results\":1000},"
        "\"applicationRoles\":{\"size\":1,\"items\":[]},\"expand\":\"groups\"}";

    ck_assert_int_eq(jira(g, &err, body), APR_SUCCESS);
    ck_assert_int_eq(g->nelts, 3);
    ck_assert_str_eq(GROUP(g, 0)->name, "jira-software-users");
    ck_assert_str_eq(GROUP(g, 0)->id, "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5");
    ck_assert_str_eq(GROUP(g, 1)->name, "site-admins");
    ck_assert_ptr_null(GROUP(g, 1)->id);
    ck_assert_str_eq(GROUP(g, 2)->name, "Ünïcode Team");
    ck_assert_ptr_null(GROUP(g, 2)->id);
}
END_TEST

START_TEST(jira_no_groups)
{
    apr_array_header_t *g = new_list();
    const char *err;

    ck_assert_int_eq(jira(g, &err, "{\"groups\":{\"size\":0,\"items\":[]}}"),
                     APR_SUCCESS);
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

/* What Jira answers when the expansion was not applied: never "not a
 * member". */
START_TEST(jira_unexpanded_stub)
{
    apr_array_header_t *g = new_list();
    const char *err;

    ck_assert_int_eq(jira(g, &err, "{\"groups\":{\"items\":[],\"size\":3}}"),
                     ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err, "not expanded"));
    ck_assert_int_eq(jira(g, &err, "{\"accountId\":\"1\"}"), ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err, "expansion was not applied"));
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

START_TEST(jira_incomplete)
{
    apr_array_header_t *g = new_list();
    const char *err;

    /* Cut short (as Jira does past max-results): the fetch reads the
     * complete list another way. */
    ck_assert_int_eq(
        jira(g, &err, "{\"groups\":{\"size\":1001,\"items\":[{\"name\":\"a\"}]}}"),
        ATL_E_GROUPS_INCOMPLETE);
    ck_assert_ptr_nonnull(strstr(err, "incomplete"));
    /* More items than the size says is no more believable. */
    ck_assert_int_eq(jira(g, &err,
                          "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\"},"
                          "{\"name\":\"b\"}]}}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

/* Each answer is refused as a whole, and the list stays as it was. */
START_TEST(jira_wrong_types)
{
    static const char *bad[] = {
        "[]",
        "\"groups\"",
        "{\"groups\":[]}",
        "{\"groups\":null}",
        "{\"groups\":{\"size\":\"1\",\"items\":[{\"name\":\"a\"}]}}",
        "{\"groups\":{\"size\":1.0,\"items\":[{\"name\":\"a\"}]}}",
        "{\"groups\":{\"size\":-1,\"items\":[]}}",
        "{\"groups\":{\"items\":[]}}",
        "{\"groups\":{\"size\":1,\"items\":{\"name\":\"a\"}}}",
        "{\"groups\":{\"size\":1}}",
        "{\"groups\":{\"size\":1,\"items\":[\"a\"]}}",
        "{\"groups\":{\"size\":1,\"items\":[null]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"groupId\":\"x\"}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":7}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"\"}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\\u0000b\"}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\\nb\"}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\",\"groupId\":12}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\",\"groupId\":\"\"}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\",\"groupId\":{}}]}}",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\"}]}} x",
        "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"a\"}]}",
        "",
    };
    apr_array_header_t *g = new_list();
    const char *err;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ck_assert_msg(jira(g, &err, bad[i]) == ATL_E_MALFORMED, "accepted: %s", bad[i]);
        ck_assert_ptr_nonnull(err);
    }
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

START_TEST(jira_user_groups)
{
    apr_array_header_t *g = new_list();
    const char *err;
    const char *body =
        "[{\"name\":\"jira-administrators\",\"groupId\":"
        "\"276f955c-63d7-42c8-9520-92d01dca0625\",\"self\":\"https://x/"
        "rest/api/3/group?groupId=276f955c-63d7-42c8-9520-92d01dca0625\"},"
        "{\"name\":\"legacy\",\"self\":\"x\"},{\"name\":\"n\",\"groupId\":null}]";

    ck_assert_int_eq(
        atl_json_parse_jira_user_groups(g, &err, pool, body, strlen(body), 10),
        APR_SUCCESS);
    ck_assert_int_eq(g->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(g, 0, atl_group_t).id,
                     "276f955c-63d7-42c8-9520-92d01dca0625");
    ck_assert_ptr_null(APR_ARRAY_IDX(g, 1, atl_group_t).id);
    body = "[]";
    ck_assert_int_eq(
        atl_json_parse_jira_user_groups(g, &err, pool, body, strlen(body), 10),
        APR_SUCCESS);
    ck_assert_int_eq(g->nelts, 3);
    body = "{\"groups\":[]}";
    ck_assert_int_eq(
        atl_json_parse_jira_user_groups(g, &err, pool, body, strlen(body), 10),
        ATL_E_MALFORMED);
    body = "[{\"name\":\"a\"},{\"groupId\":\"x\"}]";
    ck_assert_int_eq(
        atl_json_parse_jira_user_groups(g, &err, pool, body, strlen(body), 10),
        ATL_E_MALFORMED);
    body = "[{\"name\":\"a\"},{\"name\":\"b\"}]";
    ck_assert_int_eq(
        atl_json_parse_jira_user_groups(g, &err, pool, body, strlen(body), 1),
        ATL_E_TOOBIG);
    ck_assert_int_eq(g->nelts, 3);
}
END_TEST

START_TEST(jira_huge_values)
{
    apr_array_header_t *g = new_list();
    const char *err;
    char *name = apr_palloc(pool, ATL_GROUPS_MAX_NAME + 2);
    char *body;

    /* A size no list has (beyond int64, kept differently by each json-c)
     * is refused, never read as a list cut short. */
    ck_assert_int_eq(jira(g, &err,
                          "{\"groups\":{\"size\":99999999999999999999999,"
                          "\"items\":[{\"name\":\"a\"}]}}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(jira(g, &err,
                          "{\"groups\":{\"size\":9223372036854775807,"
                          "\"items\":[{\"name\":\"a\"}]}}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(jira(g, &err,
                          "{\"groups\":{\"size\":1000000001,"
                          "\"items\":[{\"name\":\"a\"}]}}"),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(jira(g, &err,
                          "{\"groups\":{\"size\":1000000000,"
                          "\"items\":[{\"name\":\"a\"}]}}"),
                     ATL_E_GROUPS_INCOMPLETE);

    /* A name at the limit is kept whole; one byte more fails the answer
     * rather than being cut into another group's name. */
    memset(name, 'n', ATL_GROUPS_MAX_NAME);
    name[ATL_GROUPS_MAX_NAME] = '\0';
    body = apr_psprintf(pool, "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"%s\"}]}}",
                        name);
    ck_assert_int_eq(jira(g, &err, body), APR_SUCCESS);
    ck_assert_int_eq(strlen(GROUP(g, 0)->name), ATL_GROUPS_MAX_NAME);
    body = apr_psprintf(pool, "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"%sx\"}]}}",
                        name);
    ck_assert_int_eq(jira(g, &err, body), ATL_E_MALFORMED);
    ck_assert_int_eq(g->nelts, 1);

    /* Invalid UTF-8 is refused by the loader. */
    ck_assert_int_eq(
        jira(g, &err, "{\"groups\":{\"size\":1,\"items\":[{\"name\":\"\xff\"}]}}"),
        ATL_E_MALFORMED);
}
END_TEST

START_TEST(jira_max_groups)
{
    apr_array_header_t *g = new_list();
    const char *body = "{\"groups\":{\"size\":3,\"items\":[{\"name\":\"a\"},"
                       "{\"name\":\"b\"},{\"name\":\"c\"}]}}";
    const char *err = NULL;

    ck_assert_int_eq(atl_json_parse_jira_groups(g, &err, pool, body, strlen(body), 2),
                     ATL_E_TOOBIG);
    ck_assert_int_eq(atl_json_parse_jira_groups(g, &err, pool, body, strlen(body), 3),
                     APR_SUCCESS);
    ck_assert_int_eq(g->nelts, 3);
}
END_TEST

/* ---- Confluence ----------------------------------------------------- */

START_TEST(confluence_pages)
{
    apr_array_header_t *g = new_list();
    const char *next, *err;

    ck_assert_int_eq(
        conf(g, &next, &err,
             "{\"results\":[{\"type\":\"group\",\"name\":\"confluence-users\","
             "\"id\":\"5e7a1f3b-9c2d-4e8f-a1b2-c3d4e5f6a7b8\",\"_links\":{\"self\":\"x\"}"
             "},"
             "{\"type\":\"group\",\"name\":\"legacy\"}],"
             "\"start\":0,\"limit\":2,\"size\":2,\"_links\":{\"base\":"
             "\"https://acme.atlassian.net/wiki\",\"context\":\"/wiki\",\"next\":"
             "\"/rest/api/user/memberof?accountId=5b10&start=2&limit=2\"}}"),
        APR_SUCCESS);
    ck_assert_str_eq(next, "/rest/api/user/memberof?accountId=5b10&start=2&limit=2");
    ck_assert_int_eq(
        conf(g, &next, &err,
             "{\"results\":[{\"type\":\"group\",\"name\":\"last\",\"id\":null}],"
             "\"start\":2,\"limit\":2,\"size\":1,\"_links\":{\"next\":null}}"),
        APR_SUCCESS);
    ck_assert_ptr_null(next);
    ck_assert_int_eq(
        conf(g, &next, &err, "{\"results\":[],\"start\":3,\"limit\":2,\"size\":0}"),
        APR_SUCCESS);
    ck_assert_ptr_null(next);
    ck_assert_int_eq(g->nelts, 3);
    ck_assert_str_eq(GROUP(g, 0)->name, "confluence-users");
    ck_assert_str_eq(GROUP(g, 0)->id, "5e7a1f3b-9c2d-4e8f-a1b2-c3d4e5f6a7b8");
    ck_assert_str_eq(GROUP(g, 1)->name, "legacy");
    ck_assert_ptr_null(GROUP(g, 1)->id);
    ck_assert_str_eq(GROUP(g, 2)->name, "last");
    ck_assert_ptr_null(GROUP(g, 2)->id);
}
END_TEST

START_TEST(confluence_refused)
{
    static const char *bad[] = {
        "{\"results\":[],\"size\":3}",
        "{\"results\":[{\"name\":\"a\"}],\"size\":2}",
        "{\"results\":[{\"name\":\"a\"}]}",
        "{\"results\":[{\"name\":\"a\"}],\"size\":\"1\"}",
        "{\"results\":{},\"size\":0}",
        "{\"size\":0}",
        "{\"results\":[{\"type\":\"user\",\"name\":\"a\"}],\"size\":1}",
        "{\"results\":[{\"type\":7,\"name\":\"a\"}],\"size\":1}",
        "{\"results\":[{\"type\":\"group\",\"name\":\"a\",\"id\":5}],\"size\":1}",
        "{\"results\":[{\"type\":\"group\"}],\"size\":1}",
        "{\"results\":[],\"size\":0,\"_links\":{\"next\":5}}",
        "{\"results\":[],\"size\":0,\"_links\":{\"next\":\"\"}}",
        "{\"results\":[],\"size\":0,\"_links\":{\"next\":\"/x?start=1\\r\\nX: y\"}}",
        "[{\"name\":\"a\"}]",
    };
    apr_array_header_t *g = new_list();
    const char *next, *err;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        next = "unset";
        ck_assert_msg(conf(g, &next, &err, bad[i]) == ATL_E_MALFORMED, "accepted: %s",
                      bad[i]);
        ck_assert_ptr_null(next);
    }
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

START_TEST(confluence_max_groups)
{
    apr_array_header_t *g = new_list();
    const char *body = "{\"results\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"size\":2}";
    const char *next, *err;

    ck_assert_int_eq(
        atl_json_parse_confluence_groups(g, &next, &err, pool, body, strlen(body), 1),
        ATL_E_TOOBIG);
    ck_assert_int_eq(g->nelts, 0);
}
END_TEST

START_TEST(product_message)
{
    const char *s;

    s = "{\"code\":401,\"message\":\"Unauthorized; scope does not match\"}";
    ck_assert_str_eq(atl_json_product_message(pool, s, strlen(s)),
                     "Unauthorized; scope does not match");
    s = "{\"errorMessages\":[\"You are not allowed\"],\"errors\":{}}";
    ck_assert_str_eq(atl_json_product_message(pool, s, strlen(s)), "You are not allowed");
    s = "{\"message\":\"a\\r\\nb\"}";
    ck_assert_str_eq(atl_json_product_message(pool, s, strlen(s)), "ab");
    s = "<html>Too many requests</html>";
    ck_assert_ptr_null(atl_json_product_message(pool, s, strlen(s)));
    s = "{\"errorMessages\":[],\"message\":3}";
    ck_assert_ptr_null(atl_json_product_message(pool, s, strlen(s)));
    ck_assert_ptr_null(atl_json_product_message(pool, "", 0));
}
END_TEST

/* ---- sites: scopes, product, lookup ---------------------------------- */

static apr_array_header_t *sites_of(const char *body)
{
    apr_array_header_t *sites = NULL;
    const char *err = NULL;

    ck_assert_int_eq(atl_json_parse_sites(&sites, &err, pool, body, strlen(body)),
                     APR_SUCCESS);
    return sites;
}

START_TEST(site_scopes_and_product)
{
    apr_array_header_t *sites = sites_of(
        "[{\"id\":\"c1\",\"name\":\"acme\",\"url\":\"https://acme.atlassian.net\","
        "\"scopes\":[\"read:jira-user\",\"read:jira-work\",7,\"\",\"a\\u0000b\"]},"
        "{\"id\":\"c2\",\"name\":\"wiki\",\"url\":\"https://Wiki.atlassian.net\","
        "\"scopes\":[\"read:confluence-content.summary\"]},"
        "{\"id\":\"c3\",\"name\":\"granular\",\"url\":\"https://g.atlassian.net\","
        "\"scopes\":[\"read:page:confluence\",\"read:group:jira\"]},"
        "{\"id\":\"c4\",\"name\":\"none\",\"url\":\"https://n.atlassian.net\","
        "\"scopes\":[\"read:me\",\"offline_access\",\"read:jiraffe\"]},"
        "{\"id\":\"c5\",\"name\":\"noscopes\",\"url\":\"https://x.atlassian.net\"},"
        "{\"id\":\"c6\",\"name\":\"jsm\",\"url\":\"https://s.atlassian.net\","
        "\"scopes\":[\"read:servicedesk-request\"]}]");
    const atl_site_t *s;

    ck_assert_int_eq(sites->nelts, 6);
    s = atl_groups_find_site(sites, "acme.atlassian.net");
    ck_assert_str_eq(s->id, "c1");
    /* Only clean strings are kept. */
    ck_assert_int_eq(s->scopes->nelts, 2);
    ck_assert_int_eq(atl_groups_product(s), ATL_PRODUCT_JIRA);
    ck_assert_int_eq(
        atl_groups_product(atl_groups_find_site(sites, "WIKI.atlassian.net")),
        ATL_PRODUCT_CONFLUENCE);
    ck_assert_int_eq(atl_groups_product(atl_groups_find_site(sites, "c3")),
                     ATL_PRODUCT_JIRA);
    ck_assert_int_eq(atl_groups_product(atl_groups_find_site(sites, "c4")),
                     ATL_PRODUCT_NONE);
    s = atl_groups_find_site(sites, "c5");
    ck_assert_ptr_null(s->scopes);
    ck_assert_int_eq(atl_groups_product(s), ATL_PRODUCT_NONE);
    ck_assert_int_eq(atl_groups_product(atl_groups_find_site(sites, "c6")),
                     ATL_PRODUCT_JIRA);
    ck_assert_int_eq(atl_groups_product(NULL), ATL_PRODUCT_NONE);

    /* Cloud ids are exact; site names are not a way to name a site here. */
    ck_assert_ptr_null(atl_groups_find_site(sites, "C1"));
    ck_assert_ptr_null(atl_groups_find_site(sites, "acme"));
    ck_assert_ptr_null(atl_groups_find_site(sites, ""));
    ck_assert_ptr_null(atl_groups_find_site(NULL, "c1"));
    ck_assert_str_eq(atl_groups_product_name(ATL_PRODUCT_JIRA), "jira");
    ck_assert_str_eq(atl_groups_product_name(ATL_PRODUCT_CONFLUENCE), "confluence");
    ck_assert_str_eq(atl_groups_product_name(ATL_PRODUCT_NONE), "none");
}
END_TEST

/* A site listed once per product: one entry, the scopes of both. */
START_TEST(site_scopes_merged)
{
    apr_array_header_t *sites =
        sites_of("[{\"id\":\"c1\",\"url\":\"https://acme.atlassian.net\","
                 "\"scopes\":[\"read:confluence-user\"]},"
                 "{\"id\":\"c1\",\"url\":\"https://acme.atlassian.net\","
                 "\"scopes\":[\"read:confluence-user\",\"read:jira-user\"]}]");
    const atl_site_t *s = atl_groups_find_site(sites, "c1");

    ck_assert_int_eq(sites->nelts, 1);
    ck_assert_int_eq(s->scopes->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(s->scopes, 0, const char *), "read:confluence-user");
    ck_assert_str_eq(APR_ARRAY_IDX(s->scopes, 1, const char *), "read:jira-user");
    ck_assert_int_eq(atl_groups_product(s), ATL_PRODUCT_JIRA);
}
END_TEST

START_TEST(site_scopes_bounded)
{
    char *body = apr_pstrdup(pool, "[{\"id\":\"c1\",\"scopes\":[");
    const atl_site_t *s;
    int i;

    for (i = 0; i < 200; i++) {
        body = apr_psprintf(pool, "%s%s\"scope:%d\"", body, i ? "," : "", i);
    }
    body = apr_pstrcat(pool, body, "]}]", NULL);
    s = atl_groups_find_site(sites_of(body), "c1");
    ck_assert_int_eq(s->scopes->nelts, 64);
}
END_TEST

/* ---- matching ------------------------------------------------------- */

static apr_array_header_t *strings(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(const char *));
    const char *s;
    va_list ap;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
        APR_ARRAY_PUSH(a, const char *) = s;
    }
    va_end(ap);
    return a;
}

static apr_array_header_t *sample_groups(void)
{
    apr_array_header_t *g = new_list();
    atl_group_t *e;

    e = apr_array_push(g);
    e->name = "Jira-Admins";
    e->id = "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5";
    e = apr_array_push(g);
    e->name = "no-id-group";
    e->id = NULL;
    e = apr_array_push(g);
    /* A name that looks like another group's id. */
    e->name = "11111111-2222-3333-4444-555555555555";
    e->id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    e = apr_array_push(g);
    e->name = "Équipe";
    e->id = NULL;
    return g;
}

START_TEST(is_id)
{
    ck_assert(atl_groups_is_id("0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5"));
    ck_assert(atl_groups_is_id("0F1C2D3E-4A5B-6C7D-8E9F-A0B1C2D3E4F5"));
    ck_assert(!atl_groups_is_id("0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f"));
    ck_assert(!atl_groups_is_id("0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f55"));
    ck_assert(!atl_groups_is_id("0f1c2d3e04a5b-6c7d-8e9f-a0b1c2d3e4f5"));
    ck_assert(!atl_groups_is_id("0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4g5"));
    ck_assert(!atl_groups_is_id("jira-admins"));
    ck_assert(!atl_groups_is_id(""));
    ck_assert(!atl_groups_is_id(NULL));
}
END_TEST

START_TEST(match_by_id_and_name)
{
    apr_array_header_t *m = NULL;
    atl_group_match_t *r;

    /* A name match reports the id it had, for the log. */
    ck_assert_int_eq(
        atl_groups_match(&m, pool, strings("jira-admins", NULL), sample_groups()), 1);
    r = &APR_ARRAY_IDX(m, 0, atl_group_match_t);
    ck_assert_str_eq(r->wanted, "jira-admins");
    ck_assert_str_eq(r->name, "Jira-Admins");
    ck_assert_str_eq(r->id, "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5");

    ck_assert_int_eq(atl_groups_match(&m, pool,
                                      strings("0F1C2D3E-4A5B-6C7D-8E9F-A0B1C2D3E4F5",
                                              "no-id-group", "other", NULL),
                                      sample_groups()),
                     2);
    r = &APR_ARRAY_IDX(m, 0, atl_group_match_t);
    ck_assert_str_eq(r->name, "Jira-Admins");
    r = &APR_ARRAY_IDX(m, 1, atl_group_match_t);
    ck_assert_str_eq(r->wanted, "no-id-group");
    ck_assert_ptr_null(r->id);
}
END_TEST

START_TEST(match_refusals)
{
    apr_array_header_t *m = NULL;

    /* A value of id form is an id: a group merely named like that does
     * not match it. */
    ck_assert_int_eq(
        atl_groups_match(&m, pool, strings("11111111-2222-3333-4444-555555555555", NULL),
                         sample_groups()),
        0);
    /* Names: whole names only; non-ASCII letters are not folded. */
    ck_assert_int_eq(
        atl_groups_match(&m, pool,
                         strings("jira", "admins", "jira-admins ", "équipe", "", NULL),
                         sample_groups()),
        0);
    ck_assert_int_eq(atl_groups_match(&m, pool, strings("Équipe", NULL), sample_groups()),
                     1);
    ck_assert_int_eq(atl_groups_match(&m, pool, strings("x", NULL), new_list()), 0);
    ck_assert_int_eq(atl_groups_match(&m, pool, NULL, sample_groups()), 0);
    ck_assert_int_eq(atl_groups_match(&m, pool, strings("x", NULL), NULL), 0);
    ck_assert_ptr_nonnull(m);
}
END_TEST

static Suite *groups_suite(void)
{
    Suite *s = suite_create("groups");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_test(tc, jira_valid);
    tcase_add_test(tc, jira_no_groups);
    tcase_add_test(tc, jira_unexpanded_stub);
    tcase_add_test(tc, jira_incomplete);
    tcase_add_test(tc, jira_user_groups);
    tcase_add_test(tc, jira_wrong_types);
    tcase_add_test(tc, jira_huge_values);
    tcase_add_test(tc, jira_max_groups);
    tcase_add_test(tc, confluence_pages);
    tcase_add_test(tc, confluence_refused);
    tcase_add_test(tc, confluence_max_groups);
    tcase_add_test(tc, product_message);
    tcase_add_test(tc, site_scopes_and_product);
    tcase_add_test(tc, site_scopes_merged);
    tcase_add_test(tc, site_scopes_bounded);
    tcase_add_test(tc, is_id);
    tcase_add_test(tc, match_by_id_and_name);
    tcase_add_test(tc, match_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(groups_suite());
}
