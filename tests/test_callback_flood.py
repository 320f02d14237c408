# SPDX-License-Identifier: Apache-2.0
"""A slow Atlassian cannot take all of a child's threads: callbacks that wait
on it are bounded to half of ThreadsPerChild; beyond that share a callback
gets 503 with Retry-After at once, before any outbound call, while
logged-in requests (which never call Atlassian) keep being answered."""

import re
import threading
import time

from atlharness import cb_parts

# One child of 16 threads: half of them, 8, may wait on Atlassian.
THREADS = 16
SHARE = THREADS // 2
TIMEOUT = 5          # AtlassianTimeout
STALL = 9            # the stand-in's token endpoint, longer than TIMEOUT
FLOOD = 64           # concurrent callbacks

MPM = """
StartServers 1
ServerLimit 1
ThreadsPerChild %d
MaxRequestWorkers %d
MinSpareThreads 1
MaxSpareThreads %d
AtlassianTimeout %d
""" % (THREADS, THREADS, THREADS, TIMEOUT)

STATIC = "/protected/authz/user-yes/ok.txt"


def _flood(browsers):
    """Each browser loads its callback URL at the same moment; returns a
    list of (status, Retry-After, seconds) in the browsers' order."""
    results = [None] * len(browsers)
    go = threading.Barrier(len(browsers))

    def one(i):
        b, cb = browsers[i]
        go.wait()
        t0 = time.monotonic()
        try:
            r = b.get(cb, timeout=60)
            results[i] = (r.status, r.header("Retry-After"), time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            results[i] = ("error: %r" % (e,), None, time.monotonic() - t0)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    return threads, results


def _poll_logged_in(user, stop, out):
    """Logged-in requests, one after another, until stop is set."""
    while not stop.is_set():
        t0 = time.monotonic()
        r = user.get(STATIC, timeout=60)
        out.append((r.status, time.monotonic() - t0))
        time.sleep(0.05)


def test_slow_atlassian_leaves_threads_for_logged_in_users(make_httpd, fake):
    h = make_httpd(server_extra=MPM)
    user = h.browser()
    user.login()
    assert user.get(STATIC).status == 200

    # 64 browsers, each with its own pending login and a real code.
    browsers = []
    for _ in range(FLOOD):
        b = h.browser()
        q = b.start_login("/protected/cgi/printenv.cgi")
        browsers.append((b, b.authorize(q["_location"])))
    tokens_before = len(fake.requests("/oauth/token"))

    fake.fail("/oauth/token", delay=STALL)
    mark = h.log_mark()
    stop = threading.Event()
    polls = []
    poller = threading.Thread(target=_poll_logged_in, args=(user, stop, polls))
    threads, results = _flood(browsers)
    time.sleep(0.3)
    poller.start()
    for t in threads:
        t.join(90)
    stop.set()
    poller.join(60)

    statuses = [r[0] for r in results]
    busy = [r for r in results if r[0] == 503]
    waited = [r for r in results if r[0] == 504]
    print("\nflood of %d callbacks, %d threads: %d answered 503 (slowest %.3f s), "
          "%d waited on Atlassian and got 504 (%.1f-%.1f s)"
          % (FLOOD, THREADS, len(busy), max((r[2] for r in busy), default=0),
             len(waited), min((r[2] for r in waited), default=0),
             max((r[2] for r in waited), default=0)))
    print("logged-in requests during the flood: %d, all %s, slowest %.3f s, "
          "median %.3f s" % (len(polls), sorted(set(p[0] for p in polls)),
                             max(p[1] for p in polls),
                             sorted(p[1] for p in polls)[len(polls) // 2]))

    # Exactly the share waited on Atlassian (and timed out); every other
    # callback was turned away at once, before any outbound call.
    assert sorted(set(statuses)) == [503, 504], statuses
    assert len(waited) == SHARE, statuses
    assert len(busy) == FLOOD - SHARE, statuses
    assert len(fake.requests("/oauth/token")) - tokens_before == SHARE
    for status, retry_after, seconds in busy:
        assert retry_after == str(TIMEOUT), retry_after
        assert seconds < 1.0, seconds
    for status, retry_after, seconds in waited:
        assert TIMEOUT - 0.5 < seconds < STALL, seconds

    # Logged-in users were served throughout, in milliseconds rather than
    # behind the stalled callbacks.
    assert len(polls) >= 10, polls
    assert all(p[0] == 200 for p in polls), polls
    assert all(p[1] < 1.0 for p in polls), polls

    # A log line says why, at warn, with the numbers.
    text = h.wait_log(r"ATL00700:", mark)
    lines = [l for l in text.splitlines() if "ATL00700:" in l]
    assert len(lines) == FLOOD - SHARE, lines[:3]
    assert re.search(r"\[auth_atlassian:warn\].*ATL00700: callback answered 503 before "
                     r"calling Atlassian: \d+ callbacks of this process already wait "
                     r"on Atlassian.*half of its %d threads" % THREADS, lines[0]), lines[0]

    # Atlassian is back: a callback that was turned away works when the
    # browser loads it again (its pending login was left alone), and so
    # does a fresh login.
    fake.clear_failure()
    i = statuses.index(503)
    b, cb = browsers[i]
    r = b.get(cb)
    assert r.status == 302, r
    assert b.local(r.location) == "/protected/cgi/printenv.cgi"
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert env["REMOTE_USER"] == "112233aa-bb11-cc22-33dd-445566abcabc"
    h.browser().login()
    # And the share is whole again: eight more callbacks go through at once.
    again = [(b, cb) for (b, cb), res in zip(browsers, results) if res[0] == 503][1:SHARE + 1]
    threads, results2 = _flood(again)
    for t in threads:
        t.join(60)
    assert [r[0] for r in results2] == [302] * SHARE, results2


def test_callbacks_one_at_a_time_are_never_refused(make_httpd, fake):
    """Below the share nothing is turned away, however many callbacks come
    one after another: the count goes down again when each one ends, also
    when it ends in an error."""
    h = make_httpd(server_extra=MPM)
    fake.fail("/oauth/token", status=500, body="{}", times=THREADS)
    for _ in range(THREADS):
        b = h.browser()
        q = b.start_login("/protected/cgi/printenv.cgi")
        path, code, state = cb_parts(b.authorize(q["_location"]))
        assert b.get("%s?code=%s&state=%s" % (path, code, state)).status == 502
    for _ in range(THREADS):
        assert h.browser().login().status == 200
    assert "ATL00700:" not in h.read_log()
