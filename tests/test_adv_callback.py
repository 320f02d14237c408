"""Every answer of the callback: its status and headers for bad, foreign,
denied and replayed callbacks, other methods, ?info=, absurd queries and
raw requests httpd's parser refuses."""


import pytest

import atlharness as H

import advhelpers
from advhelpers import CGI, assert_callback_headers, assert_logged, cb_parts, pending

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# The callback


def test_cache_and_referrer_headers_on_every_callback_answer(httpd, fake):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    answers = {}
    answers["400 bad"] = b.get(path + "?code=&state=" + state)
    answers["400 nomatch"] = b.get(path + "?code=x&state=" + "Q" * 43)
    answers["400 denied nomatch"] = b.get(path + "?error=access_denied&state=" + "Q" * 43)
    answers["400 error nomatch"] = b.get(path + "?error=server_error&state=" + "Q" * 43)
    b4, q4, cb4 = pending(httpd)
    answers["403 denied"] = b4.get(H.CALLBACK + "?error=access_denied&state=" + q4["state"])
    b5, q5, cb5 = pending(httpd)
    answers["502 error"] = b5.get(H.CALLBACK + "?error=server_error&state=" + q5["state"])
    answers["405 post"] = b.post(path + "?code=x&state=y", body=b"")
    answers["405 put"] = b.request("PUT", path, body=b"x")
    answers["401 info"] = httpd.browser().get(path + "?info=json")
    answers["400 info"] = b.get(path + "?info=foo")
    answers["400 logout"] = b.get(path + "?logout=//evil.com")
    answers["302 logout"] = httpd.browser().get(path + "?logout=/")
    answers["302 login"] = b.get(cb)
    answers["200 info"] = b.get(path + "?info=json")
    answers["400 nothing"] = b.get(path)
    answers["200 head"] = b.request("HEAD", path + "?info=json")
    fake.fail("/oauth/token", delay=4)
    b2, q2, cb2 = pending(httpd)
    answers["504 timeout"] = b2.get(cb2)
    fake.clear_failure()
    fake.fail("/oauth/token", 500, "{}")
    b3, q3, cb3 = pending(httpd)
    answers["502 token"] = b3.get(cb3)
    fake.clear_failure()
    for what, r in answers.items():
        assert r.status == int(what.split()[0]), (what, r)
        assert_callback_headers(r, what)
    assert answers["401 info"].header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM


def test_error_access_denied_without_state(httpd, fake):
    """An error= without a state matches no pending login: a bad callback
    (400, logged at info), not a denied consent."""
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(H.CALLBACK + "?error=access_denied")
    assert r.status == 400, r
    assert r.location is None
    assert_callback_headers(r)
    assert_logged(httpd, mark, "ATL00041")
    # The real pending login is untouched.
    b.finish_login(cb, CGI)


def test_error_with_other_browsers_state_keeps_victims_pending(httpd, fake):
    victim, vq, vcb = pending(httpd, CGI + "?who=victim")
    attacker, aq, acb = pending(httpd, CGI + "?who=attacker")
    # The state is checked first: another browser's state matches nothing
    # here, so both are bad callbacks (400), not a denial or a failure.
    mark = httpd.log_mark()
    r = victim.get(H.CALLBACK + "?error=access_denied&state=" + aq["state"])
    assert r.status == 400, r
    r = victim.get(H.CALLBACK + "?error=server_error&state=" + aq["state"])
    assert r.status == 400, r
    assert len(assert_logged(httpd, mark, "ATL00042")) == 2
    victim.finish_login(vcb, CGI + "?who=victim")
    attacker.finish_login(acb, CGI + "?who=attacker")


def test_error_with_own_state_ends_that_pending_login(httpd, fake):
    b, q, cb = pending(httpd)
    r = b.get(H.CALLBACK + "?error=access_denied&state=" + q["state"])
    assert r.status == 403, r
    r = b.get(cb)
    assert r.status == 400, r
    assert fake.requests("/oauth/token") == []


@pytest.mark.parametrize("query_tmpl", [
    "error=access%0Ddenied&state={s}",
    "error=access_denied%00&state={s}",
    "error=%1B%5B31m&state={s}",
    "error=access_denied&state={s}&error=x",
    "error=" + "E" * 3000 + "&state={s}",
    "code={c}&state={s}&state=",
    "code=&code={c}&state={s}",
    "code={c}&state=%00{s}",
    "code=" + "C" * 3000 + "&state={s}",
    "code={c}&state=" + "S" * 3000,
    "code={c}%7F&state={s}",
    "code={c}&state={s}%09",
    "code=%0a{c}&state={s}",
], ids=lambda q: "%s..%d" % (q[:30], len(q)))
def test_bad_callback_parameters_more(httpd, fake, query_tmpl):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    query = query_tmpl.replace("{c}", code).replace("{s}", state)
    r = b.get(path + "?" + query)
    assert r.status == 400, (query[:80], r)
    assert_callback_headers(r)
    assert code not in r.text and state not in r.text
    assert fake.requests("/oauth/token") == []


