# SPDX-License-Identifier: Apache-2.0
"""Require atlassian-email, atlassian-account-id, atlassian-site, user, and
their combinations: allowed users get the page, refused logged-in users get
403 (never a new login)."""

import pytest

import atlharness as H
import sharedkit
from sharedkit import CGI, atl_like, backend_headers, pending

# The httpd fixture reads this: sharedkit's locations, a short AtlassianTimeout
# and allowed logout targets.
HTTPD_OPTIONS = sharedkit.HTTPD_OPTIONS

# mod_authz_core logs every refusal at error level (AH01631).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:")


def ok(b, name):
    return b.get("/protected/authz/%s/ok.txt" % name)


def assert_granted(r):
    assert r.status == 200, r
    assert r.text == "authorized\n"


def assert_refused(b, r):
    assert r.status == 403, r
    assert r.location is None
    assert r.header("WWW-Authenticate") is None
    assert "authorized" not in r.text
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers


@pytest.fixture
def mia(httpd, fake):
    b = httpd.browser()
    b.login()
    return b


@pytest.mark.parametrize("name", ["email-wild", "email-exact", "email-qmark", "acct-yes",
                                  "user-yes", "any-yes"])
def test_granted(mia, fake, name):
    assert_granted(ok(mia, name))
    assert len(fake.requests("/authorize")) == 1


@pytest.mark.parametrize("name", ["email-no", "acct-no", "user-no", "all-no"])
def test_refused_logged_in_user_gets_403(mia, fake, name):
    assert_refused(mia, ok(mia, name))
    # No new login was started.
    assert len(fake.requests("/authorize")) == 1


def test_refused_before_login_means_login(httpd, fake):
    # Not logged in: the location asks for a login first.
    b = httpd.browser()
    r = ok(b, "email-no")
    assert r.status == 302
    assert r.location.startswith(fake.urls()["authorize"] + "?")


def test_login_started_at_refused_location(httpd, fake):
    b = httpd.browser()
    q = b.start_login("/protected/authz/acct-no/ok.txt")
    cb = b.authorize(q["_location"])
    b.finish_login(cb, "/protected/authz/acct-no/ok.txt")
    assert_refused(b, ok(b, "acct-no"))
    assert_granted(ok(b, "acct-yes"))


@pytest.mark.parametrize("email,granted", [
    ("MIA@EXAMPLE.COM", True),
    ("mia@example.com@example.com", False),       # two @: not one address
    ("mia@evil.com", False),
    ("mia@example.com.evil.com", False),
    ("mallory\x00@example.com", False),        # NUL: not one address
    ("mallory@evil.com\x00@example.com", False),
    ("mallory @example.com", False),
])
def test_email_matching(httpd, fake, email, granted):
    fake.set_profile({"account_id": "acct-email", "account_status": "active", "email": email})
    b = httpd.browser()
    q = b.start_login("/protected/cgi/printenv.cgi")
    r = b.get(b.authorize(q["_location"]))
    # A malformed email does not refuse the login; it only never matches.
    assert r.status == 302, r
    r = ok(b, "email-wild")
    if granted:
        assert_granted(r)
    else:
        assert_refused(b, r)


def test_email_missing_never_matches(httpd, fake):
    fake.set_profile({"account_id": "acct-noemail", "account_status": "active"})
    b = httpd.browser()
    b.login()
    assert_refused(b, ok(b, "email-wild"))
    assert b.get("/protected/cgi/printenv.cgi").status == 200


@pytest.mark.parametrize("name", ["site-name", "site-host", "site-id",
                                  "fsite-name", "fsite-host", "fsite-id"])
def test_site_granted(httpd, fake, name):
    """site-*: Require atlassian-site alone (it implies AtlassianFetchSites);
    fsite-*: the same with AtlassianFetchSites On."""
    b = httpd.browser()
    path = "/protected/authz/%s/ok.txt" % name
    q = b.start_login(path)
    cb = b.authorize(q["_location"])
    b.finish_login(cb, path)
    # The location asked for sites: they were fetched with the token.
    res = fake.requests("/oauth/token/accessible-resources")
    assert len(res) == 1
    auth = dict((k.lower(), v) for k, v in res[0]["headers"])["authorization"]
    assert auth == "Bearer " + fake.tokens_issued[-1]
    assert_granted(ok(b, name))
    assert_refused(b, ok(b, "site-no"))
    assert_refused(b, ok(b, "fsite-no"))
    info = b.get(H.CALLBACK + "?info=json").json()
    assert sorted(info["sites"]) == ["acme.atlassian.net", "globex.atlassian.net"]
    assert "1324a887-45db-1bf4-1e99-ef0ff456d421" in info["site_ids"]


def test_site_refused_after_login_with_sites(httpd, fake):
    b = httpd.browser()
    path = "/protected/authz/site-no/ok.txt"
    q = b.start_login(path)
    b.finish_login(b.authorize(q["_location"]), path)
    assert len(fake.requests("/oauth/token/accessible-resources")) == 1
    assert_refused(b, ok(b, "site-no"))
    assert len(fake.requests("/authorize")) == 1


def test_site_without_fetched_sites_is_403_not_loop(mia, fake):
    # The login started where no sites were needed: refused, no new login.
    assert_refused(mia, ok(mia, "site-name"))
    assert len(fake.requests("/authorize")) == 1


def test_site_from_custom_sites_list(httpd, fake):
    fake.set_sites([{"id": "cafe0000-0000-0000-0000-000000000001", "name": "initech",
                     "url": "https://initech.atlassian.net", "scopes": []}])
    b = httpd.browser()
    path = "/protected/authz/site-no/ok.txt"
    q = b.start_login(path)
    b.finish_login(b.authorize(q["_location"]), path)
    assert_granted(ok(b, "site-no"))
    assert_refused(b, ok(b, "site-name"))


# An answer that is not a JSON list is a malformed answer from Atlassian
# (502); a list is a login, whose unusable entries are no site (refused by
# the site rule).
ODD_RESOURCES = {"not json": 502, '{"id": "x"}': 502,
                 '[{"id": 5, "url": "https://acme.atlassian.net"}]': 302, "[]": 302}


@pytest.mark.parametrize("sites", list(ODD_RESOURCES))
def test_site_odd_resources(httpd, fake, sites):
    fake.set_sites(sites)
    b = httpd.browser()
    path = "/protected/authz/site-name/ok.txt"
    q = b.start_login(path)
    r = b.get(b.authorize(q["_location"]))
    assert r.status == ODD_RESOURCES[sites], r
    if r.status == 302:
        assert_refused(b, ok(b, "site-name"))
    else:
        assert r.location is None


def test_sites_variables(httpd, fake):
    b = httpd.browser()
    env = b.login("/protected/cgi-sites/printenv.cgi").env()
    assert env["ATLASSIAN_SITES"] == "acme.atlassian.net,globex.atlassian.net"
    assert env["ATLASSIAN_SITE_IDS"] == ("1324a887-45db-1bf4-1e99-ef0ff456d421,"
                                         "8f2c6a31-0b7e-4c5d-9a21-3e4f5a6b7c8d")


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


# mod_authz_core logs the anonymous refusal (AH01629).
@pytest.mark.allow_log_errors(r"AH01629:")
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
