/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_groups_fetch against a tiny scripted HTTP server on
 * 127.0.0.1 in a thread of the test: the URLs it asks (escaping, paging by
 * start only), and what each answer becomes (groups, scope error, refusal,
 * rate limit with Retry-After, timeout, malformed). Nothing leaves the
 * machine. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <apr_strings.h>

#include "atl_check.h"
#include "atl_groups.h"

#define MAX_SCRIPT 8

/* Answers one connection after another with the scripted answers (NULL:
 * stay silent for silent_ms), keeping the head of each request. */
typedef struct {
    int listen_fd;
    int port;
    int n;
    const char *answer[MAX_SCRIPT];
    int silent_ms;
    char head[MAX_SCRIPT][4096];
    int served;
    pthread_t thread;
} script_t;

static void *script_serve(void *arg)
{
    script_t *sc = arg;
    int i;

    for (i = 0; i < sc->n; i++) {
        int fd = accept(sc->listen_fd, NULL, NULL);
        size_t len = 0;

        if (fd < 0) {
            break; /* the fetch made fewer calls; the accept timed out */
        }
        while (len < sizeof(sc->head[i]) - 1 && !strstr(sc->head[i], "\r\n\r\n")) {
            ssize_t got = recv(fd, sc->head[i] + len, sizeof(sc->head[i]) - 1 - len, 0);

            if (got <= 0) {
                break;
            }
            len += (size_t)got;
            sc->head[i][len] = '\0';
        }
        sc->served++;
        if (sc->answer[i]) {
            const char *a = sc->answer[i];
            size_t off = 0, alen = strlen(a);

            while (off < alen) {
                ssize_t put = send(fd, a + off, alen - off, MSG_NOSIGNAL);

                if (put <= 0) {
                    break;
                }
                off += (size_t)put;
            }
        }
        else {
            usleep((useconds_t)sc->silent_ms * 1000);
        }
        close(fd);
    }
    return NULL;
}

static script_t *script_start(int n, ...)
{
    script_t *sc = apr_pcalloc(pool, sizeof(*sc));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    struct timeval tv = {3, 0};
    va_list ap;
    int i, one = 1;

    ck_assert_int_le(n, MAX_SCRIPT);
    sc->n = n;
    sc->silent_ms = 700;
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        sc->answer[i] = va_arg(ap, const char *);
    }
    va_end(ap);
    sc->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(sc->listen_fd, 0);
    setsockopt(sc->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* A call the test expected but the code never made ends the thread. */
    setsockopt(sc->listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(sc->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(sc->listen_fd, 8), 0);
    ck_assert_int_eq(getsockname(sc->listen_fd, (struct sockaddr *)&sa, &salen), 0);
    sc->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&sc->thread, NULL, script_serve, sc), 0);
    return sc;
}

static void script_stop(script_t *sc)
{
    pthread_join(sc->thread, NULL);
    close(sc->listen_fd);
}

/* The request line of the i-th request, without " HTTP/1.1". */
static const char *request_line(script_t *sc, int i)
{
    char *line = apr_pstrdup(pool, sc->head[i]);
    char *end = strstr(line, " HTTP/1.");

    ck_assert_ptr_nonnull(end);
    *end = '\0';
    return line;
}

