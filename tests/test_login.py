# SPDX-License-Identifier: Apache-2.0
"""The login flow and what applications receive (CGI variables, backend
headers), spoofed X-Atlassian-* headers in any spelling (CGI, proxied, SSI
subrequests) that never reach them, the 401 answers, AtlassianUnauthAction,
?info=json, logout."""

import os
import re
import time
import urllib.parse

import pytest

import atlharness as H
from sharedkit import atl_like

ACCOUNT_ID = H.DEFAULT_ACCOUNT_ID
CGI = "/protected/cgi/printenv.cgi"

EXPECTED_VARS = {
    "ATLASSIAN_ACCOUNT_ID": ACCOUNT_ID,
    "ATLASSIAN_EMAIL": "mia@example.com",
    "ATLASSIAN_NAME": "Mia Krystof",
    "ATLASSIAN_NICKNAME": "mkrystof",
    "ATLASSIAN_PICTURE": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/112233aa/1234abcd",
    "ATLASSIAN_ACCOUNT_TYPE": "atlassian",
    "ATLASSIAN_ACCOUNT_STATUS": "active",
    "ATLASSIAN_LOCALE": "en-US",
    "ATLASSIAN_ZONEINFO": "Australia/Sydney",
    "ATLASSIAN_JOB_TITLE": "Designer",
    "ATLASSIAN_DEPARTMENT": "Design team",
    "ATLASSIAN_ORGANIZATION": "mia@example.com",
    "ATLASSIAN_LOCATION": "Sydney",
}


def var_to_header(name):
    return "X-" + "-".join(p.capitalize() for p in name.split("_"))


def backend_headers(resp):
    """Headers the proxied backend received: list of (name, value)."""
    assert resp.status == 200, resp
    return [tuple(h) for h in resp.json()["headers"]]


def atl_headers(headers):
    return [(k, v) for k, v in headers if k.lower().replace("_", "-").startswith("x-atlassian-")]


# -- the login itself ---------------------------------------------------------


def test_full_login_step_by_step(browser, fake, httpd):
    path = CGI + "?x=1&y=two%20words"
    q = browser.start_login(path)
    first = q["_response"]
    assert first.header("Set-Cookie"), "the pending login must be stored in the session cookie"
    cookie_before = browser.cookies.get(H.COOKIE)
    assert cookie_before
    cb = browser.authorize(q["_location"])
    cq = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)
    assert cq["state"] == [q["state"]]
    r = browser.finish_login(cb, path)
    # No session fixation: the login writes a new session value.
    assert browser.cookies.get(H.COOKIE) and browser.cookies[H.COOKIE] != cookie_before
    page = browser.get(path)
    assert page.status == 200, page
    env = page.env()
    assert env["AUTH_TYPE"] == "Atlassian"
    assert env["REMOTE_USER"] == ACCOUNT_ID
    assert env["QUERY_STRING"] == "x=1&y=two%20words"

    # What the module sent to Atlassian.
    tok = fake.requests("/oauth/token")
    assert len(tok) == 1
    t = tok[0]
    ctype = dict((k.lower(), v) for k, v in t["headers"])["content-type"]
    assert ctype.split(";")[0].strip() == "application/json"
    import json
    body = json.loads(t["body"])
    assert body == {"grant_type": "authorization_code", "client_id": H.CLIENT_ID,
                    "client_secret": H.CLIENT_SECRET, "code": cq["code"][0],
                    "redirect_uri": httpd.redirect_uri}
    me = fake.requests("/me")
    assert len(me) == 1
    auth = dict((k.lower(), v) for k, v in me[0]["headers"])["authorization"]
    assert auth == "Bearer " + fake.tokens_issued[-1]
    # Sites are not fetched unless a location asks for them.
    assert fake.requests("/oauth/token/accessible-resources") == []


