/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of atl_http's calls in waves (atl_http_batch_*) against a
 * small HTTP server on 127.0.0.1, in threads of the test itself, that
 * answers every request after a fixed delay with the path it was asked
 * for. Nothing here leaves the machine. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>

#include "atl_check.h"

#include <apr_strings.h>
#include <apr_time.h>

#include "atl_http.h"
#include "atl_status.h"

#define DELAY_MS 300

typedef struct {
    int listen_fd;
    int port;
    int delay_ms; /* before each answer; < 0: never answer */
    int accepted;
    int requests;
    pthread_mutex_t lock;
    pthread_t thread;
} delay_server_t;

typedef struct {
    delay_server_t *ds;
    int fd;
} delay_conn_t;

/* One connection: requests one after the other (keep-alive), each
 * answered after the delay with its path as the body. */
static void *delay_conn(void *arg)
{
    delay_conn_t *dc = arg;
    char buf[8192];
    size_t len = 0;

    for (;;) {
        char *end, path[1024], answer[2048];
        ssize_t n;
        size_t used;

        end = len ? strstr(buf, "\r\n\r\n") : NULL;
        if (end == NULL) {
            if (len >= sizeof(buf) - 1) {
                break;
            }
            n = recv(dc->fd, buf + len, sizeof(buf) - 1 - len, 0);
            if (n <= 0) {
                break;
            }
            len += (size_t)n;
            buf[len] = '\0';
            continue;
        }
        used = (size_t)(end + 4 - buf);
        if (sscanf(buf, "%*s %1023s", path) != 1) {
            break;
        }
        pthread_mutex_lock(&dc->ds->lock);
        dc->ds->requests++;
        pthread_mutex_unlock(&dc->ds->lock);
        if (dc->ds->delay_ms < 0) {
            sleep(5);
            break;
        }
        usleep((useconds_t)dc->ds->delay_ms * 1000);
        snprintf(answer, sizeof(answer),
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 strlen(path), path);
        if (send(dc->fd, answer, strlen(answer), MSG_NOSIGNAL) <= 0) {
            break;
        }
        memmove(buf, buf + used, len - used);
        len -= used;
        buf[len] = '\0';
    }
    close(dc->fd);
    free(dc);
    return NULL;
}

static void *delay_accept(void *arg)
{
    delay_server_t *ds = arg;

    for (;;) {
        int fd = accept(ds->listen_fd, NULL, NULL);
        delay_conn_t *dc;
        pthread_t t;

        if (fd < 0) {
            return NULL;
        }
        pthread_mutex_lock(&ds->lock);
        ds->accepted++;
        pthread_mutex_unlock(&ds->lock);
        dc = malloc(sizeof(*dc));
        dc->ds = ds;
        dc->fd = fd;
        pthread_create(&t, NULL, delay_conn, dc);
        pthread_detach(t);
    }
}

static delay_server_t *delay_start(int delay_ms)
{
    delay_server_t *ds = apr_pcalloc(pool, sizeof(*ds));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int one = 1;

    ds->delay_ms = delay_ms;
    pthread_mutex_init(&ds->lock, NULL);
    ds->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(ds->listen_fd, 0);
    setsockopt(ds->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(ds->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(ds->listen_fd, 16), 0);
    ck_assert_int_eq(getsockname(ds->listen_fd, (struct sockaddr *)&sa, &salen), 0);
    ds->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&ds->thread, NULL, delay_accept, ds), 0);
    return ds;
}

static void delay_stop(delay_server_t *ds)
{
    shutdown(ds->listen_fd, SHUT_RDWR);
    close(ds->listen_fd);
    pthread_join(ds->thread, NULL);
}

static const char *url_of(delay_server_t *ds, const char *path)
{
    return apr_psprintf(pool, "http://127.0.0.1:%d%s", ds->port, path);
}

static long ms_since(apr_time_t t0)
{
    return (long)apr_time_as_msec(apr_time_now() - t0);
}

static apr_status_t get(atl_http_response_t **resp, const char **errmsg,
                        const atl_http_opts_t *o, const char *url, const char *bearer)
{
    return atl_http_request(resp, errmsg, pool, o, "GET", url, bearer, NULL, NULL);
}

/* Three calls noted, made in one wave: the wave takes one delay, not
 * three; each call then takes its own answer, once. */
START_TEST(batch_wave_is_concurrent)
{
    delay_server_t *ds = delay_start(DELAY_MS);
    atl_http_opts_t o = {NULL, 5000, 4096};
    atl_http_response_t *resp;
    const char *errmsg;
    const char *paths[] = {"/me", "/oauth/token/accessible-resources", "/ex/jira/1"};
    apr_time_t t0;
    long ms;
    int i;

    o.batch = atl_http_batch_make(pool);
    atl_http_batch_plan(o.batch);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, paths[i]), "at-1"),
                         ATL_E_DEFERRED);
        ck_assert_ptr_null(resp);
    }
    /* Noted twice, made once. */
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/me"), "at-1"), ATL_E_DEFERRED);
    ck_assert_int_eq(ds->requests, 0);

    t0 = apr_time_now();
    ck_assert_int_eq(atl_http_batch_run(o.batch), 3);
    ms = ms_since(t0);
    ck_assert_msg(ms >= DELAY_MS && ms < 2 * DELAY_MS,
                  "a wave of three %d ms calls took %ld ms", DELAY_MS, ms);
    ck_assert_int_eq(ds->requests, 3);

    /* Taken in another order than noted, each with its own answer. */
    for (i = 2; i >= 0; i--) {
        t0 = apr_time_now();
        ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, paths[i]), "at-1"),
                         APR_SUCCESS);
        ck_assert_int_lt(ms_since(t0), DELAY_MS / 3);
        ck_assert_int_eq(resp->status, 200);
        ck_assert_str_eq(resp->body, paths[i]);
    }
    ck_assert_int_eq(ds->requests, 3);
    delay_stop(ds);
}
END_TEST

