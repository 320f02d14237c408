/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_http and atl_oauth against a tiny HTTP server on
 * 127.0.0.1 that lives in a thread of the test itself. Nothing here leaves
 * the machine. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>

/* PACKAGE_VERSION: the version configure.ac gives, which the User-Agent
 * must carry. */
#include "atl_config.h"

#include "atl_check.h"
#include "atl_json_samples.h"

#include <apr_strings.h>

#include "atl_http.h"
#include "atl_identity.h"
#include "atl_json.h"
#include "atl_oauth.h"
#include "atl_status.h"

/* ---- atl_http and atl_oauth against a loopback server ------------------ */

/* What the fake server answers, and what it saw. One connection each. */
typedef struct {
    int listen_fd;
    int port;
    const char *answer;  /* the full HTTP answer; NULL: stay silent */
    int silent_ms;       /* how long to stay silent */
    int no_read;         /* answer at once, without reading a request */
    char request[16384]; /* what the client sent */
    size_t request_len;
    pthread_t thread;
} fake_server_t;

static void *fake_serve(void *arg)
{
    fake_server_t *fs = arg;
    int fd = accept(fs->listen_fd, NULL, NULL);
    size_t want = 0;

    if (fd < 0) {
        return NULL;
    }
    /* Read the headers, then as much body as Content-Length says. */
    while (!fs->no_read) {
        ssize_t n;
        char *end;

        if (fs->request_len >= sizeof(fs->request) - 1) {
            break;
        }
        n = recv(fd, fs->request + fs->request_len,
                 sizeof(fs->request) - 1 - fs->request_len, 0);
        if (n <= 0) {
            break;
        }
        fs->request_len += (size_t)n;
        fs->request[fs->request_len] = '\0';
        end = strstr(fs->request, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(fs->request, "\r\nContent-Length:");

            if (want == 0) {
                want = (size_t)(end + 4 - fs->request)
                       + (cl ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (fs->request_len >= want) {
                break;
            }
        }
    }
    if (fs->answer) {
        size_t off = 0, len = strlen(fs->answer);

        while (off < len) {
            ssize_t n = send(fd, fs->answer + off, len - off, MSG_NOSIGNAL);

            if (n <= 0) {
                break;
            }
            off += (size_t)n;
        }
    }
    else {
        usleep((useconds_t)fs->silent_ms * 1000);
    }
    close(fd);
    return NULL;
}

/* Start a server for one connection; its options are set before the
 * thread starts, so the thread never races with the test for them. */
static fake_server_t *fake_start_ex(const char *answer, int silent_ms, int no_read)
{
    fake_server_t *fs = apr_pcalloc(pool, sizeof(*fs));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int one = 1;

    fs->answer = answer;
    fs->silent_ms = silent_ms;
    fs->no_read = no_read;
    fs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fs->listen_fd, 0);
    setsockopt(fs->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    ck_assert_int_eq(bind(fs->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fs->listen_fd, 4), 0);
    ck_assert_int_eq(getsockname(fs->listen_fd, (struct sockaddr *)&sa, &salen), 0);
    fs->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&fs->thread, NULL, fake_serve, fs), 0);
    return fs;
}

static fake_server_t *fake_start(const char *answer)
{
    return fake_start_ex(answer, 3000, 0);
}

static void fake_stop(fake_server_t *fs)
{
    pthread_join(fs->thread, NULL);
    close(fs->listen_fd);
}