def test_callback_head_and_other_methods(httpd, fake):
    b, q, cb = pending(httpd)
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = b.request(m, cb, body=b"" if m in ("POST", "PUT", "PATCH") else None)
        assert r.status == 405, (m, r)
        assert "GET" in (r.header("Allow") or ""), (m, r.headers)
        assert_callback_headers(r, m)
    assert fake.requests("/oauth/token") == []
    b.finish_login(cb, CGI)


def test_replayed_callback_after_success(httpd, fake):
    b, q, cb = pending(httpd)
    b.finish_login(cb, CGI)
    r = b.get(cb)
    assert r.status == 400, r
    assert_callback_headers(r)
    assert b.get(CGI).status == 200


def test_info_json_logged_out_and_bad_values(httpd, fake):
    b = httpd.browser()
    r = b.get(H.CALLBACK + "?info=json")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
    assert r.location is None
    assert_callback_headers(r)
    for v in ("foo", "JSON", "json%20", "json%00"):
        r = b.get(H.CALLBACK + "?info=" + v)
        assert r.status == 400, (v, r)
        assert_callback_headers(r, v)


# ---------------------------------------------------------------------------
# Robustness


@pytest.mark.parametrize("query", [
    "&&&", "=", "code", "state", "error", "logout", "info", "==&==", "code=&state=",
    "&".join("p%d=1" % i for i in range(700)),
    "&".join("code%d=x" % i for i in range(500)),
    "a=" + "%" * 100, "%zz=1", "logout=" + "/a" * 3000, "error_description=" + "x" * 5000,
    "state=" + "A" * 43 + "&code=" + "%FF" * 100,
], ids=lambda q: "%s..%d" % (q[:30], len(q)))
def test_absurd_callback_queries(httpd, fake, query):
    b = httpd.browser()
    r = b.get(H.CALLBACK + "?" + query)
    assert r.status == 400, (query[:60], r)
    assert r.location is None
    assert_callback_headers(r, query[:60])
    assert httpd.alive()


# Each raw request and its one answer: (status, answered by the callback).
# Answers from httpd itself: "GET *" (400) and "OPTIONS *" (200) from its
# core, an encoded NUL in the path (404). Paths that only look like the
# callback ("/oauth2callback/", ";x", another case) are protected pages:
# a login (302). Requests that cannot follow a login redirect get 401.
RAW_ANSWERS = {
    b"GET /protected/cgi/printenv.cgi?&&& HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback?= HTTP/1.1\r\nHost: x\r\n\r\n":
        (400, True),
    b"GET /protected/oauth2callback HTTP/1.0\r\n\r\n":
        (400, True),
    b"GET /protected/oauth2callback?info=json HTTP/1.1\r\nHost: x\r\nCookie: =; ==; atlassian_session\r\n\r\n":
        (401, True),
    b"POST /protected/oauth2callback HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde":
        (405, True),
    b"POST /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n":
        (401, False),
    b"BREW /protected/oauth2callback?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n":
        (405, True),
    b"GET * HTTP/1.1\r\nHost: x\r\n\r\n":
        (400, False),
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n":
        (200, False),
    b"GET http://127.0.0.1/protected/oauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET http://evil.com/protected/cgi/printenv.cgi HTTP/1.1\r\nHost: evil.com\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback/ HTTP/1.1\r\nHost: x\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback%00 HTTP/1.1\r\nHost: x\r\n\r\n":
        (404, False),
    b"GET /protected/OAUTH2CALLBACK?code=a&state=b HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/./oauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET /protected/oauth2callback;x?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (302, False),
    b"GET /protected/%6fauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nAccept:\r\nX-Requested-With:\r\n\r\n":
        (401, False),
    b"GET /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nX-Atlassian-Email:\r\n\r\n":
        (302, False),
}


@pytest.mark.parametrize("raw", list(RAW_ANSWERS))
def test_raw_odd_requests(httpd, fake, raw):
    expected, by_callback = RAW_ANSWERS[raw]
    sent = raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1) \
        if b"HTTP/1.1" in raw.split(b"\r\n")[0] else raw
    status, out = H.raw_request(httpd.port, sent)
    assert status == expected, (raw[:80], out[:300])
    head = out.split(b"\r\n\r\n", 1)[0].lower()
    if by_callback:
        assert b"no-store" in head and b"referrer-policy: no-referrer" in head, out[:400]
    if status == 401:
        assert b"www-authenticate: atlassian realm=" in head, out[:400]
    assert httpd.alive()


def test_callback_alias_paths_never_bypass(httpd, fake):
    """Variants of the callback path that httpd normalizes reach the
    callback: ?info=json without a login is 401, never the app anonymously."""
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    for variant in ("/protected/./oauth2callback", "/protected//oauth2callback",
                    "/protected/%6fauth2callback", "/protected/cgi/../oauth2callback"):
        r = b.get(variant + "?info=json")
        assert r.status == 401, (variant, r)
        assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
        assert_callback_headers(r, variant)
    b.finish_login(cb, CGI)


def test_server_alive_at_end(httpd, fake):
    b = httpd.browser()
    b.login()
    assert b.get(CGI).status == 200
