"""Odd requests never give a 500, a crash or a hang; the URL restored after a
login never becomes another host."""

import urllib.parse

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"

# httpd's own complaint about a cookie sent twice (core, AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH00011:")


def assert_sane(status, what):
    assert status is not None, what
    assert status < 500 or status == 501, (status, what)


@pytest.mark.parametrize("cookie", [
    "atlassian_session=%%%garbage%%%",
    "atlassian_session=" + "A" * 7000,
    "atlassian_session=" + "a=b&" * 1500,
    "atlassian_session==&&&==&=&",
    "atlassian_session=%00%00%00",
    "atlassian_session=expiry=1&expiry=2",
    "atlassian_session=expiry=-1",
    "atlassian_session=expiry=99999999999999999999999999",
    "atlassian_session=" + "%C3%28" * 50,
    "atlassian_session",
    "atlassian_session=1; atlassian_session=2; atlassian_session=3",
    ";;;;====;;;",
])
def test_garbage_cookies(httpd, fake, cookie):
    b = httpd.browser()
    r = b.get(CGI, headers={"Cookie": cookie}, cookies=False)
    assert r.status in (302, 400), r
    r = b.get(H.CALLBACK + "?code=abc&state=" + "A" * 43, headers={"Cookie": cookie},
              cookies=False)
    assert r.status == 400, r
    r = b.get(H.CALLBACK + "?info=json", headers={"Cookie": cookie}, cookies=False)
    assert r.status in (400, 401), r
    assert httpd.alive()


def test_garbage_cookie_after_login_keeps_other_cookie(httpd, fake):
    b = httpd.browser()
    b.login()
    cookie = "junk=1; %s=%s; other=%%zz" % (H.COOKIE, b.cookies[H.COOKIE])
    r = b.get(CGI, headers={"Cookie": cookie}, cookies=False)
    assert r.status == 200


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "TRACE",
                                    "FOO", "CONNECT"])
def test_odd_methods(httpd, fake, method):
    for path in (CGI, H.CALLBACK, H.CALLBACK + "?code=a&state=b", "/protected/app/x"):
        data = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n" % (method, path)).encode()
        if method == "CONNECT":
            data = b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, out = H.raw_request(httpd.port, data)
        assert_sane(status, (method, path, out[:200]))
    assert httpd.alive()


@pytest.mark.parametrize("headers", [
    {},                                     # no Content-Type at all
    {"Content-Type": "multipart/form-data"},  # no boundary
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": ""},
])
def test_post_to_callback(httpd, fake, headers):
    b = httpd.browser()
    q = b.start_login(CGI)
    cb = b.authorize(q["_location"])
    u = urllib.parse.urlsplit(cb)
    hl = "".join("%s: %s\r\n" % kv for kv in headers.items())
    body = u.query.encode()
    data = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\n%sContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (u.path, b.cookie_header(), hl, len(body))).encode() + body
    status, out = H.raw_request(httpd.port, data)
    assert status in (400, 401, 405), out[:300]
    # Chunked, and no body at all.
    data = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n5\r\nabcde\r\n0\r\n\r\n" % u.path).encode()
    status, out = H.raw_request(httpd.port, data)
    assert status in (400, 401, 405), out[:300]
    assert fake.requests("/oauth/token") == []
    # The pending login is intact.
    b.finish_login(cb, CGI)


@pytest.mark.parametrize("query", [
    "%00", "code=%00&state=%00", "info=json%00", "logout=%00", "logout=/%00/evil.com",
    "info", "info=", "info=xml", "logout", "logout=", "&&&&", "=", "code=a=b=c&state=d=e",
    "state=%", "code=%G1&state=%1", "x=" + "y" * 6000, "info=json&info=json",
    "logout=/a&logout=/b", "code=a&state=b&info=json", "logout=%2F&info=json",
])
def test_odd_callback_queries(httpd, fake, query):
    b = httpd.browser()
    b.login()
    r = b.get(H.CALLBACK + "?" + query)
    assert_sane(r.status, (query, r))
    assert "no-store" in (r.header("Cache-Control") or ""), (query, r.headers)
    if r.status == 302:
        loc = b.local(r.location)
        assert loc.startswith("/") and not loc.startswith("//") and "\\" not in loc, loc
    assert httpd.alive()


@pytest.mark.parametrize("path", [
    CGI + "?a=%00", CGI + "?%00=%00", CGI + "?" + "a" * 3000, "/protected/%00",
    "/protected/..%2f..%2fetc/passwd", "/protected/cgi/printenv.cgi/extra/path",
])
def test_odd_protected_paths(httpd, fake, path):
    b = httpd.browser()
    r = b.get(path)
    assert_sane(r.status, (path, r))
    if r.status == 302:
        assert r.location.startswith(fake.urls()["authorize"] + "?")


def test_huge_url(httpd, fake):
    status, out = H.raw_request(httpd.port, ("GET %s?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                             % (CGI, "a" * 9000)).encode())
    assert_sane(status, out[:200])


def test_many_headers(httpd, fake):
    hdrs = "".join("X-Atlassian-H%d: v\r\n" % i for i in range(90))
    status, out = H.raw_request(httpd.port, ("GET /protected/app-pass/x HTTP/1.1\r\nHost: x\r\n%s"
                                             "Connection: close\r\n\r\n" % hdrs).encode())
    assert status == 200, out[:300]
    assert b"X-Atlassian-H" not in out.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize("start", [
    "//protected/cgi/printenv.cgi?x=1",
    "///protected/cgi/printenv.cgi?x=1",
    "/protected//cgi/printenv.cgi?x=1",
    "/protected/cgi/printenv.cgi?next=//evil.com",
    "/protected/cgi/printenv.cgi?x=\\evil.com",
])
def test_return_url_stays_on_this_host(httpd, fake, start):
    b = httpd.browser()
    data = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
            % (start, httpd.port)).encode()
    status, out = H.raw_request(httpd.port, data)
    if status != 302:
        assert_sane(status, out[:200])
        return
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    loc = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("location:")][0]
    for l in head.split("\r\n"):
        if l.lower().startswith("set-cookie:"):
            name, val, attrs = H.parse_set_cookie(l.split(":", 1)[1].strip())
            b.cookies[name] = val
    assert loc.startswith(fake.urls()["authorize"] + "?")
    cb = b.authorize(loc)
    r = b.get(cb)
    assert r.status == 302, r
    back = b.local(r.location)
    assert back.startswith("/"), back
    assert not back.startswith("//") and not back.startswith("/\\"), back
    assert "evil.com" not in urllib.parse.urlsplit(back).netloc


def test_server_survives_everything(httpd, fake):
    b = httpd.browser()
    b.login()
    assert b.get(CGI).status == 200


@pytest.mark.parametrize("query,back", [
    # Fits: the login comes back to the URL, query string included.
    ("q=" + "%41" * 120, CGI + "?q=" + "%41" * 120),
    # Too long for a cookie once escaped: the login still completes, at "/".
    ("q=" + "%22" * 170, "/"),
    # Short enough to keep, but every character escaped in the session:
    # the pending login alone would not fit, so it comes back to "/".
    ("q=" + "!" * 480, "/"),
    ("q=" + "b" * 3000, "/"),
])
def test_login_from_a_long_url_completes(httpd, fake, query, back):
    b = httpd.browser()
    q = b.start_login(CGI + "?" + query)
    for v in q["_response"].header_all("Set-Cookie"):
        assert len(v) < 4096, len(v)
    b.finish_login(b.authorize(q["_location"]), back)