static const char *http_answer(int status, const char *body)
{
    return apr_psprintf(pool,
                        "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                        status, (int)strlen(body), body);
}

static atl_oauth_conf_t *oauth_conf(const fake_server_t *fs)
{
    atl_oauth_conf_t *c = apr_pcalloc(pool, sizeof(*c));
    const char *base = apr_psprintf(pool, "http://127.0.0.1:%d", fs ? fs->port : 1);

    c->token_url = apr_pstrcat(pool, base, "/oauth/token", NULL);
    c->profile_url = apr_pstrcat(pool, base, "/me", NULL);
    c->resources_url = apr_pstrcat(pool, base, "/oauth/token/accessible-resources", NULL);
    c->client_id = "client-1";
    c->client_secret = "s3cr3t\"value";
    c->http.timeout_ms = 5000;
    c->http.max_body = 65536;
    return c;
}

/* The body of the request the fake server received. */
static const char *request_body(const fake_server_t *fs)
{
    const char *end = strstr(fs->request, "\r\n\r\n");

    return end ? end + 4 : "";
}

START_TEST(http_get_answer)
{
    fake_server_t *fs = fake_start("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; "
                                   "charset=utf-8\r\nContent-Length: 5\r\n"
                                   "Connection: close\r\n\r\nnope!");
    atl_http_opts_t opts = {NULL, 5000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    apr_status_t rv;

    rv = atl_http_request(&resp, &err, pool, &opts, "GET",
                          apr_psprintf(pool, "http://127.0.0.1:%d/x", fs->port),
                          "the-bearer", NULL, NULL);
    fake_stop(fs);
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_ptr_nonnull(resp);
    ck_assert_int_eq(resp->status, 404);
    ck_assert_uint_eq(resp->body_len, 5);
    ck_assert_str_eq(resp->body, "nope!");
    ck_assert_str_eq(resp->content_type, "text/plain; charset=utf-8");
    ck_assert(strncmp(fs->request, "GET /x HTTP/1.1\r\n", 17) == 0);
    ck_assert_ptr_nonnull(
        strstr(fs->request, "\r\nAuthorization: Bearer the-bearer\r\n"));
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nAccept: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(
        fs->request, "\r\nUser-Agent: mod_auth_atlassian/" PACKAGE_VERSION "\r\n"));
}
END_TEST

START_TEST(http_too_big)
{
    char *big = apr_palloc(pool, 5001);
    atl_http_opts_t opts = {NULL, 5000, 100};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    fake_server_t *fs;

    memset(big, 'b', 5000);
    big[5000] = '\0';
    /* Announced by Content-Length. */
    fs = fake_start(http_answer(200, big));
    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        ATL_E_TOOBIG);
    fake_stop(fs);
    ck_assert_ptr_null(resp);
    ck_assert_str_eq(err, "answer too large (over 100 bytes)");

    /* Not announced: the write callback stops it. */
    fs = fake_start(
        apr_pstrcat(pool, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", big, NULL));
    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        ATL_E_TOOBIG);
    fake_stop(fs);
}
END_TEST

START_TEST(http_timeout)
{
    fake_server_t *fs = fake_start_ex(NULL, 1500, 0);
    atl_http_opts_t opts = {NULL, 300, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port),
                         "tok-timeout", NULL, NULL),
        ATL_E_TIMEOUT);
    ck_assert_ptr_null(resp);
    ck_assert_ptr_nonnull(err);
    ck_assert(strncmp(err, "timeout after 300 ms", 20) == 0);
    ck_assert_ptr_null(strstr(err, "tok-timeout"));
    fake_stop(fs);
}
END_TEST

START_TEST(http_refused)
{
    fake_server_t *fs = fake_start(http_answer(200, "{}"));
    atl_http_opts_t opts = {NULL, 2000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;
    int port = fs->port;

    /* Let the fake server finish, then nobody listens on its port. */
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      apr_psprintf(pool, "http://127.0.0.1:%d/", port),
                                      NULL, NULL, NULL),
                     APR_SUCCESS);
    fake_stop(fs);
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      apr_psprintf(pool, "http://127.0.0.1:%d/", port),
                                      "tok-refused", NULL, NULL),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_null(resp);
    ck_assert(strncmp(err, "connect: ", 9) == 0);
    ck_assert_ptr_null(strstr(err, "tok-refused"));
}
END_TEST

START_TEST(http_tls_failure)
{
    /* https to a server that speaks plain HTTP: the handshake fails. */
    fake_server_t *fs = fake_start_ex(http_answer(200, "{}"), 0, 1);
    atl_http_opts_t opts = {NULL, 3000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "https://127.0.0.1:%d/", fs->port), "tok-tls",
                         NULL, NULL),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert(strncmp(err, "TLS: ", 5) == 0);
    ck_assert_ptr_null(strstr(err, "tok-tls"));
}
END_TEST

