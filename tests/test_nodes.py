# SPDX-License-Identifier: Apache-2.0
"""Many httpd nodes behind a load balancer (round robin, no stickiness),
sharing AtlassianSessionSecret: a login works on every node, and with
AtlassianRefresh an expired access token is refreshed exactly once for 16
concurrent requests spread over the nodes, through a real memcached or
redis-server (AtlassianCache), with sessions in cookies or in PostgreSQL
(mod_session_dbd). A cache that stops loses no login."""

import pytest

import atlharness as H
import nodes as N
import refreshkit as K

REFRESH = {"server_extra": K.SERVER_EXTRA, "protected_extra": K.REFRESH_EXTRA}


@pytest.fixture(scope="module")
def memcached():
    m = N.Memcached().start()
    yield m
    m.stop()


@pytest.fixture(scope="module")
def redis():
    r = N.Redis().start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def postgres():
    p = N.Postgres().start()
    yield p
    p.stop()


def expiring_login(c, fake):
    """A login through the balancer whose access token is due for refresh
    (it expires within the 60 s margin); the next tokens last an hour."""
    b = c.browser()
    fake.control({"expires_in": 30})
    K.login(b)
    fake.control({"expires_in": 3600})
    return b


def assert_one_refresh(c, fake, b):
    mark = c.access_mark()
    answers = K.burst(c.balancer, b.cookies, n=16)
    tokens = {K.token_seen(r) for r in answers}
    calls = K.refreshes(fake)
    assert len(calls) == 1, calls
    assert calls[0]["status"] == 200 and not calls[0]["reuse"], calls
    assert len(tokens) == 1 and None not in tokens, tokens
    assert tokens.pop() == fake.tokens_issued[-2]   # the refresh's access token
    assert fake.reused_refresh_tokens() == []
    served = c.served(mark, 16)
    assert all(n >= 3 for n in served), served


def test_login_works_on_every_node(cluster, fake, memcached):
    c = cluster(cache=memcached.spec, loads=["socache_memcache"])
    b = c.browser()
    b.login("/protected/app/x")
    mark = c.access_mark()
    for _ in range(6):
        r = b.get("/protected/app/x")
        assert r.status == 200, r
        headers = {k.lower(): v for k, v in r.json()["headers"]}
        assert headers["x-atlassian-account-id"] == "112233aa-bb11-cc22-33dd-445566abcabc"
    # Round robin: each node served its share (the access log of the
    # login's last request may land after the mark).
    served = c.served(mark, 6)
    assert all(n >= 2 for n in served), served


def test_memcache_one_refresh_for_sixteen_requests(cluster, fake, memcached):
    c = cluster(cache=memcached.spec, loads=["socache_memcache"], **REFRESH)
    assert_one_refresh(c, fake, expiring_login(c, fake))


def test_redis_one_refresh_for_sixteen_requests(cluster, fake, redis):
    c = cluster(cache=redis.spec, loads=["socache_redis"], **REFRESH)
    assert_one_refresh(c, fake, expiring_login(c, fake))


def new_sid(responses):
    """The session id of the last answer that set one."""
    sids = [H.parse_set_cookie(v)[1] for r in responses for v in r.header_all("Set-Cookie")
            if v.startswith("atlassian_sid=")]
    assert sids, "no answer set a new session id"
    return sids[-1]


def test_postgres_sessions_refresh_and_logout(cluster, fake, memcached, postgres):
    c = cluster(cache=memcached.spec, loads=["socache_memcache"],
                session_store="pgsql", dbd_params=postgres.dbd_params, **REFRESH)
    b = expiring_login(c, fake)
    sid = b.cookies["atlassian_sid"]
    before = dict(postgres.rows())[sid]
    assert before.startswith("atl=") or "&atl=" in before, before
    mark = c.access_mark()
    answers = K.burst(c.balancer, b.cookies, n=16)
    assert len(K.refreshes(fake)) == 1, K.refreshes(fake)
    assert {K.token_seen(r) for r in answers} == {fake.tokens_issued[-2]}
    served = c.served(mark, 16)
    assert all(n >= 3 for n in served), served
    # The refresh wrote the new tokens back (mod_session_dbd stores a
    # changed session under a new key).
    rows = dict(postgres.rows())
    sid = new_sid(answers)
    assert (rows[sid].startswith("atl=") or "&atl=" in rows[sid]) and rows[sid] != before
    b.cookies["atlassian_sid"] = sid
    assert K.token_seen(b.get(K.APP)) == fake.tokens_issued[-2]
    assert len(K.refreshes(fake)) == 1
    assert fake.reused_refresh_tokens() == []
    # Logout removes the module's values from the stored row.
    r = b.get(H.CALLBACK + "?logout=/public/ok.txt")
    assert r.status == 302, r
    row = dict(postgres.rows()).get(b.cookies.get("atlassian_sid"), "")
    assert "atl=" not in row and "atlassian-pending" not in row, row
    r = b.get(K.APP, headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status == 401, r


def test_stopping_memcached_loses_no_login(cluster, fake, log_guard):
    # mod_socache_memcache's own lines while memcached is down.
    log_guard.allow(r"AH00790:", r"AH00791:", r"AH00788:", r"AH00789:")
    m = N.Memcached().start()
    try:
        c = cluster(cache=m.spec, loads=["socache_memcache"], **REFRESH)
        # Atlassian accepts a rotated refresh token again for 10 minutes:
        # what a refresh per node relies on while the cache is down.
        fake.control({"refresh_reuse_window": 600})
        b = expiring_login(c, fake)
        assert K.token_seen(b.get("/protected/app/x"))   # refreshed once
        fake.control({"expires_in": 30})
        b2 = expiring_login(c, fake)
        m.stop()
        answers = K.burst(c.balancer, b.cookies, n=6) + K.burst(c.balancer, b2.cookies)
        assert all(K.token_seen(r) for r in answers)
        calls = K.refreshes(fake)
        # One refresh of the first login before the stop (its token then
        # lasted 30 s only), then at most one per node for each login.
        assert 2 <= len(calls) <= 7, calls
        assert all(e["status"] == 200 for e in calls), calls
        logs = "".join(h.read_log() for h in c.nodes)
        assert "ATL00206:" in logs
    finally:
        m.stop()