def test_second_request_needs_no_new_login(browser, fake):
    browser.login()
    for _ in range(3):
        r = browser.get(CGI)
        assert r.status == 200
    assert len(fake.requests("/authorize")) == 1


def test_authorize_url_keeps_configured_params(browser, fake):
    q = browser.start_login("/protected/cgi/printenv.cgi")
    assert set(k for k in q if not k.startswith("_")) == {
        "audience", "client_id", "scope", "redirect_uri", "state", "response_type", "prompt"}


def test_each_login_gets_its_own_state(httpd, fake):
    states = {httpd.browser().start_login(CGI)["state"] for _ in range(3)}
    assert len(states) == 3


def test_head_request_redirects_too(browser, fake):
    r = browser.request("HEAD", CGI)
    assert r.status == 302
    assert r.location.startswith(fake.urls()["authorize"] + "?")


def test_return_url_of_root_relative_query(browser, fake):
    path = "/protected/cgi/printenv.cgi?a=%2F%2Fevil.com&b=%3Cx%3E"
    browser.login(path)


# -- what CGI and backends receive -------------------------------------------


def test_cgi_variables(browser, fake):
    t0 = int(time.time())
    r = browser.login()
    env = r.env()
    for k, v in EXPECTED_VARS.items():
        assert env.get(k) == v, (k, env.get(k))
    assert abs(int(env["ATLASSIAN_LOGIN_TIME"]) - t0) <= 5
    assert env["AUTH_TYPE"] == "Atlassian"
    assert env["REMOTE_USER"] == ACCOUNT_ID
    # Absent in the profile, or not asked for: no variable.
    for k in ("ATLASSIAN_EMAIL_VERIFIED", "ATLASSIAN_SITES", "ATLASSIAN_SITE_IDS",
              "ATLASSIAN_ACCESS_TOKEN"):
        assert k not in env, k
    # "both" (the default): the headers reach CGI too, as HTTP_X_ATLASSIAN_*.
    assert env.get("HTTP_X_ATLASSIAN_ACCOUNT_ID") == ACCOUNT_ID
    assert env.get("HTTP_X_ATLASSIAN_EMAIL") == "mia@example.com"
    # The session never leaks the login in clear.
    for k, v in env.items():
        if k.startswith("HTTP_COOKIE"):
            # Needles long enough never to turn up in random base64url.
            for clear in ("mia@example.com", "Mia Krystof", "mkrystof", ACCOUNT_ID):
                assert clear not in v, clear


def test_email_verified_and_missing_fields(browser, fake):
    fake.set_profile({"account_id": "557057:4f9a1b2c", "account_status": "active",
                      "email": "leo@example.org", "email_verified": True,
                      "name": "Leo", "account_type": "atlassian"})
    env = browser.login().env()
    assert env["ATLASSIAN_ACCOUNT_ID"] == "557057:4f9a1b2c"
    assert env["REMOTE_USER"] == "557057:4f9a1b2c"
    assert env["ATLASSIAN_EMAIL_VERIFIED"] == "true"
    for k in ("ATLASSIAN_NICKNAME", "ATLASSIAN_PICTURE", "ATLASSIAN_LOCALE",
              "ATLASSIAN_ZONEINFO", "ATLASSIAN_JOB_TITLE", "ATLASSIAN_DEPARTMENT",
              "ATLASSIAN_ORGANIZATION", "ATLASSIAN_LOCATION"):
        assert k not in env, k


def test_control_characters_never_reach_values(browser, fake):
    fake.set_profile({"account_id": "acc-ctl-1", "account_status": "active",
                      "email": "ctl@example.com", "name": "Evil\r\nX-Injected: 1\x01Name",
                      "nickname": "tab\there"})
    r = browser.login("/protected/app/ctl")
    got = dict((k.lower(), v) for k, v in backend_headers(r))
    assert "x-injected" not in got
    name = got.get("x-atlassian-name")
    assert name is not None and not re.search(r"[\x00-\x1f\x7f]", name), name
    env = browser.get(CGI).env()
    assert "\r" not in env.get("ATLASSIAN_NAME", "") and "\x01" not in env.get("ATLASSIAN_NAME", "")