START_TEST(http_protocols)
{
    atl_http_opts_t opts = {NULL, 2000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "file:///etc/passwd", NULL, NULL, NULL),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_null(resp);
    ck_assert(strncmp(err, "URL: ", 5) == 0);
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "ftp://127.0.0.1:1/", NULL, NULL, NULL),
                     ATL_E_UPSTREAM);
    /* A header value cannot smuggle a header in. */
    ck_assert_int_eq(atl_http_request(&resp, &err, pool, &opts, "GET",
                                      "http://127.0.0.1:1/", "a\r\nX-Evil: 1", NULL,
                                      NULL),
                     ATL_E_BADINPUT);
    ck_assert_ptr_null(strstr(err, "Evil"));
}
END_TEST

START_TEST(http_no_redirect)
{
    fake_server_t *fs =
        fake_start("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\n"
                   "Content-Length: 0\r\nConnection: close\r\n\r\n");
    atl_http_opts_t opts = {NULL, 3000, 1024};
    atl_http_response_t *resp = NULL;
    const char *err = NULL;

    ck_assert_int_eq(
        atl_http_request(&resp, &err, pool, &opts, "GET",
                         apr_psprintf(pool, "http://127.0.0.1:%d/", fs->port), NULL, NULL,
                         NULL),
        APR_SUCCESS);
    fake_stop(fs);
    ck_assert_int_eq(resp->status, 302);
    ck_assert_uint_eq(resp->body_len, 0);
    ck_assert_str_eq(resp->body, "");
    ck_assert_ptr_null(resp->content_type);
}
END_TEST

START_TEST(oauth_exchange_ok)
{
    fake_server_t *fs = fake_start(http_answer(
        200, "{\"access_token\":\"at-1\",\"expires_in\":3600,\"token_type\":\"Bearer\","
             "\"scope\":\"read:me\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;
    json_object *o;

    ck_assert_int_eq(atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1",
                                             "https://app.example.com/cb"),
                     APR_SUCCESS);
    fake_stop(fs);
    ck_assert_ptr_null(reason);
    ck_assert_str_eq(tok->access_token, "at-1");
    ck_assert_int_eq(tok->expires_in, 3600);
    ck_assert(strncmp(fs->request, "POST /oauth/token HTTP/1.1\r\n", 28) == 0);
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nContent-Type: application/json\r\n"));
    ck_assert_ptr_null(strstr(fs->request, "Authorization:"));
    o = json_tokener_parse(request_body(fs));
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "grant_type"), "authorization_code");
    ck_assert_str_eq(member(o, "client_id"), "client-1");
    ck_assert_str_eq(member(o, "client_secret"), "s3cr3t\"value");
    ck_assert_str_eq(member(o, "code"), "code-1");
    ck_assert_str_eq(member(o, "redirect_uri"), "https://app.example.com/cb");
    json_object_put(o);
}
END_TEST

START_TEST(oauth_exchange_refused)
{
    fake_server_t *fs = fake_start(http_answer(
        401, "{\"error\":\"access_denied\",\"error_description\":\"Unauthorized\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1",
                                             "https://app.example.com/cb"),
                     ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 401 (error=access_denied: Unauthorized)",
                                  fs->port));
    ck_assert_ptr_null(strstr(reason, "code-1"));
    ck_assert_ptr_null(strstr(reason, "s3cr3t"));
}
END_TEST

START_TEST(oauth_exchange_echo_hidden)
{
    /* Whatever Atlassian's description quotes, the reason shows no code
     * and no secret. */
    fake_server_t *fs =
        fake_start(http_answer(400, "{\"error\":\"invalid_grant\",\"error_description\":"
                                    "\"code code-echo-1 for s3cr3t\\\"value is bad\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-echo-1", "https://a/cb"),
        ATL_E_GRANT);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 400 (error=invalid_grant: code [hidden] "
                                  "for [hidden] is bad)",
                                  fs->port));
}
END_TEST

START_TEST(oauth_secret_hidden_before_the_cut)
{
    /* The secret straddles the 128-byte cut of Atlassian's words: it is
     * hidden first, so no piece of it is left. */
    char pad[121];
    fake_server_t *fs;
    atl_oauth_conf_t *c;
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    memset(pad, 'x', 120);
    pad[120] = '\0';
    fs = fake_start(http_answer(
        401, apr_psprintf(pool,
                          "{\"error\":\"access_denied\",\"error_description\":"
                          "\"%ss3cr3t\\\"value and more\"}",
                          pad)));
    c = oauth_conf(fs);
    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-echo-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_null(strstr(reason, "s3c"));
    ck_assert_ptr_nonnull(strstr(reason, "[hi"));
}
END_TEST

