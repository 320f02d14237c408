# SPDX-License-Identifier: Apache-2.0
"""AtlassianRefresh on one httpd (the default shmcb cache): the access token
is refreshed before it expires, once per login however many requests come
at once; a refused refresh ends the login; a failed one keeps it; and
without refresh an expired access token is never passed on."""

import time

import pytest

import atlharness as H
import fake_tokens
import refreshkit as K

HTTPD_OPTIONS = {"server_extra": K.SERVER_EXTRA, "protected_extra": K.REFRESH_EXTRA}


def fresh_login(httpd, fake, expires_in=30):
    """A login whose access token expires within the refresh margin (60 s),
    with the next tokens good for an hour."""
    b = httpd.browser()
    fake.control({"expires_in": expires_in})
    K.login(b)
    fake.control({"expires_in": 3600})
    first = fake.tokens_issued
    return b, first


def test_concurrent_requests_refresh_once(httpd, fake):
    b, issued = fresh_login(httpd, fake)
    old_token = [t for t in issued if t.startswith("atl-at-")][-1]
    answers = K.burst(httpd, b.cookies, n=16)
    tokens = {K.token_seen(r) for r in answers}
    calls = K.refreshes(fake)
    assert len(calls) == 1, calls
    assert calls[0]["status"] == 200 and not calls[0]["reuse"], calls
    assert len(tokens) == 1 and None not in tokens, tokens
    new_token = tokens.pop()
    assert new_token != old_token and new_token in fake.tokens_issued
    assert fake.reused_refresh_tokens() == []


def test_old_cookie_gets_the_shared_tokens(httpd, fake):
    b, _ = fresh_login(httpd, fake)
    old_cookies = dict(b.cookies)
    t1 = K.token_seen(b.get(K.APP))
    assert len(K.refreshes(fake)) == 1
    # The session now holds the new tokens: no further refresh.
    assert K.token_seen(b.get(K.APP)) == t1
    # A request still carrying the old cookie (another tab, a request sent
    # before the answer came) gets the same new tokens, no second refresh.
    old = H.Browser(httpd)
    old.cookies = old_cookies
    assert K.token_seen(old.get(K.APP)) == t1
    assert len(K.refreshes(fake)) == 1
    assert fake.reused_refresh_tokens() == []


def test_answer_without_refresh_token_keeps_the_old_one(httpd, fake):
    fake.control({"refresh_omit_token": True})
    b, _ = fresh_login(httpd, fake)
    fake.control({"expires_in": 30})   # each refresh is due again at once
    t1 = K.token_seen(b.get(K.APP))
    t2 = K.token_seen(b.get(K.APP))
    calls = K.refreshes(fake)
    assert len(calls) == 2, calls
    assert calls[0]["refresh_token"] == calls[1]["refresh_token"]
    assert [c["status"] for c in calls] == [200, 200]
    assert t1 and t2 and t1 != t2


