"""401 and 403: requests that cannot follow a login redirect, Require
combinations, refused logged-in users (also with ErrorDocument 401),
AtlassianUnauthAction pass, Require atlassian-site nested and in .htaccess."""


import pytest

import atlharness as H

import advhelpers
from advhelpers import CGI, atl_like, backend_headers, pending

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# 401 paths


@pytest.mark.parametrize("method,headers,accept,body", [
    ("GET", {"X-Requested-With": "XMLHttpRequest"}, None, None),
    ("GET", {"X-Requested-With": "xmlhttprequest"}, H.BROWSER_ACCEPT, None),
    ("GET", {}, "application/json", None),
    ("GET", {}, "*/*", None),
    ("GET", {}, "image/png,image/*", None),
    ("HEAD", {}, "application/json", None),
    ("POST", {}, H.BROWSER_ACCEPT, b"x=1"),
    ("POST", {"Content-Type": "application/json"}, "application/json", b"{}"),
    ("PUT", {}, H.BROWSER_ACCEPT, b"x"),
    ("DELETE", {}, H.BROWSER_ACCEPT, None),
    ("PATCH", {}, H.BROWSER_ACCEPT, b"x"),
    ("OPTIONS", {}, H.BROWSER_ACCEPT, None),
])
def test_401_variants(httpd, fake, method, headers, accept, body):
    b = httpd.browser()
    r = b.request(method, "/protected/app/x", headers=headers, accept=accept, body=body)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
    assert r.location is None
    assert "no-store" in (r.header("Cache-Control") or "")
    assert fake.requests("/authorize") == []


def test_accept_missing_is_a_browser_or_401(httpd, fake):
    b = httpd.browser()
    r = b.get(CGI, accept=None)
    # Only an Accept header *without* text/html marks a client that cannot
    # follow a login redirect; no Accept header at all accepts anything, so
    # a GET without one is a browser's: the login redirect.
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?"), r.location
    assert r.header("WWW-Authenticate") is None, r.headers


# ---------------------------------------------------------------------------
# Authorization


@pytest.fixture
def mia(httpd, fake):
    b = httpd.browser()
    b.login()
    return b


@pytest.mark.parametrize("path,status", [
    ("/protected/authz/rv-any-user-email/ok.txt", 200),
    ("/protected/authz/rv-all-user-acct/ok.txt", 200),
    ("/protected/authz/rv-all-no/ok.txt", 403),
    ("/protected/authz/rv-any-no/ok.txt", 403),
    ("/protected/authz/rv-pass-email/ok.txt", 200),
    ("/protected/authz/user-no/ok.txt", 403),
    ("/protected/authz/all-no/ok.txt", 403),
])
def test_require_combinations(mia, fake, path, status):
    r = mia.get(path)
    assert r.status == status, (path, r)
    if status == 403:
        assert r.location is None
        assert r.header("WWW-Authenticate") is None, r.headers
        assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert fake.requests("/authorize") and len(fake.requests("/authorize")) == 1


@pytest.mark.parametrize("path", ["/protected/authz/rv-all-no/ok.txt", "/protected/authz/user-no/ok.txt",
                                  "/protected/authz/email-no/ok.txt"])
def test_refused_logged_in_user_head_and_api(mia, fake, path):
    r = mia.request("HEAD", path)
    assert r.status == 403, ("HEAD", r)
    assert r.header("WWW-Authenticate") is None
    r = mia.get(path, headers={"X-Requested-With": "XMLHttpRequest"}, accept="application/json")
    assert r.status == 403, ("XHR", r)
    r = mia.post(path, body=b"x=1")
    assert r.status == 403, ("POST", r)
    assert r.header("WWW-Authenticate") is None


def test_pass_with_require_email_anonymous_gets_401(httpd, fake):
    b = httpd.browser()
    r = b.get("/protected/authz/rv-pass-email/ok.txt")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM


def test_unauth_pass_anonymous_and_logged_in_backend(httpd, fake):
    b = httpd.browser()
    r = b.get("/protected/app-pass/x")
    assert r.status == 200
    assert [k for k, v in backend_headers(r) if atl_like(k)] == []
    b.login()
    r = b.get("/protected/app-pass/x")
    d = dict((k.lower(), v) for k, v in backend_headers(r))
    assert d.get("x-atlassian-account-id") == H.DEFAULT_ACCOUNT_ID


def test_tls_hostname_is_verified(make_httpd, fake):
    """The stand-in's "wrong_host" listener on 127.0.0.1 shows a certificate
    of the test CA for another host name: verification includes the host
    name, so the token call fails (502) and never reaches the token
    endpoint."""
    h = make_httpd(urls={"token": fake.urls("wrong_host")["token"]})
    b, q, cb = pending(h)
    r = b.get(cb)
    assert r.status == 502, r
    assert fake.requests("/oauth/token") == []


def test_require_site_nested_and_in_htaccess(make_httpd, fake):
    """Require atlassian-site implies fetching the sites at login, also when
    it sits inside <RequireAll>/<RequireAny> or in an .htaccess file."""
    import os
    h = make_httpd(start=False)
    ht = os.path.join(h.dir, "htdocs", "ht")
    os.makedirs(ht)
    os.chmod(ht, 0o755)
    for name, text in (("ok.txt", "ht ok\n"),
                       (".htaccess", "AuthType Atlassian\nAuthName Test\n"
                                     "AtlassianRemoteUser email\n"
                                     "Require atlassian-site acme\n")):
        with open(os.path.join(ht, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(ht, name), 0o644)
    h.rewrite_config(tail_extra="""
<Location /protected/nested-all>
    <RequireAll>
        Require valid-user
        Require atlassian-site acme
    </RequireAll>
</Location>
<Location /protected/nested-any>
    <RequireAny>
        Require atlassian-email nobody@nowhere.org
        Require atlassian-site 1324a887-45db-1bf4-1e99-ef0ff456d421
    </RequireAny>
</Location>
AliasMatch "^/protected/nested-[a-z]+/ok\\.txt$" "%s/htdocs/files/ok.txt"
<Directory "%s">
    AllowOverride AuthConfig
    Session On
    SessionCookieName atlassian_session path=/;HttpOnly
</Directory>
""" % (h.dir, ht))
    h.start()
    for path in ("/protected/nested-all/ok.txt", "/protected/nested-any/ok.txt", "/ht/ok.txt"):
        b = h.browser()
        q = b.start_login(path)
        b.finish_login(b.authorize(q["_location"]), path)
        r = b.get(path)
        assert r.status == 200, (path, r)
    assert len(fake.requests("/oauth/token/accessible-resources")) == 3


@pytest.mark.parametrize("errdoc", ["/public/index.html", '"custom refusal text"'])
def test_refused_user_with_error_document_gets_403(make_httpd, fake, errdoc):
    """ErrorDocument 401 is common; a refused logged-in user still gets a
    403 and no WWW-Authenticate, never a 401 or a login."""
    h = make_httpd(tail_extra="""
<Location /protected/authz/errdoc>
    Require user nobody
    ErrorDocument 401 %s
</Location>
""" % errdoc)
    b = h.browser()
    b.login()
    r = b.get("/protected/authz/errdoc/ok.txt")
    assert r.status == 403, r
    assert r.header("WWW-Authenticate") is None, r.headers
    assert r.location is None