static const char *answer(int status, const char *extra, const char *body)
{
    return apr_psprintf(pool,
                        "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s"
                        "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                        status, extra, (int)strlen(body), body);
}

static atl_groups_conf_t *conf_for(script_t *sc)
{
    atl_groups_conf_t *c = apr_pcalloc(pool, sizeof(*c));

    /* A trailing slash on AtlassianAPIURL is harmless. */
    c->api_url = apr_psprintf(pool, "http://127.0.0.1:%d/", sc->port);
    c->http.timeout_ms = 2000;
    c->http.max_body = 1024 * 1024;
    return c;
}

#define TOKEN   "atl-at-secret-token-0123456789"
#define ACCOUNT "557057:4f9a-bb11"
#define CLOUD   "1324a887-45db-1bf4-1e99-ef0ff456d421"

static apr_status_t fetch(atl_groups_result_t **res, const char **reason, script_t *sc,
                          atl_groups_conf_t *c, atl_product_e product)
{
    apr_status_t rv = atl_groups_fetch(res, reason, pool, c ? c : conf_for(sc), CLOUD,
                                       product, ACCOUNT, TOKEN);

    script_stop(sc);
    ck_assert_ptr_nonnull(*res);
    if (rv != APR_SUCCESS) {
        ck_assert_ptr_nonnull(*reason);
        ck_assert_ptr_null(strstr(*reason, TOKEN));
        ck_assert_ptr_null((*res)->groups);
    }
    return rv;
}

START_TEST(jira_success)
{
    script_t *sc = script_start(
        1, answer(200, "",
                  "{\"groups\":{\"size\":2,\"items\":[{\"name\":\"jira-admins\","
                  "\"groupId\":\"0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5\"},"
                  "{\"name\":\"legacy\",\"groupId\":null}]}}"));
    atl_groups_result_t *res;
    const char *reason;

    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), APR_SUCCESS);
    ck_assert_str_eq(request_line(sc, 0),
                     "GET /ex/jira/" CLOUD "/rest/api/3/myself?expand=groups");
    ck_assert_ptr_nonnull(strstr(sc->head[0], "\r\nAuthorization: Bearer " TOKEN "\r\n"));
    ck_assert_int_eq(res->product, ATL_PRODUCT_JIRA);
    ck_assert_int_eq(res->calls, 1);
    ck_assert_int_eq(res->status, 200);
    ck_assert_int_eq(res->groups->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(res->groups, 1, atl_group_t).name, "legacy");
}
END_TEST

/* A cloud id is one path segment, whatever it holds. */
START_TEST(cloud_id_escaped)
{
    script_t *sc =
        script_start(1, answer(200, "", "{\"groups\":{\"size\":0,\"items\":[]}}"));
    atl_groups_result_t *res;
    const char *reason, *line;

    ck_assert_int_eq(atl_groups_fetch(&res, &reason, pool, conf_for(sc), "a/../b c?d",
                                      ATL_PRODUCT_JIRA, NULL, TOKEN),
                     APR_SUCCESS);
    script_stop(sc);
    line = request_line(sc, 0);
    ck_assert_msg(!strncmp(line, "GET /ex/jira/a%2f..%2fb%20c%3fd/rest/", 37)
                      || !strncmp(line, "GET /ex/jira/a%2F..%2Fb%20c%3Fd/rest/", 37),
                  "%s", line);
}
END_TEST