START_TEST(oauth_exchange_not_json)
{
    fake_server_t *fs = fake_start(http_answer(502, "<html>bad gateway</html>"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token "
                                  "answered 502",
                                  fs->port));
}
END_TEST

START_TEST(oauth_exchange_malformed)
{
    fake_server_t *fs = fake_start(http_answer(200, "{\"token_type\":\"Bearer\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "token endpoint http://127.0.0.1:%d/oauth/token: "
                                  "token answer has no access_token",
                                  fs->port));
}
END_TEST

START_TEST(oauth_exchange_unreachable)
{
    atl_oauth_conf_t *c = oauth_conf(NULL);
    atl_token_t *tok = NULL;
    const char *reason = NULL;

    /* Port 1 on loopback: nothing listens there. */
    ck_assert_int_eq(
        atl_oauth_exchange_code(&tok, &reason, pool, c, "code-1", "https://a/cb"),
        ATL_E_UPSTREAM);
    ck_assert(
        strncmp(reason, "token endpoint http://127.0.0.1:1/oauth/token: connect: ", 56)
        == 0);
    ck_assert_ptr_null(strstr(reason, "code-1"));
    ck_assert_ptr_null(strstr(reason, "s3cr3t"));
}
END_TEST

START_TEST(oauth_refresh_body)
{
    fake_server_t *fs = fake_start(http_answer(
        200,
        "{\"access_token\":\"at-2\",\"refresh_token\":\"rt-2\",\"expires_in\":3600}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_token_t *tok = NULL;
    const char *reason = NULL;
    json_object *o;

    ck_assert_int_eq(atl_oauth_refresh(&tok, &reason, pool, c, "rt-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert_str_eq(tok->access_token, "at-2");
    ck_assert_str_eq(tok->refresh_token, "rt-2");
    o = json_tokener_parse(request_body(fs));
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(member(o, "grant_type"), "refresh_token");
    ck_assert_str_eq(member(o, "refresh_token"), "rt-1");
    ck_assert_ptr_null(member(o, "code"));
    json_object_put(o);
}
END_TEST

START_TEST(oauth_profile_ok)
{
    fake_server_t *fs = fake_start(http_answer(200, me_example));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert(strncmp(fs->request, "GET /me HTTP/1.1\r\n", 18) == 0);
    ck_assert_ptr_nonnull(strstr(fs->request, "\r\nAuthorization: Bearer at-1\r\n"));
    ck_assert_str_eq(id->f[ATL_F_ACCOUNT_ID], "112233aa-bb11-cc22-33dd-445566abcabc");
    ck_assert_str_eq(id->f[ATL_F_EMAIL], "mia@example.com");
}
END_TEST

START_TEST(oauth_profile_failures)
{
    fake_server_t *fs = fake_start(http_answer(200, "{\"email\":\"mia@example.com\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason, apr_psprintf(pool,
                                          "profile endpoint http://127.0.0.1:%d/me: "
                                          "profile has no account_id",
                                          fs->port));

    fs = fake_start(http_answer(401, "{\"code\":401,\"message\":\"Unauthorized\"}"));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "profile endpoint http://127.0.0.1:%d/me answered 401 "
                                  "(message: Unauthorized)",
                                  fs->port));
    ck_assert_ptr_null(strstr(reason, "at-1"));

    /* The gateway's own refusal: its message reaches the log line, and a
     * missing scope is named as such. */
    fs = fake_start(http_answer(
        401, "{\"code\":401,\"message\":\"Unauthorized; scope does not match\"}"));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "profile endpoint http://127.0.0.1:%d/me answered 401 "
                                  "(message: Unauthorized; scope does not match): the "
                                  "token lacks a scope this call needs; check "
                                  "AtlassianScope (read:me for the profile) and the "
                                  "app's permissions in the developer console",
                                  fs->port));

    /* Atlassian's words are cut and never carry the token. */
    fs = fake_start(http_answer(
        403, apr_pstrcat(pool, "{\"code\":403,\"message\":\"token at-1 \\u0007",
                         apr_pstrndup(pool,
                                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                      138),
                         "\"}", NULL)));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_nonnull(strstr(reason, "answered 403 (message: token "));
    ck_assert_ptr_null(strstr(reason, "at-1"));
    ck_assert_ptr_null(strchr(reason, '\a'));
    ck_assert_int_lt(strlen(reason), 260);
}
END_TEST