def test_remote_user_email(browser, fake):
    env = browser.login("/protected/cgi-email/printenv.cgi").env()
    assert env["REMOTE_USER"] == "mia@example.com"
    assert env["ATLASSIAN_ACCOUNT_ID"] == ACCOUNT_ID
    # The same login seen from a location with the default.
    assert browser.get(CGI).env()["REMOTE_USER"] == ACCOUNT_ID
    assert browser.get("/protected/cgi-nick/printenv.cgi").env()["REMOTE_USER"] == "mkrystof"


def test_backend_receives_identity_headers(browser, fake):
    r = browser.login("/protected/app/page?q=1")
    got = atl_headers(backend_headers(r))
    names = [k.lower() for k, _ in got]
    assert len(names) == len(set(names)), got
    d = dict((k.lower(), v) for k, v in got)
    for var, value in EXPECTED_VARS.items():
        assert d.get(var_to_header(var).lower()) == value, var
    assert "x-atlassian-login-time" in d
    assert "x-atlassian-access-token" not in d
    assert r.json()["path"] == "/app/page?q=1"


def test_pass_identity_as_env_headers_none(browser, fake):
    browser.login()
    # env: CGI variables only, no headers to a backend.
    r = browser.get("/protected/app-env/x")
    assert atl_headers(backend_headers(r)) == []
    # none: no headers to a backend either.
    r = browser.get("/protected/app-none/x")
    assert atl_headers(backend_headers(r)) == []
    # headers: CGI sees HTTP_X_ATLASSIAN_*, no ATLASSIAN_*.
    env = browser.get("/protected/cgi-headers/printenv.cgi").env()
    assert env.get("HTTP_X_ATLASSIAN_EMAIL") == "mia@example.com"
    assert env.get("HTTP_X_ATLASSIAN_ACCOUNT_ID") == ACCOUNT_ID
    assert not [k for k in env if k.startswith("ATLASSIAN_")], env
    assert env["REMOTE_USER"] == ACCOUNT_ID
    # none: neither, but REMOTE_USER stays.
    env = browser.get("/protected/cgi-none/printenv.cgi").env()
    assert not [k for k in env if "ATLASSIAN" in k], env
    assert env["REMOTE_USER"] == ACCOUNT_ID
    assert env["AUTH_TYPE"] == "Atlassian"


SPOOF = [("X-Atlassian-Email", "evil1@evil.com"),
         ("x-atlassian-email", "evil2@evil.com"),
         ("X_Atlassian_Email", "evil3@evil.com"),
         ("X-ATLASSIAN-ACCOUNT-ID", "evil-account"),
         ("X_ATLASSIAN_ACCOUNT_ID", "evil-account-2"),
         ("x-atlassian-access-token", "evil-token"),
         ("X-Atlassian-Something-Else", "evil-other")]


def _assert_no_spoof(headers):
    for k, v in headers:
        assert "evil" not in v, (k, v)


