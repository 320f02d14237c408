# SPDX-License-Identifier: Apache-2.0
"""A pending login is spent by its first callback, whatever its outcome, on
every process and node: a replay of a harvested (session cookie, state)
pair is a bad callback (400, logged at info) that calls nothing at
Atlassian. On one machine the record lives in shmcb; across nodes in the
memcached of AtlassianCache (a real memcached, started here)."""

import os
import re
import shutil
import subprocess
import threading

import pytest

import atlharness as H
from atlharness import cb_parts

CGI = "/protected/cgi/printenv.cgi"
SPENT = r"\[auth_atlassian:info\].*ATL00702: callback refused: its state was already used"


def harvest(h):
    """A browser with a pending login: (browser, its session cookies as they
    were before the callback, the state, the real callback URL)."""
    b = h.browser()
    q = b.start_login(CGI)
    cb = b.authorize(q["_location"])
    return b, dict(b.cookies), q["state"], cb


def replay(h, cookies, state, code, path=H.CALLBACK):
    """Present (cookies, state) to h with code, as an attacker who kept the
    cookie would; returns the response."""
    b = h.browser()
    b.cookies = dict(cookies)
    return b.get("%s?code=%s&state=%s" % (path, code, state))


def token_calls(fake):
    return len(fake.requests("/oauth/token"))


def assert_spent(h, mark, state, n=1):
    text = h.wait_log(SPENT, mark)
    assert len(re.findall(SPENT, text)) == n, text[-2000:]
    assert state not in h.read_log()


# -- one machine (shmcb, the default) ------------------------------------------


def test_replays_after_a_failed_exchange_call_nothing(httpd, fake):
    b, cookies, state, cb = harvest(httpd)
    before = token_calls(fake)
    # The first callback, with a made-up code: Atlassian refuses it
    # (invalid_grant: a bad callback, 400), and the state is spent all the same.
    r = replay(httpd, cookies, state, "made-up-code-1")
    assert r.status == 400, r
    assert token_calls(fake) == before + 1
    mark = httpd.log_mark()
    for i in range(2, 7):
        r = replay(httpd, cookies, state, "made-up-code-%d" % i)
        assert r.status == 400, r
        assert "already used" in r.text
        assert (r.header("Cache-Control") or "") == "no-store"
    assert token_calls(fake) == before + 1
    assert_spent(httpd, mark, state, n=5)
    # Even the real code, with the cookie as it was, is refused now.
    r = replay(httpd, cookies, state, cb_parts(cb)[1])
    assert r.status == 400, r
    assert token_calls(fake) == before + 1