START_TEST(confluence_paging)
{
    /* Links are followed as given: relative to the site's wiki base, and
     * absolute on the API host. */
    script_t *sc = script_start(
        3,
        answer(200, "",
               "{\"results\":[{\"type\":\"group\",\"name\":\"a\",\"id\":\"1\"},"
               "{\"type\":\"group\",\"name\":\"b\",\"id\":\"2\"}],\"size\":2,"
               "\"_links\":{\"next\":\"/rest/api/user/memberof?accountId=x&start=2"
               "&limit=2\"}}"),
        NULL, answer(200, "", "{\"results\":[],\"size\":0,\"_links\":{}}"));
    atl_groups_result_t *res;
    const char *reason;
    const char *base =
        "GET /ex/confluence/" CLOUD "/wiki/rest/api/user/memberof?accountId=";

    sc->answer[1] = answer(
        200, "",
        apr_psprintf(pool,
                     "{\"results\":[{\"type\":\"group\",\"name\":\"c\",\"id\":\"3\"}],"
                     "\"size\":1,\"_links\":{\"next\":\"http://127.0.0.1:%d/ex/"
                     "confluence/" CLOUD "/wiki/rest/api/user/memberof?accountId=x"
                     "&start=3&limit=2#frag\"}}",
                     sc->port));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE), APR_SUCCESS);
    ck_assert_int_eq(res->calls, 3);
    ck_assert_str_eq(
        request_line(sc, 0),
        apr_pstrcat(pool, base, "557057%3a4f9a-bb11&start=0&limit=200", NULL));
    ck_assert_str_eq(request_line(sc, 1),
                     apr_pstrcat(pool, base, "x&start=2&limit=2", NULL));
    ck_assert_str_eq(request_line(sc, 2),
                     apr_pstrcat(pool, base, "x&start=3&limit=2", NULL));
    ck_assert_ptr_nonnull(strstr(sc->head[2], "\r\nHost: 127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(sc->head[2], "\r\nAuthorization: Bearer " TOKEN "\r\n"));
    ck_assert_int_eq(res->groups->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(res->groups, 2, atl_group_t).name, "c");
}
END_TEST

/* The forms of a relative link, and a link without a start (a cursor). */
START_TEST(confluence_link_forms)
{
    static const char *links[] = {
        "/wiki/rest/api/user/memberof?accountId=x&cursor=abc",
        "/ex/confluence/" CLOUD "/wiki/rest/api/user/memberof?accountId=x&start=7",
        "rest/api/user/memberof?accountId=x&start=8",
    };
    static const char *wanted[] = {
        "/wiki/rest/api/user/memberof?accountId=x&cursor=abc",
        "/wiki/rest/api/user/memberof?accountId=x&start=7",
        "/wiki/rest/api/user/memberof?accountId=x&start=8",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        script_t *sc =
            script_start(2,
                         answer(200, "",
                                apr_psprintf(pool,
                                             "{\"results\":[],\"size\":0,\"_links\":"
                                             "{\"next\":\"%s\"}}",
                                             links[i])),
                         answer(200, "", "{\"results\":[],\"size\":0,\"_links\":{}}"));
        atl_groups_result_t *res;
        const char *reason;

        ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE),
                         APR_SUCCESS);
        ck_assert_str_eq(request_line(sc, 1),
                         apr_pstrcat(pool, "GET /ex/confluence/" CLOUD, wanted[i], NULL));
    }
}
END_TEST

START_TEST(confluence_links_refused)
{
    static const char *links[] = {
        "/rest/api/user/memberof?accountId=x&start=0&limit=2", /* no progress */
        "/rest/api/user/memberof?start=-5",
        "/rest/api/user/memberof?start=5x",
        "/rest/api/user/memberof?start=5&start=9",
        "/rest/api/user/memberof?start=99999999999",
        /* Away from the API host or the site's wiki path. */
        "https://evil.example/wiki/rest/api/user/memberof?start=3",
        "//evil.example/wiki/rest/api/user/memberof?start=3",
        "https://127.0.0.1:%d/ex/confluence/" CLOUD
        "/wiki/rest/api/user/memberof?start=3",
        "http://127.0.0.1:1/ex/confluence/" CLOUD "/wiki/rest/api/user/memberof?start=3",
        "http://user:pw@127.0.0.1:%d/ex/confluence/" CLOUD "/wiki/rest/api/x?start=3",
        "/ex/confluence/other-site/wiki/rest/api/user/memberof?start=3",
        "/ex/jira/" CLOUD "/rest/api/3/myself?start=3",
        "/wiki/../../jira/" CLOUD "/rest/api/3/myself?start=3",
        "/rest/api/%%2e%%2E/x?start=3", /* (a format: %% is %) */
        "/rest/api/user/memberof?accountId=x y&start=3",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        script_t *sc = script_start(1, NULL);
        atl_groups_result_t *res;
        const char *reason;

        sc->answer[0] = answer(200, "",
                               apr_psprintf(pool,
                                            "{\"results\":[{\"name\":\"a\"}],\"size\":1,"
                                            "\"_links\":{\"next\":\"%s\"}}",
                                            apr_psprintf(pool, links[i], sc->port)));
        ck_assert_msg(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE)
                          == ATL_E_MALFORMED,
                      "accepted %s", links[i]);
        ck_assert_int_eq(res->calls, 1);
        ck_assert_ptr_nonnull(strstr(reason, "next-page link"));
    }
}
END_TEST