START_TEST(oauth_sites_scope_message)
{
    fake_server_t *fs = fake_start(http_answer(
        401, "{\"code\":401,\"message\":\"Unauthorized; scope does not match\"}"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    apr_array_header_t *sites = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_sites(&sites, &reason, pool, c, "at-1"), ATL_E_UPSTREAM);
    fake_stop(fs);
    ck_assert_ptr_nonnull(strstr(reason,
                                 "answered 401 (message: Unauthorized; scope does "
                                 "not match): the token lacks a scope"));
}
END_TEST

START_TEST(oauth_sites_ok)
{
    fake_server_t *fs = fake_start(http_answer(
        200,
        "[{\"id\":\"c1\",\"name\":\"Acme\",\"url\":\"https://ACME.atlassian.net\"}]"));
    atl_oauth_conf_t *c = oauth_conf(fs);
    apr_array_header_t *sites = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(atl_oauth_sites(&sites, &reason, pool, c, "at-1"), APR_SUCCESS);
    fake_stop(fs);
    ck_assert(
        strncmp(fs->request, "GET /oauth/token/accessible-resources HTTP/1.1\r\n", 48)
        == 0);
    ck_assert_int_eq(sites->nelts, 1);
    ck_assert_str_eq(SITE(sites, 0)->host, "acme.atlassian.net");

    fs = fake_start(http_answer(200, "{\"not\":\"an array\"}"));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_sites(&sites, &reason, pool, c, "at-1"), ATL_E_MALFORMED);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "resources endpoint http://127.0.0.1:%d/oauth/token/"
                                  "accessible-resources: accessible-resources is not "
                                  "a JSON array",
                                  fs->port));
}
END_TEST

START_TEST(oauth_too_big)
{
    char *big = apr_palloc(pool, 70001);
    fake_server_t *fs;
    atl_oauth_conf_t *c;
    atl_identity_t *id = atl_identity_make(pool);
    const char *reason = NULL;

    memset(big, ' ', 70000);
    big[70000] = '\0';
    fs = fake_start(http_answer(200, big));
    c = oauth_conf(fs);
    ck_assert_int_eq(atl_oauth_profile(id, &reason, pool, c, "at-1"), ATL_E_TOOBIG);
    fake_stop(fs);
    ck_assert_str_eq(reason,
                     apr_psprintf(pool,
                                  "profile endpoint http://127.0.0.1:%d/me: answer "
                                  "too large (over 65536 bytes)",
                                  fs->port));
}
END_TEST

static Suite *oauth_suite(void)
{
    Suite *s = suite_create("atl_oauth");
    TCase *net = tcase_create("http");

    /* Loopback only: the fake server binds 127.0.0.1. */
    tcase_add_checked_fixture(net, atl_check_setup, atl_check_teardown);
    tcase_set_timeout(net, 20);
    tcase_add_test(net, http_get_answer);
    tcase_add_test(net, http_too_big);
    tcase_add_test(net, http_timeout);
    tcase_add_test(net, http_refused);
    tcase_add_test(net, http_tls_failure);
    tcase_add_test(net, http_protocols);
    tcase_add_test(net, http_no_redirect);
    tcase_add_test(net, oauth_exchange_ok);
    tcase_add_test(net, oauth_exchange_refused);
    tcase_add_test(net, oauth_exchange_echo_hidden);
    tcase_add_test(net, oauth_secret_hidden_before_the_cut);
    tcase_add_test(net, oauth_exchange_not_json);
    tcase_add_test(net, oauth_exchange_malformed);
    tcase_add_test(net, oauth_exchange_unreachable);
    tcase_add_test(net, oauth_refresh_body);
    tcase_add_test(net, oauth_profile_ok);
    tcase_add_test(net, oauth_profile_failures);
    tcase_add_test(net, oauth_sites_ok);
    tcase_add_test(net, oauth_sites_scope_message);
    tcase_add_test(net, oauth_too_big);
    suite_add_tcase(s, net);
    return s;
}

int main(void)
{
    int status;

    apr_initialize();
    /* Proxies from the environment must not catch loopback calls. */
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    if (atl_http_global_init(NULL) != APR_SUCCESS) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }
    status = atl_check_run(oauth_suite());
    apr_terminate();
    return status;
}
