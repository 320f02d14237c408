# SPDX-License-Identifier: Apache-2.0
"""AtlassianPreservePost: a form POST that meets a missing login is kept in
the session, and after the login the callback answers a page that sends it
again, once, to the URL it was made to (tests/apps/echo.cgi prints what it
received). Without the directive, or for what cannot be kept, the answer is
the 401 of every non-GET request without a login."""

import html.parser
import http.client
import re
import time
import urllib.parse

import pytest

import atlharness as H

# /protected/post/ is the CGI directory (a ScriptAlias of the harness).
HTTPD_OPTIONS = {
    "tail_extra": """
<Location /protected/post>
    AtlassianPreservePost On
</Location>
""",
}

FORM = "application/x-www-form-urlencoded"
URL = "/protected/post/echo.cgi?a=1&b=two"
FIELDS = [("title", "Hello world"), ("text", "line1\r\nline2"), ("sym", "&<>\"'"),
          ("submit", "yes"), ("empty", "")]
BODY = urllib.parse.urlencode(FIELDS)


class _Form(html.parser.HTMLParser):
    """The form of the replay page: action, method, hidden fields, scripts."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.fields = []
        self.scripts = []
        self.buttons = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.fields.append((a.get("type"), a.get("name"), a.get("value")))
        elif tag == "button":
            self.buttons.append(a)
        elif tag == "script":
            self._script = a

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))


def _echo(resp):
    out = {}
    for line in resp.text.splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def _post_count(httpd, path="/protected/post/echo.cgi", expect=None):
    """POSTs that reached the CGI (access log); with expect, wait up to 5 s
    for that number (httpd logs a request after answering it)."""
    deadline = time.monotonic() + 5
    while True:
        with open(httpd.dir + "/access.log") as f:
            n = sum(1 for l in f if ('"POST %s' % path) in l and '" 200 ' in l)
        if expect is None or n == expect or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def _cookie_has_post(b):
    return "atlassian-post" in urllib.parse.unquote(b.cookies.get(H.COOKIE, ""))


def _post(b, url=URL, body=BODY, ctype=FORM, origin=True, **kw):
    """A form POST; by default from a page of this site (the Origin a
    browser sends); origin=False: without any header that tells where
    from, or a dict of the headers that do."""
    headers = {"Content-Type": ctype}
    if origin is True:
        headers["Origin"] = b.httpd.base
    elif origin:
        headers.update(origin)
    return b.post(url, body=body, headers=headers, **kw)


def _authorize(b, r):
    assert r.status == 302, r
    assert r.location.startswith(b.httpd.fake.urls()["authorize"] + "?"), r.location
    return b.authorize(r.location)


def test_post_kept_and_replayed_once(httpd, fake):
    h = httpd
    b = h.browser()
    before = _post_count(h)
    r = _post(b)
    cb = _authorize(b, r)
    assert _cookie_has_post(b)
    assert _post_count(h) == before

    page = b.get(cb)
    assert page.status == 200, page
    assert page.header("Content-Type").startswith("text/html"), page.headers
    assert "no-store" in page.header("Cache-Control"), page.headers
    assert page.header("Referrer-Policy") == "no-referrer", page.headers
    csp = page.header("Content-Security-Policy")
    m = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{32,})'", csp or "")
    assert m, csp
    assert "default-src 'none'" in csp
    # Used once: the kept body has left the session with this answer.
    assert not _cookie_has_post(b)

    f = _Form()
    f.feed(page.text)
    assert len(f.forms) == 1, page.text
    assert f.forms[0]["method"] == "post"
    assert f.forms[0]["action"] == URL
    assert f.fields == [("hidden", k, v) for k, v in FIELDS], f.fields
    assert len(f.buttons) == 1 and "autofocus" in f.buttons[0]
    assert len(f.scripts) == 1 and f.scripts[0][0].get("nonce") == m.group(1)
    assert '<meta name="referrer" content="origin">' in page.text

    # What the browser sends when the form is submitted.
    again = urllib.parse.urlencode([(n, v) for _, n, v in f.fields])
    assert again == BODY
    done = _post(b, f.forms[0]["action"], again)
    assert done.status == 200, done
    echo = _echo(done)
    assert echo["METHOD"] == "POST"
    assert echo["CONTENT_TYPE"] == FORM
    assert echo["BODY"] == BODY
    assert echo["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert _post_count(h, expect=before + 1) == before + 1

    # A second try finds nothing: the callback is spent, and a new login of
    # the same browser ends with the usual redirect.
    assert b.get(cb).status == 400
    b.get(cb.split("?")[0] + "?logout=/public/ok.txt")
    q = b.start_login(URL)
    back = b.get(b.authorize(q["_location"]))
    assert back.status == 302 and b.local(back.location) == URL, back
    assert _post_count(h) == before + 1


def _assert_401(b, r):
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM, r.headers
    assert not _cookie_has_post(b)
    assert not b.cookies, b.cookies


def test_not_kept_gets_401(httpd, fake):
    h = httpd
    before = _post_count(h)
    b = h.browser()
    mark = h.log_mark()
    # Larger than what fits beside the pending logins in a session cookie.
    _assert_401(b, _post(b, body="text=" + "x" * 1200))
    assert re.search(r"ATL00451: .*does not fit in the session",
                     h.wait_log(r"ATL00451: .*does not fit", mark))
    # Larger than ATL_POST_MAX (8 KiB): not even read.
    _assert_401(b, _post(b, body="text=" + "x" * 9000))
    assert re.search(r"ATL00451: .*larger than 8192 bytes",
                     h.wait_log(r"ATL00451: .*larger than", mark))
    # Not form data.
    _assert_401(b, _post(b, body="--x\r\n\r\nhi\r\n--x--\r\n",
                         ctype="multipart/form-data; boundary=x"))
    _assert_401(b, _post(b, body='{"a":1}', ctype="application/json"))
    # Malformed form data cannot be sent again as fields.
    _assert_401(b, _post(b, body="a=%zz"))
    _assert_401(b, _post(b, body="a=%00b"))
    # Not a browser navigation.
    _assert_401(b, b.post(URL, body=BODY, headers={"Content-Type": FORM,
                                                   "Origin": h.base,
                                                   "X-Requested-With": "XMLHttpRequest"}))
    # Without the directive (the default): 401, as for any POST.
    _assert_401(b, _post(b, url="/protected/cgi/echo.cgi"))
    assert _post_count(h, "/protected/cgi/echo.cgi") == 0
    assert _post_count(h) == before


def test_small_post_fits(httpd, fake):
    """A body of 1000 bytes is kept (what fits is about 1 KB)."""
    b = httpd.browser()
    body = "text=" + "y" * 1000
    cb = _authorize(b, _post(b, body=body))
    page = b.get(cb)
    assert page.status == 200, page
    f = _Form()
    f.feed(page.text)
    assert f.fields == [("hidden", "text", "y" * 1000)]


def test_largest_post_that_fits(httpd, fake):
    """The session's share for a kept POST (1,600 characters sealed) holds
    the record {"s":"<state>","b":"<body>"}: a body of 1,125 bytes fits,
    one byte more does not."""
    b = httpd.browser()
    mark = httpd.log_mark()
    _assert_401(b, _post(b, body="text=" + "z" * 1121))
    assert httpd.wait_log(r"ATL00451: .*does not fit in the session", mark)
    b = httpd.browser()
    cb = _authorize(b, _post(b, body="text=" + "z" * 1120))
    page = b.get(cb)
    assert page.status == 200, page
    f = _Form()
    f.feed(page.text)
    assert f.fields == [("hidden", "text", "z" * 1120)]


def test_post_to_callback_never_kept(make_httpd, fake):
    h = make_httpd(protected_extra="AtlassianPreservePost On")
    b = h.browser()
    r = _post(b, url=H.CALLBACK + "?code=x&state=" + "A" * 43)
    assert r.status == 405, r
    assert not _cookie_has_post(b)
    assert not b.cookies


def test_keepalive_after_unread_body(httpd, fake):
    """A POST whose body the module does not read (401) leaves the
    connection usable for the next request."""
    h = httpd
    conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=10)
    try:
        big = ("text=" + "z" * 9000).encode()
        conn.request("POST", URL, body=big, headers={"Content-Type": FORM,
                                                     "Origin": h.base,
                                                     "Accept": H.BROWSER_ACCEPT})
        r = conn.getresponse()
        r.read()
        assert r.status == 401
        conn.request("POST", "/protected/post/echo.cgi", body=b"a=1",
                     headers={"Content-Type": FORM, "Origin": h.base,
                              "Accept": H.BROWSER_ACCEPT})
        r = conn.getresponse()
        r.read()
        assert r.status == 302
        conn.request("GET", "/public/ok.txt")
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"authorized\n"
    finally:
        conn.close()


def test_other_login_drops_it(httpd, fake):
    """The kept POST belongs to its own login: another login of the same
    browser that ends first drops it, and its own login then ends with the
    usual redirect."""
    h = httpd
    before = _post_count(h)
    b = h.browser()
    cb_post = _authorize(b, _post(b))
    q = b.start_login("/protected/cgi/printenv.cgi")
    cb_get = b.authorize(q["_location"])
    r = b.get(cb_get)
    assert r.status == 302 and b.local(r.location) == "/protected/cgi/printenv.cgi", r
    assert not _cookie_has_post(b)
    r = b.get(cb_post)
    assert r.status == 302 and b.local(r.location) == URL, r
    assert _post_count(h) == before


def test_logout_forgets_it(httpd, fake):
    b = httpd.browser()
    cb = _authorize(b, _post(b))
    assert _cookie_has_post(b)
    r = b.get(H.CALLBACK + "?logout=/public/ok.txt")
    assert r.status == 302, r
    assert not _cookie_has_post(b)
    assert b.get(cb).status == 400


# -- only a same-origin POST is kept ---------------------------------------------

CROSS_SITE = [
    ("sec-fetch-site cross-site", {"Sec-Fetch-Site": "cross-site"}),
    ("sec-fetch-site same-site", {"Sec-Fetch-Site": "same-site"}),
    ("sec-fetch-site none", {"Sec-Fetch-Site": "none"}),
    # Sec-Fetch-Site decides when present, whatever the Origin says.
    ("sec-fetch-site beats origin", {"Sec-Fetch-Site": "cross-site", "Origin": "SELF"}),
    ("origin of another site", {"Origin": "https://evil.example"}),
    ("origin null", {"Origin": "null"}),
    ("origin with another port", {"Origin": "http://127.0.0.1:1"}),
    ("origin with another scheme", {"Origin": "https://127.0.0.1:PORT"}),
    # Origin decides before Referer.
    ("origin beats referer", {"Origin": "https://evil.example", "Referer": "SELF/form"}),
    ("referer of another site", {"Referer": "https://evil.example/form.html"}),
    ("no evidence at all", {}),
]


def _headers(h, d):
    return {k: v.replace("SELF", h.base).replace("PORT", str(h.port)) for k, v in d.items()}


@pytest.mark.parametrize("name,headers", CROSS_SITE, ids=[c[0] for c in CROSS_SITE])
def test_cross_site_post_not_kept(httpd, fake, name, headers):
    """Another site's form (a SameSite=Lax cookie stays home) gets the 401
    of AtlassianPreservePost Off: no login starts, no Set-Cookie, nothing of
    the session changes."""
    h = httpd
    b = h.browser()
    b.login()  # the user's login, which the cross-site POST does not carry
    mark = h.log_mark()
    r = _post(b, origin=_headers(h, headers), cookies=False)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM, r.headers
    # No new session over the user's: the login goes on.
    assert r.header("Set-Cookie") is None, r.headers
    assert b.get("/protected/cgi/printenv.cgi").env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert re.search(r"\[auth_atlassian:info\].*ATL00620: a form POST that needs a login "
                     r"is not kept \(AtlassianPreservePost\): it is not a same-origin POST",
                     h.wait_log(r"ATL00620", mark))


def test_cross_site_post_leaves_the_session(httpd, fake):
    """A browser that sends its session cookie along (SameSite=None) keeps
    the session it had: a login on its way ends as it would have, and the
    cross-site POST is neither kept nor sent anywhere."""
    h = httpd
    before = _post_count(h)
    b = h.browser()
    q = b.start_login("/protected/cgi/printenv.cgi")
    jar = dict(b.cookies)
    r = _post(b, origin={"Origin": "https://evil.example"})
    assert r.status == 401, r
    assert r.header("Set-Cookie") is None, r.headers
    assert b.cookies == jar
    cb = b.authorize(q["_location"])
    b.finish_login(cb, "/protected/cgi/printenv.cgi")
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert _post_count(h) == before


SAME_ORIGIN = [
    ("sec-fetch-site same-origin", {"Sec-Fetch-Site": "same-origin", "Origin": "null"}),
    ("origin", {"Origin": "SELF"}),
    ("origin, host in capitals", {"Origin": "HTTP://127.0.0.1:PORT"}),
    ("referer", {"Referer": "SELF/public/form.html?x=1"}),
]


@pytest.mark.parametrize("name,headers", SAME_ORIGIN, ids=[c[0] for c in SAME_ORIGIN])
def test_same_origin_post_kept(httpd, fake, name, headers):
    h = httpd
    b = h.browser()
    cb = _authorize(b, _post(b, origin=_headers(h, headers)))
    assert _cookie_has_post(b)
    page = b.get(cb)
    assert page.status == 200, page
    f = _Form()
    f.feed(page.text)
    assert f.forms[0]["action"] == URL
    assert f.fields == [("hidden", k, v) for k, v in FIELDS], f.fields


def test_long_url_not_kept(httpd, fake):
    """A POST whose URL the pending login cannot hold (over 512 characters)
    would come back to "/", and its form be sent there: it is not kept."""
    h = httpd
    b = h.browser()
    mark = h.log_mark()
    _assert_401(b, _post(b, url="/protected/post/echo.cgi?pad=" + "p" * 600))
    assert re.search(r"ATL00451: .*its URL is longer than 512 characters",
                     h.wait_log(r"ATL00451: .*URL", mark))
    # Just short enough: kept, and sent again to its own URL.
    url = "/protected/post/echo.cgi?pad=" + "p" * (512 - len("/protected/post/echo.cgi?pad="))
    cb = _authorize(b, _post(b, url=url))
    page = b.get(cb)
    f = _Form()
    f.feed(page.text)
    assert f.forms[0]["action"] == url


UTF8_FIELDS = [("prénom", "été"), ("名前", "日本語 テキスト"), ("emoji", "\U0001F600"),
               ("mixed", "a&b=c+d é")]


def test_non_ascii_values_come_back_byte_for_byte(httpd, fake):
    h = httpd
    b = h.browser()
    body = urllib.parse.urlencode(UTF8_FIELDS)
    cb = _authorize(b, _post(b, body=body))
    page = b.get(cb)
    assert page.status == 200, page
    f = _Form()
    f.feed(page.text)
    assert f.fields == [("hidden", k, v) for k, v in UTF8_FIELDS], f.fields
    again = urllib.parse.urlencode([(n, v) for _, n, v in f.fields])
    done = _post(b, f.forms[0]["action"], again)
    assert done.status == 200, done
    assert _echo(done)["BODY"] == body


def test_non_utf8_values_not_kept(httpd, fake):
    """A value in another charset cannot pass through the UTF-8 page whole."""
    h = httpd
    b = h.browser()
    mark = h.log_mark()
    _assert_401(b, _post(b, body="name=%E9t%E9"))
    assert re.search(r"ATL00451: .*not well-formed form data in UTF-8",
                     h.wait_log(r"ATL00451: .*UTF-8", mark))


def test_origin_behind_a_tls_proxy(make_httpd, fake):
    """Behind a proxy that ends TLS, this site's origin is what
    "ServerName https://..." says, not the plain http of the last hop."""
    h = make_httpd(server_extra="ServerName https://app.example:443\nUseCanonicalName On",
                   protected_extra="AtlassianPreservePost On")
    b = h.browser()
    mark = h.log_mark()
    r = _post(b, url="/protected/cgi/echo.cgi", cookies=False,
              origin={"Origin": h.base})
    assert r.status == 401, r
    assert r.header("Set-Cookie") is None, r.headers
    h.wait_log(r"ATL00620", mark)
    r = _post(b, url="/protected/cgi/echo.cgi", origin={"Origin": "https://app.example"})
    assert r.status == 302, r
    assert _cookie_has_post(b)