def test_refused_refresh_ends_the_login(httpd, fake):
    b, _ = fresh_login(httpd, fake)
    xhr = H.Browser(httpd)
    xhr.cookies = dict(b.cookies)
    fake.control({"refresh_invalid_grant": ["*"]})
    mark = httpd.log_mark()
    r = b.get(K.APP)
    assert r.status == 302 and r.location.startswith(fake.urls()["authorize"] + "?"), r
    assert "ATL00212:" in httpd.wait_log("ATL00212:", mark)
    r = xhr.get(K.APP, headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status == 401, r
    assert r.header("WWW-Authenticate", "").startswith("Atlassian "), r.headers
    # One call: the XHR took the shared outcome.
    assert len(K.refreshes(fake)) == 1


def test_failed_refresh_keeps_the_login_and_retries(httpd, fake):
    b, _ = fresh_login(httpd, fake)
    fake.control({"refresh_fail": {"mode": "status", "status": 503}})
    mark = httpd.log_mark()
    r = b.get(K.APP)
    # The token has not expired yet (it is only within the margin): passed.
    assert K.token_seen(r) in fake.tokens_issued
    log = httpd.wait_log("ATL00213:", mark)
    assert "[auth_atlassian:warn]" in [l for l in log.splitlines() if "ATL00213:" in l][0]
    fake.control({"refresh_fail": None})
    t = K.token_seen(b.get(K.APP))
    calls = K.refreshes(fake)
    assert [c["status"] for c in calls] == [503, 200], calls
    assert t == fake.tokens_issued[-2]   # the access token of the refresh


def test_expired_token_without_refresh_is_never_passed(make_httpd, fake):
    h = make_httpd(protected_extra="AtlassianPassAccessToken On")
    b = h.browser()
    fake.control({"expires_in": 2})
    b.login("/protected/app/x")
    assert K.token_seen(b.get("/protected/app/x"))
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert env.get("ATLASSIAN_ACCESS_TOKEN")
    time.sleep(2.2)
    r = b.get("/protected/app/x")
    assert K.token_seen(r) is None
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert "ATLASSIAN_ACCESS_TOKEN" not in env and env["ATLASSIAN_ACCOUNT_ID"]
    info = b.get(h.callback_path + "?info=json")
    assert info.status == 200 and "access_token" not in info.json(), info
    assert K.refreshes(fake) == []


def test_info_json_refreshes_too(httpd, fake):
    b, _ = fresh_login(httpd, fake)
    info = b.get(httpd.callback_path + "?info=json")
    assert info.status == 200, info
    assert info.json()["access_token"] == fake.tokens_issued[-2]
    assert len(K.refreshes(fake)) == 1
    # The session now carries the new tokens.
    assert K.token_seen(b.get(K.APP)) == fake.tokens_issued[-2]
    assert len(K.refreshes(fake)) == 1


@pytest.mark.allow_log_errors(r"AH00786:", r"ATL00201:")
def test_cache_arguments_refused_at_start(make_httpd, fake):
    load = 'LoadModule socache_memcache_module "%s/mod_socache_memcache.so"\n' % H.MODULES_DIR
    h = make_httpd(start=False, server_extra=load + "AtlassianCache memcache:\n")
    rc, out = h.config_test()
    assert rc != 0 and "ATL00911: AtlassianCache: nothing after the ':'" in out, out
    h = make_httpd(start=False, server_extra=load + "AtlassianCache memcache:127.0.0.1:99999\n")
    # httpd binds its port before post_config fails: wait for its exit.
    h.start(check=False)
    assert h.proc.wait(30) != 0
    assert "ATL00201: AtlassianCache memcache:127.0.0.1:99999 could not be" in h.read_log()


def test_rotated_refresh_token_is_written_back(httpd, fake):
    """Two refreshes of one login with rotation: the second presents the
    refresh token the first one got (a session that kept the old one
    would present a rotated token, which Atlassian answers with
    invalid_grant and the end of the whole login)."""
    b, _ = fresh_login(httpd, fake)
    fake.control({"expires_in": 30})   # each refresh is due again at once
    t1 = K.token_seen(b.get(K.APP))
    rotated = fake.tokens_issued[-1]
    assert rotated.startswith("atl-rt-")
    t2 = K.token_seen(b.get(K.APP))
    calls = K.refreshes(fake)
    assert [(c["status"], c["reuse"]) for c in calls] == [(200, False), (200, False)], calls
    assert calls[1]["refresh_token"] == fake_tokens.short_hash(rotated), calls
    assert t1 and t2 and t1 != t2 and t2 == fake.tokens_issued[-2]
    assert fake.reused_refresh_tokens() == []


def test_code_answer_without_expires_in_is_refreshed_at_once(httpd, fake):
    """A token answer without expires_in at login: the access token is
    treated as expiring at once, so the next request refreshes it."""
    b = httpd.browser()
    mark = httpd.log_mark()
    fake.control({"omit_expires_in": True})
    K.login(b)
    fake.control({"omit_expires_in": False})
    assert K.refreshes(fake) == []
    t = K.token_seen(b.get(K.APP))
    calls = K.refreshes(fake)
    assert [c["status"] for c in calls] == [200], calls
    assert t == fake.tokens_issued[-2]
    # The refreshed token has an expiry of an hour: no further refresh.
    assert K.token_seen(b.get(K.APP)) == t
    assert len(K.refreshes(fake)) == 1
    assert "ATL00641:" in httpd.wait_log("ATL00641:", mark)


def test_refresh_answer_without_expires_in_refreshes_again(httpd, fake):
    """A refresh answer without expires_in: its access token is passed on
    to the request that refreshed, and the next request refreshes again,
    with the rotated refresh token."""
    b, _ = fresh_login(httpd, fake)
    fake.control({"omit_expires_in": True})
    mark = httpd.log_mark()
    t1 = K.token_seen(b.get(K.APP))
    assert t1 == fake.tokens_issued[-2]
    rotated = fake.tokens_issued[-1]
    fake.control({"omit_expires_in": False})
    t2 = K.token_seen(b.get(K.APP))
    calls = K.refreshes(fake)
    assert [(c["status"], c["reuse"]) for c in calls] == [(200, False), (200, False)], calls
    assert calls[1]["refresh_token"] == fake_tokens.short_hash(rotated)
    assert t2 == fake.tokens_issued[-2] and t2 != t1
    assert "ATL00642:" in httpd.wait_log("ATL00642:", mark)


def test_code_answer_without_expires_in_without_refresh(make_httpd, fake):
    """Without AtlassianRefresh, an access token of unknown lifetime is
    never passed on."""
    h = make_httpd(protected_extra="AtlassianPassAccessToken On")
    b = h.browser()
    fake.control({"omit_expires_in": True})
    b.login("/protected/app/x")
    assert K.token_seen(b.get("/protected/app/x")) is None
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert "ATLASSIAN_ACCESS_TOKEN" not in env and env["ATLASSIAN_ACCOUNT_ID"]
    assert "ATL00641:" in h.read_log()