/* A link without a start is followed once, never twice. */
START_TEST(confluence_link_loop)
{
    const char *page = answer(200, "",
                              "{\"results\":[],\"size\":0,\"_links\":"
                              "{\"next\":\"/rest/api/user/memberof?cursor=c1\"}}");
    script_t *sc = script_start(2, page, page);
    atl_groups_result_t *res;
    const char *reason;

    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(res->calls, 2);
    ck_assert_ptr_nonnull(strstr(reason, "does not move on"));
}
END_TEST

#define JIRA_CUT                                                                         \
    "{\"accountId\":\"557057:4f9a-bb11\",\"emailAddress\":null,\"timeZone\":null,"       \
    "\"avatarUrls\":{\"48x48\":\"x\"},\"groups\":{\"size\":3,\"items\":[{\"name\":"      \
    "\"a\",\"groupId\":\"0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5\"}],\"max-results\":1},"   \
    "\"applicationRoles\":{\"size\":0,\"items\":[]},\"expand\":\"groups\"}"

/* Jira cut the expanded list short: the complete one comes from
 * user/groups. */
START_TEST(jira_cut_list_read_whole)
{
    script_t *sc = script_start(
        2, answer(200, "", JIRA_CUT),
        answer(200, "",
               "[{\"name\":\"a\",\"groupId\":\"0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5\"},"
               "{\"name\":\"b\",\"groupId\":null},{\"name\":\"c\",\"self\":\"x\"}]"));
    atl_groups_result_t *res;
    const char *reason;

    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), APR_SUCCESS);
    ck_assert_int_eq(res->calls, 2);
    ck_assert_str_eq(request_line(sc, 1),
                     "GET /ex/jira/" CLOUD
                     "/rest/api/3/user/groups?accountId=557057%3a4f9a-bb11");
    ck_assert_ptr_nonnull(strstr(sc->head[1], "\r\nAuthorization: Bearer " TOKEN "\r\n"));
    ck_assert_int_eq(res->groups->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(res->groups, 2, atl_group_t).name, "c");
}
END_TEST

/* When the complete list fails too, the cut list's failure stands (502),
 * but for a rate limit, which says when to ask again. */