def test_replay_of_a_successful_login(httpd, fake):
    b, cookies, state, cb = harvest(httpd)
    b.finish_login(cb, CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    before = token_calls(fake)
    mark = httpd.log_mark()
    r = replay(httpd, cookies, state, "made-up-code")
    assert r.status == 400, r
    assert token_calls(fake) == before
    assert_spent(httpd, mark, state)
    # The old cookie carries no login of its own; the real session stays.
    assert b.get(CGI).status == 200


def test_denied_consent_spends_the_state(httpd, fake):
    b, cookies, state, cb = harvest(httpd)
    b2 = httpd.browser()
    b2.cookies = dict(cookies)
    r = b2.get("%s?error=access_denied&state=%s" % (H.CALLBACK, state))
    assert r.status == 403, r
    before = token_calls(fake)
    mark = httpd.log_mark()
    r = replay(httpd, cookies, state, cb_parts(cb)[1])
    assert r.status == 400, r
    assert token_calls(fake) == before
    assert_spent(httpd, mark, state)
    # A replayed error= with the spent state is a bad callback too.
    b3 = httpd.browser()
    b3.cookies = dict(cookies)
    r = b3.get("%s?error=access_denied&state=%s" % (H.CALLBACK, state))
    assert r.status == 400, r


def test_concurrent_replays_one_token_call(make_httpd, fake):
    """Ten copies of the same callback at once, over two child processes:
    the check and the mark are one step, so exactly one goes on. (Ten stay
    below the share of callbacks a child lets in at once, half of its 25
    threads, so none is turned away with 503.)"""
    h = make_httpd(server_extra="StartServers 2\nMinSpareThreads 50\n")
    b, cookies, state, cb = harvest(h)
    code = cb_parts(cb)[1]
    before = token_calls(fake)
    statuses = []
    go = threading.Barrier(10)

    def one():
        go.wait()
        statuses.append(replay(h, cookies, state, code).status)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [302] + [400] * 9, statuses
    assert token_calls(fake) == before + 1


# -- several nodes sharing a memcached ----------------------------------------


class Memcached:
    """A real memcached on 127.0.0.1 and a free port, stopped by PID."""

    def __init__(self):
        binary = shutil.which("memcached") or "/usr/bin/memcached"
        if not os.access(binary, os.X_OK):
            pytest.fail("memcached is not installed (Debian package memcached); "
                        "the tests of AtlassianCache across nodes need it")
        self.port = H.free_port()
        cmd = [binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0"]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not H.wait_for_port(self.port, 10, self.proc):
            err = self.proc.stderr.read().decode("utf-8", "replace") if self.proc.poll() \
                is not None else ""
            self.stop()
            pytest.fail("memcached did not start: " + err)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


@pytest.fixture
def memcached():
    m = Memcached()
    yield m
    m.stop()


def memcache_extra(port):
    return ('LoadModule socache_memcache_module "%s/mod_socache_memcache.so"\n'
            "AtlassianCache memcache:127.0.0.1:%d\n" % (H.MODULES_DIR, port))


def two_nodes(make_httpd, port):
    """Two httpd nodes behind one (imagined) load balancer: the same
    secrets, the same public callback URL (node A's), one memcached."""
    a = make_httpd(server_extra=memcache_extra(port))
    b = make_httpd(server_extra=memcache_extra(port), redirect_uri=a.redirect_uri)
    b.redirect_uri = a.redirect_uri
    return a, b


def test_state_spent_on_one_node_is_refused_on_another(make_httpd, fake, memcached):
    a, b = two_nodes(make_httpd, memcached.port)
    # A login started on A and finished on A.
    br, cookies, state, cb = harvest(a)
    br.finish_login(cb, CGI)
    before = token_calls(fake)
    # The harvested pair, replayed on B with made-up codes.
    mark = b.log_mark()
    for code in ("made-up-1", "made-up-2"):
        r = replay(b, cookies, state, code)
        assert r.status == 400, r
    assert token_calls(fake) == before
    assert_spent(b, mark, state, n=2)


def test_node_b_takes_a_login_node_a_started(make_httpd, fake, memcached):
    """The control: B reads A's session and finishes an unspent login (so
    the 400 above is the spent state, not a foreign cookie); then A refuses
    the same pair, whatever the outcome on B was."""
    a, b = two_nodes(make_httpd, memcached.port)
    br, cookies, state, cb = harvest(a)
    before = token_calls(fake)
    bb = b.browser()
    bb.cookies = dict(cookies)
    path, code, _ = cb_parts(cb)
    r = bb.get("%s?code=%s&state=%s" % (path, code, state))
    assert r.status == 302, r
    assert bb.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert token_calls(fake) == before + 1
    # A failed exchange on B spends a second login for A as well.
    br2, cookies2, state2, cb2 = harvest(a)
    assert replay(b, cookies2, state2, "made-up").status == 400
    mark = a.log_mark()
    for c, s, code in ((cookies, state, "x1"), (cookies2, state2, cb_parts(cb2)[1])):
        assert replay(a, c, s, code).status == 400
    assert token_calls(fake) == before + 2
    assert_spent(a, mark, state, n=2)
    assert state2 not in a.read_log()


# mod_socache_memcache logs its own failures to reach memcached.
MEMCACHE_DOWN = (r"AH00790:", r"AH00791:")


@pytest.mark.allow_log_errors(*MEMCACHE_DOWN)
def test_unreachable_cache_does_not_fail_the_login(make_httpd, fake):
    """memcached is down: the login goes on, the log says so, and this
    machine still refuses the replay (its own shmcb stands in)."""
    h = make_httpd(server_extra=memcache_extra(H.free_port()))
    b, cookies, state, cb = harvest(h)
    mark = h.log_mark()
    b.finish_login(cb, CGI)
    assert b.get(CGI).status == 200
    text = h.wait_log(r"ATL00206:", mark)
    assert re.search(r"\[auth_atlassian:warn\].*ATL00206: AtlassianCache "
                     r"memcache:127\.0\.0\.1:\d+ failed", text), text[-2000:]
    before = token_calls(fake)
    assert replay(h, cookies, state, "made-up").status == 400
    assert token_calls(fake) == before


@pytest.mark.allow_log_errors(*MEMCACHE_DOWN)
def test_no_cache_at_all_does_not_fail_the_login(make_httpd, fake, monkeypatch):
    """No mod_socache_shmcb and memcached down: nothing can record the
    state; the login goes on and the log says why."""
    monkeypatch.setattr(H, "BASE_MODULES",
                        [m for m in H.BASE_MODULES if m[0] != "socache_shmcb_module"])
    h = make_httpd(server_extra=memcache_extra(H.free_port()))
    b, cookies, state, cb = harvest(h)
    mark = h.log_mark()
    b.finish_login(cb, CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    text = h.wait_log(r"ATL00701:", mark)
    assert re.search(r"\[auth_atlassian:warn\].*ATL00701: the used state could not be "
                     r"recorded in AtlassianCache \(the cache is unreachable\): it is "
                     r"removed from this session only", text), text[-2000:]
    assert state not in h.read_log()


# -- the cache's keys (a real redis-server) --------------------------------------


@pytest.fixture
def redis():
    import nodes
    r = nodes.Redis().start()
    yield r
    r.stop()


def spent_keys(redis):
    """The module's spent-state keys in redis, as their names: the module's
    key ("atl:lock:spent:<keyed hash>", a claim) in hex after mod_socache_redis' prefix."""
    out = subprocess.run(["redis-cli", "-p", str(redis.port), "--raw", "KEYS", "*"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    names = set()
    for k in out.split():
        try:
            name = bytes.fromhex(k.partition(":")[2]).decode("ascii")
        except ValueError:
            continue
        if "spent:" in name:
            names.add(name)
    return names


def test_spent_key_is_bound_to_the_session_secret(make_httpd, fake, redis):
    """The spent state's key is a keyed hash under the first session secret:
    it shows neither the state nor an unkeyed hash of it, and a node whose
    first secret differs writes another key for the same state. So during a
    rotation, a node with secrets "new old" and a node with "old" do not
    share spent states (the order of a rotation that keeps them shared:
    add the new secret second everywhere, then swap)."""
    import hashlib
    new = "n" * 40
    extra = ('LoadModule socache_redis_module "%s/mod_socache_redis.so"\n'
             "AtlassianCache %s\n" % (H.MODULES_DIR, redis.spec))
    old_node = make_httpd(server_extra=extra)
    new_node = make_httpd(server_extra=extra, session_secret=[new, H.SESSION_SECRET],
                          redirect_uri=old_node.redirect_uri)
    new_node.redirect_uri = old_node.redirect_uri
    # A pending login of the old node, finished (with a made-up code) on
    # the node with both secrets: it reads the cookie (second secret), and
    # spends the state under its first secret.
    _, cookies, state, _ = harvest(old_node)
    before = token_calls(fake)
    assert replay(new_node, cookies, state, "made-up-1").status == 400
    assert token_calls(fake) == before + 1
    k_new = spent_keys(redis)
    assert len(k_new) == 1, k_new
    # The same state on the old node: another key, so not refused as spent
    # (it calls Atlassian, whose single use of the code stops it).
    mark = old_node.log_mark()
    assert replay(old_node, cookies, state, "made-up-2").status == 400
    assert token_calls(fake) == before + 2
    k_old = spent_keys(redis) - k_new
    assert len(k_old) == 1, spent_keys(redis)
    assert "ATL00702:" not in old_node.read_log(mark)
    plain = {hashlib.sha256(state.encode()).hexdigest(),
             hashlib.sha256(b"spent-state\0" + state.encode()).hexdigest()}
    for k in k_new | k_old:
        assert re.fullmatch(r"atl:lock:spent:[0-9a-f]{64}", k), k
        assert state not in k and state.encode().hex() not in k, k
        assert k.rpartition(":")[2] not in plain, k
    # Now spent on both: each refuses it without calling Atlassian.
    for h in (old_node, new_node):
        assert replay(h, cookies, state, "made-up-3").status == 400
    assert token_calls(fake) == before + 2


def test_rotation_step_one_keeps_spent_states_shared(make_httpd, fake, redis):
    """The first step of a rotation (the new secret added second, "old
    new"): the first secret is the same everywhere, so a state spent on an
    updated node is refused on one not yet updated, without a call."""
    extra = ('LoadModule socache_redis_module "%s/mod_socache_redis.so"\n'
             "AtlassianCache %s\n" % (H.MODULES_DIR, redis.spec))
    old_node = make_httpd(server_extra=extra)
    mid_node = make_httpd(server_extra=extra, session_secret=[H.SESSION_SECRET, "n" * 40],
                          redirect_uri=old_node.redirect_uri)
    mid_node.redirect_uri = old_node.redirect_uri
    _, cookies, state, _ = harvest(old_node)
    before = token_calls(fake)
    assert replay(mid_node, cookies, state, "made-up-1").status == 400
    assert token_calls(fake) == before + 1
    mark = old_node.log_mark()
    assert replay(old_node, cookies, state, "made-up-2").status == 400
    assert token_calls(fake) == before + 1
    assert_spent(old_node, mark, state)
    assert len(spent_keys(redis)) == 1