/* After a wave, a call it did not make (another bearer, another URL, or
 * one taken already) is made at once, on its own. */
START_TEST(batch_other_call_made_at_once)
{
    delay_server_t *ds = delay_start(DELAY_MS / 3);
    atl_http_opts_t o = {NULL, 5000, 4096};
    atl_http_response_t *resp;
    const char *errmsg;

    o.batch = atl_http_batch_make(pool);
    atl_http_batch_plan(o.batch);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/a"), "at-1"), ATL_E_DEFERRED);
    atl_http_batch_run(o.batch);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/a"), "at-2"), APR_SUCCESS);
    ck_assert_str_eq(resp->body, "/a");
    ck_assert_int_eq(ds->requests, 2);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/a"), "at-1"), APR_SUCCESS);
    ck_assert_int_eq(ds->requests, 2);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/a"), "at-1"), APR_SUCCESS);
    ck_assert_int_eq(ds->requests, 3);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/b"), "at-1"), APR_SUCCESS);
    ck_assert_str_eq(resp->body, "/b");
    ck_assert_int_eq(ds->requests, 4);
    /* The batch's calls share its connections: one for all of them. */
    ck_assert_int_eq(ds->accepted, 1);
    delay_stop(ds);
}
END_TEST

/* A silent server: the whole wave ends at the calls' timeout, and each
 * call keeps its own failure (a timeout, as a call on its own would). */
START_TEST(batch_timeout_bounds_the_wave)
{
    delay_server_t *ds = delay_start(-1);
    atl_http_opts_t o = {NULL, 400, 4096};
    atl_http_response_t *resp;
    const char *errmsg = NULL;
    apr_time_t t0;
    long ms;

    o.batch = atl_http_batch_make(pool);
    atl_http_batch_plan(o.batch);
    get(&resp, &errmsg, &o, url_of(ds, "/me"), "at-1");
    get(&resp, &errmsg, &o, url_of(ds, "/sites"), "at-1");
    t0 = apr_time_now();
    atl_http_batch_run(o.batch);
    ms = ms_since(t0);
    ck_assert_msg(ms >= 350 && ms < 1500, "a wave of 400 ms timeouts took %ld ms", ms);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/sites"), "at-1"),
                     ATL_E_TIMEOUT);
    ck_assert_ptr_null(resp);
    ck_assert_ptr_nonnull(strstr(errmsg, "timeout after 400 ms"));
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/me"), "at-1"), ATL_E_TIMEOUT);
    delay_stop(ds);
}
END_TEST

/* A call that cannot start fails alone with the message of a call on its
 * own; the others of the wave are made. */
START_TEST(batch_bad_call_fails_alone)
{
    delay_server_t *ds = delay_start(10);
    atl_http_opts_t o = {NULL, 5000, 4096};
    atl_http_response_t *resp;
    const char *errmsg = NULL;

    o.batch = atl_http_batch_make(pool);
    atl_http_batch_plan(o.batch);
    get(&resp, &errmsg, &o, url_of(ds, "/ok"), "at-1");
    get(&resp, &errmsg, &o, "ftp://127.0.0.1/x", "at-1");
    get(&resp, &errmsg, &o, url_of(ds, "/bad"), "tok\r\nX-Injected: 1");
    ck_assert_int_eq(atl_http_batch_run(o.batch), 3);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/bad"), "tok\r\nX-Injected: 1"),
                     ATL_E_BADINPUT);
    ck_assert_str_eq(errmsg, "request header value has control characters");
    ck_assert_int_eq(get(&resp, &errmsg, &o, "ftp://127.0.0.1/x", "at-1"),
                     ATL_E_UPSTREAM);
    ck_assert_int_eq(get(&resp, &errmsg, &o, url_of(ds, "/ok"), "at-1"), APR_SUCCESS);
    ck_assert_str_eq(resp->body, "/ok");
    ck_assert_int_eq(ds->requests, 1);
    delay_stop(ds);
}
END_TEST

static Suite *batch_suite(void)
{
    Suite *s = suite_create("atl_http_batch");
    TCase *net = tcase_create("waves");

    tcase_add_checked_fixture(net, atl_check_setup, atl_check_teardown);
    tcase_set_timeout(net, 20);
    tcase_add_test(net, batch_wave_is_concurrent);
    tcase_add_test(net, batch_other_call_made_at_once);
    tcase_add_test(net, batch_timeout_bounds_the_wave);
    tcase_add_test(net, batch_bad_call_fails_alone);
    suite_add_tcase(s, net);
    return s;
}

int main(void)
{
    int status;

    apr_initialize();
    unsetenv("http_proxy");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    if (atl_http_global_init(NULL) != APR_SUCCESS) {
        fprintf(stderr, "curl_global_init failed\n");
        return EXIT_FAILURE;
    }
    status = atl_check_run(batch_suite());
    apr_terminate();
    return status;
}