START_TEST(jira_cut_list_fallback_fails)
{
    atl_groups_result_t *res;
    const char *reason;
    script_t *sc;

    sc = script_start(2, answer(200, "", JIRA_CUT),
                      answer(403, "", "{\"errorMessages\":[\"no permission\"]}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(reason, "incomplete list"));
    ck_assert_ptr_nonnull(strstr(reason, "Browse users and groups"));
    ck_assert_ptr_nonnull(strstr(reason, "answered 403 (no permission)"));
    sc = script_start(2, answer(200, "", JIRA_CUT),
                      answer(401, "", "{\"code\":401,\"message\":\"Unauthorized\"}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    sc = script_start(2, answer(200, "", JIRA_CUT), answer(200, "", "{\"items\":[]}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    sc = script_start(2, answer(200, "", JIRA_CUT),
                      answer(429, "Retry-After: 9\r\n", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_RATELIMIT);
    ck_assert_int_eq(res->retry_after, 9);
    /* Without an account id there is nothing to ask. */
    sc = script_start(1, answer(200, "", JIRA_CUT));
    ck_assert_int_eq(atl_groups_fetch(&res, &reason, pool, conf_for(sc), CLOUD,
                                      ATL_PRODUCT_JIRA, NULL, TOKEN),
                     ATL_E_MALFORMED);
    script_stop(sc);
    ck_assert_int_eq(res->calls, 1);
    /* Not expanded at all is no cut list: no second call. */
    sc = script_start(1, answer(200, "", "{\"groups\":{\"size\":3,\"items\":[]}}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    ck_assert_int_eq(res->calls, 1);
}
END_TEST

START_TEST(confluence_page_bound)
{
    const char *page = answer(200, "",
                              "{\"results\":[{\"name\":\"a\"}],\"size\":1,\"_links\":"
                              "{\"next\":\"/x?start=999\"}}");
    const char *page2 = answer(200, "",
                               "{\"results\":[{\"name\":\"b\"}],\"size\":1,\"_links\":"
                               "{\"next\":\"/x?start=1999\"}}");
    script_t *sc = script_start(2, page, page2);
    atl_groups_conf_t *c = conf_for(sc);
    atl_groups_result_t *res;
    const char *reason;

    c->max_pages = 2;
    ck_assert_int_eq(fetch(&res, &reason, sc, c, ATL_PRODUCT_CONFLUENCE),
                     ATL_E_MALFORMED);
    ck_assert_int_eq(res->calls, 2);
    ck_assert_ptr_nonnull(strstr(reason, "more than 2 pages"));
}
END_TEST

START_TEST(scope_mismatch)
{
    const char *body =
        "{\"code\":401,\"message\":\"Unauthorized; scope does not match\"}";
    atl_groups_result_t *res;
    const char *reason;
    script_t *sc;

    sc = script_start(1, answer(401, "", body));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_SCOPE);
    ck_assert_ptr_nonnull(strstr(reason, "read:jira-user"));
    ck_assert_ptr_nonnull(strstr(reason, "AtlassianScope"));
    sc = script_start(1, answer(401, "", body));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE), ATL_E_SCOPE);
    ck_assert_ptr_nonnull(strstr(reason, "read:confluence-user"));
    ck_assert_int_eq(res->status, 401);
}
END_TEST

START_TEST(refused)
{
    atl_groups_result_t *res;
    const char *reason;
    script_t *sc;

    sc = script_start(1, answer(401, "", "{\"code\":401,\"message\":\"Unauthorized\"}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_FORBIDDEN);
    ck_assert_int_eq(res->status, 401);
    /* An answer that quotes the token never brings it into the reason. */
    sc = script_start(1, answer(403, "", "{\"errorMessages\":[\"no for " TOKEN "\"]}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_FORBIDDEN);
    ck_assert_int_eq(res->status, 403);
    ck_assert_ptr_nonnull(strstr(reason, "no for [hidden]"));
    sc = script_start(1, answer(500, "", "oops"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_UPSTREAM);
    sc = script_start(1, answer(404, "", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE),
                     ATL_E_UPSTREAM);
}
END_TEST

START_TEST(rate_limited)
{
    atl_groups_result_t *res;
    const char *reason;
    script_t *sc;

    sc = script_start(1, answer(429, "Retry-After: 7\r\n", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_RATELIMIT);
    ck_assert_int_eq(res->retry_after, 7);
    ck_assert_ptr_nonnull(strstr(reason, "retry after 7 s"));
    sc = script_start(1, answer(503, "", "busy"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_RATELIMIT);
    ck_assert_int_eq(res->retry_after, 0);
    /* A long wait (five hours: below the six hours at which libcurl 8
     * caps Retry-After itself) comes through as it was said. */
    sc = script_start(1, answer(429, "Retry-After: 18000\r\n", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_RATELIMIT);
    ck_assert_int_eq(res->retry_after, 18000);
    /* An absurd one is never more than the module's own cap; what libcurl
     * makes of it first (its cap, since 8.x) is the library's business. */
    sc = script_start(1, answer(429, "Retry-After: 99999999\r\n", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_RATELIMIT);
    ck_assert_int_gt(res->retry_after, 0);
    ck_assert_int_le(res->retry_after, ATL_HTTP_MAX_RETRY_AFTER);
    /* A later page that is rate limited fails the whole fetch. */
    sc = script_start(2,
                      answer(200, "",
                             "{\"results\":[],\"size\":0,\"_links\":"
                             "{\"next\":\"/x?start=200\"}}"),
                      answer(429, "Retry-After: 3\r\n", "{}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE),
                     ATL_E_RATELIMIT);
    ck_assert_int_eq(res->retry_after, 3);
    ck_assert_int_eq(res->calls, 2);
}
END_TEST

START_TEST(timeouts)
{
    atl_groups_result_t *res;
    const char *reason;
    atl_groups_conf_t *c;
    script_t *sc;

    sc = script_start(1, NULL);
    c = conf_for(sc);
    c->http.timeout_ms = 300;
    ck_assert_int_eq(fetch(&res, &reason, sc, c, ATL_PRODUCT_JIRA), ATL_E_TIMEOUT);

    /* The budget of the whole fetch caps each call. */
    sc = script_start(1, NULL);
    c = conf_for(sc);
    c->total_timeout_ms = 300;
    ck_assert_int_eq(fetch(&res, &reason, sc, c, ATL_PRODUCT_CONFLUENCE), ATL_E_TIMEOUT);
}
END_TEST

START_TEST(malformed_answers)
{
    atl_groups_result_t *res;
    const char *reason;
    script_t *sc;

    sc = script_start(1, answer(200, "", "{\"groups\":{\"items\":[],\"size\":3}}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(reason, "not expanded"));
    sc = script_start(1, answer(200, "", "<html>"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_JIRA), ATL_E_MALFORMED);
    /* An incomplete second page fails all, never a shorter list. */
    sc = script_start(2,
                      answer(200, "",
                             "{\"results\":[{\"name\":\"a\"}],\"size\":1,\"_links\":"
                             "{\"next\":\"/x?start=1\"}}"),
                      answer(200, "", "{\"results\":[{\"name\":\"b\"}],\"size\":2}"));
    ck_assert_int_eq(fetch(&res, &reason, sc, NULL, ATL_PRODUCT_CONFLUENCE),
                     ATL_E_MALFORMED);
}
END_TEST

START_TEST(bad_input)
{
    atl_groups_conf_t c;
    atl_groups_result_t *res = NULL;
    const char *reason;

    memset(&c, 0, sizeof(c));
    c.api_url = "http://127.0.0.1:9";
    ck_assert_int_eq(atl_groups_fetch(&res, &reason, pool, &c, CLOUD, ATL_PRODUCT_NONE,
                                      ACCOUNT, TOKEN),
                     ATL_E_BADINPUT);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(res->calls, 0);
    ck_assert_int_eq(atl_groups_fetch(&res, &reason, pool, &c, CLOUD,
                                      ATL_PRODUCT_CONFLUENCE, NULL, TOKEN),
                     ATL_E_BADINPUT);
    ck_assert_int_eq(
        atl_groups_fetch(&res, &reason, pool, &c, "", ATL_PRODUCT_JIRA, ACCOUNT, TOKEN),
        ATL_E_BADINPUT);
    ck_assert_int_eq(
        atl_groups_fetch(&res, &reason, pool, &c, CLOUD, ATL_PRODUCT_JIRA, ACCOUNT, NULL),
        ATL_E_BADINPUT);
    c.api_url = NULL;
    ck_assert_int_eq(atl_groups_fetch(&res, &reason, pool, &c, CLOUD, ATL_PRODUCT_JIRA,
                                      ACCOUNT, TOKEN),
                     ATL_E_BADINPUT);
}
END_TEST

static Suite *fetch_suite(void)
{
    Suite *s = suite_create("groups_fetch");
    TCase *tc = tcase_create("http");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, jira_success);
    tcase_add_test(tc, cloud_id_escaped);
    tcase_add_test(tc, confluence_paging);
    tcase_add_test(tc, confluence_link_forms);
    tcase_add_test(tc, confluence_links_refused);
    tcase_add_test(tc, confluence_link_loop);
    tcase_add_test(tc, jira_cut_list_read_whole);
    tcase_add_test(tc, jira_cut_list_fallback_fails);
    tcase_add_test(tc, confluence_page_bound);
    tcase_add_test(tc, scope_mismatch);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, rate_limited);
    tcase_add_test(tc, timeouts);
    tcase_add_test(tc, malformed_answers);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* atl_http_global_init() makes a pool: APR must be up first, and stay up
     * across the tests' own apr_initialize()/apr_terminate() pairs. */
    apr_initialize();
    if (atl_http_global_init(NULL) != APR_SUCCESS) {
        return EXIT_FAILURE;
    }
    return atl_check_run(fetch_suite());
}
