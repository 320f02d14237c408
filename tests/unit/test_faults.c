/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of how the core reports answers that go wrong on the wire:
 * invalid UTF-8 that json-c lets through, 429 with Retry-After, redirects
 * (never followed), answers over the size limit. */

#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <apr_strings.h>

#include "atl_check.h"
#include "atl_oauth.h"

/* A loopback server for one connection: it reads the request headers,
 * sends a canned answer and closes. */
typedef struct {
    int fd;
    int port;
    const char *answer;
    pthread_t thread;
} one_shot_t;

static void *one_shot_serve(void *arg)
{
    one_shot_t *os = arg;
    char buf[8192];
    size_t got = 0;
    int fd = accept(os->fd, NULL, NULL);

    if (fd < 0) {
        return NULL;
    }
    while (got < sizeof(buf) - 1) {
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n")) {
            break;
        }
    }
    if (send(fd, os->answer, strlen(os->answer), MSG_NOSIGNAL) < 0) {
        /* The client went away; nothing to do. */
    }
    close(fd);
    return NULL;
}

static one_shot_t *one_shot(const char *answer)
{
    one_shot_t *os = apr_pcalloc(pool, sizeof(*os));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);

    os->answer = answer;
    os->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(os->fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(os->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(os->fd, 2), 0);
    ck_assert_int_eq(getsockname(os->fd, (struct sockaddr *)&sa, &salen), 0);
    os->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&os->thread, NULL, one_shot_serve, os), 0);
    return os;
}

static void one_shot_done(one_shot_t *os)
{
    pthread_join(os->thread, NULL);
    close(os->fd);
}

static atl_oauth_conf_t *conf_for(const one_shot_t *os)
{
    atl_oauth_conf_t *c = apr_pcalloc(pool, sizeof(*c));

    c->profile_url = apr_psprintf(pool, "http://127.0.0.1:%d/me", os->port);
    c->client_id = "client-1";
    c->client_secret = "secret-1";
    c->http.timeout_ms = 5000;
    c->http.max_body = 4096;
    return c;
}

/* The profile call against a server that answers `answer`. */
static apr_status_t profile_from(const char **reason, atl_identity_t **id,
                                 const char *answer)
{
    one_shot_t *os = one_shot(answer);
    apr_status_t rv;

    *id = atl_identity_make(pool);
    rv = atl_oauth_profile(*id, reason, pool, conf_for(os), "at-1");
    one_shot_done(os);
    return rv;
}

static const char *json_answer(const char *body)
{
    return apr_psprintf(pool,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                        (int)strlen(body), body);
}

static const char *profile_with_name(const char *name)
{
    return apr_psprintf(pool,
                        "{\"account_id\":\"a-1\",\"account_status\":\"active\","
                        "\"name\":\"%s\"}",
                        name);
}

/* Byte sequences that are not UTF-8, json-c's check catching only some. */
static const char *const bad_utf8[] = {
    "M\xC0\xAF",         /* overlong "/" */
    "M\xE0\x80\xAF",     /* overlong, three bytes */
    "M\xF0\x80\x80\xAF", /* overlong, four bytes */
    "M\xED\xA0\x80",     /* UTF-16 high surrogate */
    "M\xED\xBF\xBF",     /* UTF-16 low surrogate */
    "M\xF4\x90\x80\x80", /* above U+10FFFF */
    "M\xF5\x80\x80\x80", /* F5 never starts a sequence */
    "M\x80",             /* lone continuation byte */
    "M\xC3\x28",         /* lead byte without its continuation */
    "M\xE2\x82",         /* cut short before the closing quote */
    "M\xFF",
};

START_TEST(profile_invalid_utf8_refused)
{
    atl_identity_t *id = NULL;
    const char *reason = NULL;
    const char *body = profile_with_name(bad_utf8[_i]);

    ck_assert_int_eq(profile_from(&reason, &id, json_answer(body)), ATL_E_MALFORMED);
    ck_assert_ptr_nonnull(strstr(reason, "answer is not valid UTF-8 (byte "));
    ck_assert_ptr_null(id->f[ATL_F_ACCOUNT_ID]);
    ck_assert_ptr_null(id->f[ATL_F_NAME]);
}
END_TEST

START_TEST(profile_valid_utf8_kept)
{
    /* Two, three and four bytes, up to the last code point, U+10FFFF. */
    const char *name =
        "M\xC3\xA4 \xE2\x82\xAC \xED\x9F\xBF \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
    atl_identity_t *id = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(profile_from(&reason, &id, json_answer(profile_with_name(name))),
                     APR_SUCCESS);
    ck_assert_str_eq(id->f[ATL_F_NAME], name);
}
END_TEST

START_TEST(rate_limit_reported)
{
    atl_identity_t *id = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(profile_from(&reason, &id,
                                  "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 42\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n"),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_nonnull(
        strstr(reason, "answered 429 (rate limited; Retry-After: 42 s)"));
    ck_assert_int_eq(profile_from(&reason, &id,
                                  "HTTP/1.1 429 Too Many Requests\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n"),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_nonnull(strstr(reason, "answered 429 (rate limited; no Retry-After)"));
}
END_TEST

START_TEST(redirect_reported_not_followed)
{
    atl_identity_t *id = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(profile_from(&reason, &id,
                                  "HTTP/1.1 302 Found\r\n"
                                  "Location: https://elsewhere.example:8443/steal?t=x\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n"),
                     ATL_E_UPSTREAM);
    ck_assert_ptr_nonnull(strstr(reason, "answered 302 (a redirect to "
                                         "https://elsewhere.example:8443, not followed"));
    ck_assert_ptr_null(strstr(reason, "steal"));
}
END_TEST

START_TEST(too_large_reported)
{
    atl_identity_t *id = NULL;
    const char *reason = NULL;
    char *big = apr_palloc(pool, 9001);

    memset(big, ' ', 9000);
    big[9000] = '\0';
    ck_assert_int_eq(profile_from(&reason, &id, json_answer(big)), ATL_E_TOOBIG);
    ck_assert_ptr_nonnull(strstr(reason, "answer too large (over 4096 bytes)"));
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, atl_check_setup, atl_check_teardown);
    tcase_add_loop_test(tc, profile_invalid_utf8_refused, 0,
                        (int)(sizeof(bad_utf8) / sizeof(bad_utf8[0])));
    tcase_add_test(tc, profile_valid_utf8_kept);
    tcase_add_test(tc, rate_limit_reported);
    tcase_add_test(tc, redirect_reported_not_followed);
    tcase_add_test(tc, too_large_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return atl_check_run(faults_suite());
}
