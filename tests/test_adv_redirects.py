"""An attacker's open redirects: every ?logout= variant a browser could read
as another host is refused, allowed targets work, and the URL restored
after a login never becomes another host."""

import urllib.parse

import pytest

import atlharness as H

import advhelpers
from advhelpers import CGI, assert_callback_headers, pending

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# Open redirects: ?logout=


BAD_LOGOUT_RAW = [
    # raw query text after "logout=" (already encoded as sent on the wire)
    "%2F%2Fevil.com",
    "%2F%5Cevil.com",
    "/%5Cevil.com",
    "%5C%5Cevil.com",
    "%2F%09%2Fevil.com",
    "/%09/evil.com",
    "/%0d/evil.com",
    "/%0a%0d/evil.com",
    "%09//evil.com",
    "%20//evil.com",
    "%20%2F%2Fevil.com",
    "+//evil.com",
    "%0B//evil.com",
    "%0C//evil.com",
    "%00//evil.com",
    "%7F//evil.com",
    "https:evil.com",
    "https:%2F%2Fevil.com",
    "HTTPS://evil.com",
    "http:/evil.com",
    "http:\\\\evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "%20javascript:alert(1)",
    "java%09script:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "evil.com",
    "evil.com/path",
    "./evil",
    "..//evil.com",
    "?x=1",
    "%23frag",
    "////evil.com",
    "/%2F/evil.com",
    "/%2f/evil.com",
    "/%5c/evil.com",
    "%E3%80%82//evil.com",
    "\\\\evil.com",
    "/\\evil.com",
    "%2F%2F%2Fevil.com",
    "https://app.example.com.evil.com/",
    "https://app.example.com@evil.com/",
    "https://app.example.com%40evil.com/",
    "https://app.example.com:443@evil.com/",
    "https://app.example.com\\@evil.com/",
    "https://app.example.com%5C@evil.com/",
    "http://app.example.com/",
    "HTTPS://APP.EXAMPLE.COM.evil.com/",
    "https://intranet.example.org.evil.com/",
    "https://intranet.example.org@evil.com/",
    "https://intranet.example.org:8443@evil.com/",
    "https://intranet.example.org%09.evil.com/",
    "https://intranet.example.org%2Eevil.com/",
    "https://intranet.example.org%00/",
    "https://intranet.example.orgevil.com/",
    "%20https://evil.com",
    "https://evil.com/https://app.example.com/",
    "//app.example.com/",
    "%2F%2Fapp.example.com%2F",
]


@pytest.mark.parametrize("raw", BAD_LOGOUT_RAW)
def test_logout_open_redirect_variants(httpd, fake, raw):
    b = httpd.browser()
    b.login()
    r = b.get(H.CALLBACK + "?logout=" + raw)
    assert r.status == 400, (raw, r)
    assert r.location is None, (raw, r)
    assert_callback_headers(r, raw)
    assert "<script" not in r.text.lower()
    # A refused logout leaves the login alone.
    assert b.get(CGI).status == 200


GOOD_LOGOUT = [
    ("%2Fpublic%2Fok.txt", "/public/ok.txt"),
    ("/public/ok.txt?a=//evil.com", "/public/ok.txt?a=//evil.com"),
    ("/", "/"),
    ("/%20/evil", None),                       # "/ /evil": a local path
    (urllib.parse.quote("https://app.example.com/bye?x=1", safe=""),
     "https://app.example.com/bye?x=1"),
    (urllib.parse.quote("https://intranet.example.org", safe=""),
     "https://intranet.example.org"),
    (urllib.parse.quote("https://intranet.example.org/x", safe=""),
     "https://intranet.example.org/x"),
    (urllib.parse.quote("https://intranet.example.org?x=1", safe=""),
     "https://intranet.example.org?x=1"),
]