@pytest.mark.parametrize("logged_in", [False, True])
def test_spoofed_headers_removed_backend(httpd, fake, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
        path = "/protected/app/spoof"
    else:
        path = "/protected/app-pass/spoof"
    r = b.get(path, headers=SPOOF)
    got = backend_headers(r)
    _assert_no_spoof(got)
    d = [(k.lower(), v) for k, v in atl_headers(got)]
    if logged_in:
        assert [v for k, v in d if k == "x-atlassian-email"] == ["mia@example.com"]
        assert [v for k, v in d if k == "x-atlassian-account-id"] == [ACCOUNT_ID]
    else:
        assert d == []


@pytest.mark.parametrize("logged_in", [False, True])
def test_spoofed_headers_removed_cgi(httpd, fake, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
        path = CGI
    else:
        path = "/protected/cgi-pass/printenv.cgi"
    r = b.get(path, headers=SPOOF)
    assert r.status == 200, r
    env = r.env()
    for k, v in env.items():
        assert "evil" not in v, (k, v)
    if logged_in:
        assert env["ATLASSIAN_EMAIL"] == "mia@example.com"
        assert env["HTTP_X_ATLASSIAN_EMAIL"] == "mia@example.com"
    else:
        assert not [k for k in env if "ATLASSIAN" in k], env


def test_spoofed_headers_on_redirect_to_login(httpd, fake):
    # Not logged in, location that forces a login: redirect, nothing runs.
    b = httpd.browser()
    r = b.get("/protected/app/x", headers=SPOOF)
    assert r.status == 302


# -- spoofed identity in any spelling, on CGI, proxied and SSI locations --------


SPOOF_ODD = [
    ("X-ATLASSIAN-EMAIL", "evil1@evil.com"),
    ("x_atlassian_account_id", "evil-acct-1"),
    ("X_ATLASSIAN_EMAIL", "evil2@evil.com"),
    ("X-Atlassian_Email", "evil3@evil.com"),
    ("X_Atlassian-Name", "evil-name"),
    ("X-Atlassian-Email", "evil4@evil.com"),
    ("X-Atlassian-Email", "evil5@evil.com"),          # duplicated
    ("X-Atlassian-Email-Verified", "evil-true"),
    ("X-Atlassian-Sites", "evil.atlassian.net"),
    ("X-Atlassian-Site-Ids", "evil-site-id"),
    ("X-Atlassian-Access-Token", "evil-token"),
    ("X-Atlassian-Login-Time", "1-evil"),
    ("X-Atlassian-Job-Title", "evil-job"),
    ("X-Atlassian-", "evil-empty-suffix"),
    ("X-Atlassian-Nickname", ""),
    ("X-Atlassian-Zoneinfo", "evil-zone"),
    ("ATLASSIAN_EMAIL", "evil-bare@evil.com"),
    ("Atlassian-Email", "evil-bare2@evil.com"),
]


def _no_evil_env(env):
    for k, v in env.items():
        if k.startswith("ATLASSIAN_") or k.startswith("HTTP_X_ATLASSIAN") \
                or k in ("REMOTE_USER", "AUTH_TYPE"):
            assert "evil" not in v, (k, v)
    # A header can never become one of the module's own variables.
    assert "ATLASSIAN_EMAIL" not in env or "evil" not in env["ATLASSIAN_EMAIL"]


@pytest.mark.parametrize("path,logged_in", [
    ("/protected/cgi/printenv.cgi", True),
    ("/protected/cgi-none/printenv.cgi", True),
    ("/protected/cgi-headers/printenv.cgi", True),
    ("/protected/cgi-pass/printenv.cgi", False),
    ("/protected/cgi-pass/printenv.cgi", True),
    ("/protected/cgi-email/printenv.cgi", True),
])
def test_spoof_odd_spellings_cgi(httpd, fake, path, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
    r = b.get(path, headers=SPOOF_ODD)
    assert r.status == 200, r
    env = r.env()
    _no_evil_env(env)
    for k, v in env.items():
        if k.startswith("HTTP_X_ATLASSIAN"):
            assert "evil" not in v, (k, v)
    if not logged_in:
        assert not [k for k in env if k.startswith("ATLASSIAN_")
                    or k.startswith("HTTP_X_ATLASSIAN")], env


@pytest.mark.parametrize("path,logged_in", [
    ("/protected/app/spoof", True),
    ("/protected/app-env/spoof", True),
    ("/protected/app-none/spoof", True),
    ("/protected/app-pass/spoof", False),
    ("/protected/app-pass/spoof", True),
])
def test_spoof_odd_spellings_backend(httpd, fake, path, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
    r = b.get(path, headers=SPOOF_ODD)
    got = backend_headers(r)
    for k, v in got:
        if atl_like(k):
            assert "evil" not in v, (k, v)
    # Exactly one value per identity header, the module's own.
    names = [k.lower() for k, v in got if atl_like(k)]
    assert len(names) == len(set(names)), names
    if "app-env" in path or "app-none" in path or not logged_in:
        assert [k for k, v in got if atl_like(k)] == [], got


def test_spoof_via_ssi_subrequests(make_httpd, fake):
    """Two SSI includes of protected locations from an unprotected page:
    each subrequest is a request in a location with AuthType Atlassian, so
    the client's X-Atlassian-* headers must never reach either."""
    h = make_httpd(start=False)
    page = "<!--#include virtual=\"/protected/cgi/printenv.cgi\" -->\n" \
           "==SPLIT==\n" \
           "<!--#include virtual=\"/protected/cgi-none/printenv.cgi\" -->\n" \
           "==SPLIT==\n" \
           "<!--#include virtual=\"/protected/cgi/printenv.cgi\" -->\n"
    p = os.path.join(h.dir, "htdocs", "files", "page.shtml")
    with open(p, "w") as f:
        f.write(page)
    os.chmod(p, 0o644)
    h.rewrite_config(server_extra='LoadModule include_module "%s/mod_include.so"\n'
                     % H.MODULES_DIR,
                     tail_extra='<Location /public>\n    Options +Includes\n'
                                '    SetOutputFilter INCLUDES\n</Location>\n')
    h.start()
    b = h.browser()
    b.login()
    r = b.get("/public/page.shtml", headers=[("X-Atlassian-Email", "evil@evil.com"),
                                              ("X-Atlassian-Other", "evil-other"),
                                              ("X-Atlassian-Access-Token", "evil-token")])
    assert r.status == 200, r
    parts = r.text.split("==SPLIT==")
    assert len(parts) == 3, r.text[:2000]
    for i, part in enumerate(parts):
        assert "REMOTE_USER=" + H.DEFAULT_ACCOUNT_ID in part, (i, part[:1500])
        for line in part.splitlines():
            if "ATLASSIAN" in line:
                assert "evil" not in line, (i, line)


# -- requests that cannot follow a redirect ---------------------------------


@pytest.mark.parametrize("method,headers,accept", [
    ("GET", {"X-Requested-With": "XMLHttpRequest"}, H.BROWSER_ACCEPT),
    ("GET", {}, "application/json"),
    ("POST", {"Content-Type": "application/x-www-form-urlencoded"}, H.BROWSER_ACCEPT),
    ("PUT", {}, H.BROWSER_ACCEPT),
    ("DELETE", {}, H.BROWSER_ACCEPT),
])
def test_401_for_non_browser_requests(httpd, fake, method, headers, accept):
    b = httpd.browser()
    r = b.request(method, CGI, headers=headers, accept=accept,
                  body=b"a=1" if method in ("POST", "PUT") else None)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
    assert r.location is None
    assert fake.requests("/authorize") == []


def test_unauth_action_401(httpd, fake):
    b = httpd.browser()
    r = b.get("/protected/api401/printenv.cgi")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
    assert r.location is None
    b.login()
    r = b.get("/protected/api401/printenv.cgi")
    assert r.status == 200
    assert r.env()["REMOTE_USER"] == ACCOUNT_ID


def test_unauth_action_pass(httpd, fake):
    b = httpd.browser()
    r = b.get("/protected/cgi-pass/printenv.cgi")
    assert r.status == 200, r
    env = r.env()
    assert env.get("REMOTE_USER", "") == ""
    assert not [k for k in env if k.startswith("ATLASSIAN_")], env
    b.login()
    env = b.get("/protected/cgi-pass/printenv.cgi").env()
    assert env["REMOTE_USER"] == ACCOUNT_ID
    assert env["ATLASSIAN_EMAIL"] == "mia@example.com"


# -- ?info=json, the access token ------------------------------------------------


def test_info_json(browser, fake):
    r = browser.get(H.CALLBACK + "?info=json")
    assert r.status == 401, r
    assert r.location is None
    assert "no-store" in (r.header("Cache-Control") or "")
    browser.login()
    r = browser.get(H.CALLBACK + "?info=json")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json")
    assert "no-store" in (r.header("Cache-Control") or "")
    info = r.json()
    assert info["account_id"] == ACCOUNT_ID
    assert info["email"] == "mia@example.com"
    assert info["name"] == "Mia Krystof"
    assert "access_token" not in info
    assert "refresh_token" not in info
    for t in fake.tokens_issued:
        assert t not in r.text


def test_access_token_only_when_login_started_there(browser, fake):
    browser.login()
    env = browser.get("/protected/cgi-token/printenv.cgi").env()
    assert "ATLASSIAN_ACCESS_TOKEN" not in env
    b2 = browser.httpd.browser()
    env = b2.login("/protected/cgi-token/printenv.cgi").env()
    assert env["ATLASSIAN_ACCESS_TOKEN"] == fake.tokens_issued[-1]
    assert env["HTTP_X_ATLASSIAN_ACCESS_TOKEN"] == fake.tokens_issued[-1]
    # Not passed where AtlassianPassAccessToken is Off.
    env = b2.get(CGI).env()
    assert "ATLASSIAN_ACCESS_TOKEN" not in env
    assert "HTTP_X_ATLASSIAN_ACCESS_TOKEN" not in env


def test_pass_access_token_everywhere(make_httpd, fake):
    h = make_httpd(protected_extra="AtlassianPassAccessToken On")
    b = h.browser()
    env = b.login().env()
    token = fake.tokens_issued[-1]
    assert env["ATLASSIAN_ACCESS_TOKEN"] == token
    info = b.get(H.CALLBACK + "?info=json").json()
    assert info["access_token"] == token
    r = b.get("/protected/app/t")
    d = dict((k.lower(), v) for k, v in backend_headers(r))
    assert d["x-atlassian-access-token"] == token


# -- logout ---------------------------------------------------------------------


def test_logout_to_local_path(browser, fake, httpd):
    browser.login()
    r = browser.get(H.CALLBACK + "?logout=%2Fpublic%2Fok.txt%3Fbye%3D1")
    assert r.status == 302, r
    assert browser.local(r.location) == "/public/ok.txt?bye=1"
    assert "no-store" in (r.header("Cache-Control") or "")
    r = browser.get(CGI)
    assert r.status == 302
    assert r.location.startswith(fake.urls()["authorize"] + "?")
    assert browser.get(H.CALLBACK + "?info=json").status == 401


def test_logout_to_allowed_prefix(make_httpd, fake):
    h = make_httpd(server_extra="AtlassianLogoutRedirectAllowed https://app.example.com/ "
                                "https://intranet.example.org")
    b = h.browser()
    b.login()
    r = b.get(H.CALLBACK + "?logout=" + urllib.parse.quote("https://app.example.com/bye?x=1", safe=""))
    assert r.status == 302, r
    assert r.location == "https://app.example.com/bye?x=1"
    assert b.get(CGI).status == 302
    b.login()
    r = b.get(H.CALLBACK + "?logout=" + urllib.parse.quote("https://intranet.example.org/x", safe=""))
    assert r.status == 302, r
    assert r.location == "https://intranet.example.org/x"
    for bad in ("https://intranet.example.org.evil.com/", "https://app.example.com.evil/",
                "https://evil.com/https://app.example.com/", "http://app.example.com/",
                "https://app.example.com\\@evil.com/"):
        r = b.get(H.CALLBACK + "?logout=" + urllib.parse.quote(bad, safe=""))
        assert r.status == 400, (bad, r)


# -- pending logins, fixation, cookie size ------------------------------------


def test_many_tabs(httpd, fake):
    b = httpd.browser()
    tabs = []
    for i in range(10):
        path = "/protected/cgi/printenv.cgi?tab=%d" % i
        q = b.start_login(path)
        for v in q["_response"].header_all("Set-Cookie"):
            assert len(v) < 4096, len(v)
        cb = b.authorize(q["_location"])
        tabs.append((path, cb))
    assert len(b.cookie_header()) < 4096
    # The most recent tabs complete, each to its own page.
    for path, cb in reversed(tabs[-3:]):
        r = b.get(cb)
        assert r.status == 302, (path, r)
        assert b.local(r.location) == path
        for v in r.header_all("Set-Cookie"):
            assert len(v) < 4096, len(v)
        assert b.get(path).env()["QUERY_STRING"] == path.split("?")[1]
    # The oldest pending login was dropped to keep the cookie small.
    r = b.get(tabs[0][1])
    assert r.status == 400, r


def test_pending_login_survives_other_tab_completion(httpd, fake):
    b = httpd.browser()
    q1 = b.start_login("/protected/cgi/printenv.cgi?tab=1")
    q2 = b.start_login("/protected/cgi/printenv.cgi?tab=2")
    cb1 = b.authorize(q1["_location"])
    cb2 = b.authorize(q2["_location"])
    b.finish_login(cb1, "/protected/cgi/printenv.cgi?tab=1")
    b.finish_login(cb2, "/protected/cgi/printenv.cgi?tab=2")


def test_login_replaces_planted_session(httpd, fake):
    """An attacker plants a session cookie (his own pending login); the
    victim's login must not keep that session value."""
    attacker = httpd.browser()
    attacker.start_login(CGI)
    planted = attacker.cookies[H.COOKIE]
    victim = httpd.browser()
    victim.cookies[H.COOKIE] = planted
    victim.login()
    assert victim.cookies[H.COOKIE] != planted
    # The planted value does not carry the victim's login.
    attacker.cookies[H.COOKIE] = planted
    assert attacker.get(CGI).status == 302


def test_cache_headers_on_login_redirect_and_callback(browser, fake):
    q = browser.start_login(CGI)       # asserts no-store on the redirect
    cb = browser.authorize(q["_location"])
    browser.finish_login(cb, CGI)      # asserts no-store and no-referrer
    r = browser.get(CGI)
    assert r.status == 200


def test_scope_and_authorize_params(make_httpd, fake):
    h = make_httpd(server_extra='AtlassianScope "read:me read:jira-work"\n'
                                'AtlassianAuthorizeParams "prompt=none&x-extra=a%20b&flag"')
    b = h.browser()
    r = b.get(CGI)
    assert r.status == 302
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query, keep_blank_values=True)
    assert q["scope"] == ["read:me read:jira-work"]
    assert q["prompt"] == ["none"]
    assert q["x-extra"] == ["a b"]
    assert q["flag"] == [""]
    assert q["audience"] == ["api.atlassian.com"] and q["response_type"] == ["code"]
    # The scope is sent space-separated (%20), never with '+'.
    assert "read%3ame%20read%3ajira-work" in r.location.lower()
    # And the login goes through with it.
    cb = b.authorize(r.location)
    assert b.get(cb).status == 302


def test_logged_in_api_requests_pass(browser, fake):
    browser.login()
    r = browser.get(CGI, headers={"X-Requested-With": "XMLHttpRequest"}, accept="application/json")
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == ACCOUNT_ID
    r = browser.post("/protected/app/api", body=b'{"a": 1}',
                     headers={"Content-Type": "application/json"}, accept="application/json")
    assert r.status == 200, r
    assert r.json()["method"] == "POST" and r.json()["body"] == '{"a": 1}'