@pytest.mark.parametrize("raw,expected", GOOD_LOGOUT)
def test_logout_allowed_targets(httpd, fake, raw, expected):
    b = httpd.browser()
    b.login()
    r = b.get(H.CALLBACK + "?logout=" + raw)
    assert r.status == 302, (raw, r)
    assert_callback_headers(r, raw)
    loc = r.location
    if expected is not None:
        assert b.local(loc) == expected or loc == expected, (raw, loc)
    u = urllib.parse.urlsplit(b.local(loc))
    if not u.scheme:
        # A local target: it must stay on this host however a browser reads it.
        path = b.local(loc)
        norm = path.strip().replace("\\", "/")
        assert norm.startswith("/") and not norm.startswith("//"), loc
    assert b.get(CGI).status == 302, "logout did not clear the login"


def test_logout_without_login_still_redirects_locally(httpd, fake):
    b = httpd.browser()
    r = b.get(H.CALLBACK + "?logout=%2Fpublic%2Fok.txt")
    assert r.status == 302, r
    assert b.local(r.location) == "/public/ok.txt"
    assert_callback_headers(r)


def test_logout_clears_pending_logins_too(httpd, fake):
    b, q, cb = pending(httpd)
    r = b.get(H.CALLBACK + "?logout=/")
    assert r.status == 302, r
    # The pending login of before the logout no longer completes.
    r = b.get(cb)
    assert r.status == 400, r
    assert fake.requests("/oauth/token") == []


def test_logout_old_cookie_replay_is_a_known_limitation(httpd, fake):
    """Cookie sessions cannot revoke a copy: a copy of the cookie taken
    before the logout is still a login until AtlassianSessionLifetime ends
    it (the browser's own cookie carries no login after the logout). The
    day the module can revoke copies, this test must change with it."""
    b = httpd.browser()
    b.login()
    old = b.cookies[H.COOKIE]
    b.get(H.CALLBACK + "?logout=/")
    assert b.get(CGI).status == 302
    other = httpd.browser()
    other.cookies[H.COOKIE] = old
    r = other.get(CGI)
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


# ---------------------------------------------------------------------------
# The return URL after login


# Request targets httpd itself answers before any login: "//evil.com/..."
# is the local path /evil.com/... (no such file), a raw "#" in a request
# line is refused by httpd's parser. Every other start gets a login.
HTTPD_ANSWERS = {"//evil.com/protected/cgi/printenv.cgi": 404,
                 "/protected/cgi/printenv.cgi#frag": 400}


@pytest.mark.parametrize("start", [
    "//evil.com/protected/cgi/printenv.cgi",
    "/protected/cgi/printenv.cgi?x=//evil.com",
    "/protected/cgi/printenv.cgi?x=/\\evil.com",
    "/protected/cgi/printenv.cgi/\\evil.com",
    "/protected/cgi/printenv.cgi?next=https://evil.com/",
    "/protected/%5Cevil.com/../cgi/printenv.cgi",
    "/protected/cgi/printenv.cgi?a=%0d%0aSet-Cookie:%20x=1",
    "/protected/cgi/printenv.cgi#frag",
    "http://evil.com/protected/cgi/printenv.cgi",
    "http://127.0.0.1/protected/cgi/printenv.cgi?abs=1",
])
def test_return_url_never_another_host(httpd, fake, start):
    b = httpd.browser()
    data = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/html\r\nConnection: close"
            "\r\n\r\n" % (start, httpd.port)).encode()
    status, out = H.raw_request(httpd.port, data)
    assert status == HTTPD_ANSWERS.get(start, 302), (start, out[:300])
    if status != 302:
        assert b"Location:" not in out.split(b"\r\n\r\n", 1)[0], out[:300]
        return
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    loc = [l.split(":", 1)[1].strip() for l in head.split("\r\n")
           if l.lower().startswith("location:")][0]
    assert loc.startswith(fake.urls()["authorize"] + "?"), loc
    for l in head.split("\r\n"):
        if l.lower().startswith("set-cookie:"):
            name, val, attrs = H.parse_set_cookie(l.split(":", 1)[1].strip())
            b.cookies[name] = val
    cb = b.authorize(loc)
    r = b.get(cb)
    assert r.status == 302, r
    back = b.local(r.location)
    assert "\r" not in back and "\n" not in back
    assert "x=1" not in str(r.header_all("Set-Cookie")), r.headers
    norm = back.replace("\\", "/")
    assert norm.startswith("/") and not norm.startswith("//"), back
    assert "evil.com" not in (urllib.parse.urlsplit(norm).netloc or ""), back
