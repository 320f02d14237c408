# SPDX-License-Identifier: Apache-2.0
"""Configuration: `apache2 -t` refuses bad configurations with a tagged
message (or httpd's own, for an empty argument); a VirtualHost has its own
client ID; nothing secret ever reaches the error log, even at trace8. (Where
the callback lies: test_layout.py; directive values in detail:
test_directives.py.)"""

import json
import re
import time
import urllib.parse

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"

def config_line(h, needle):
    with open(h.conf) as f:
        for i, line in enumerate(f, 1):
            if needle in line:
                return i
    return None


def test_valid_configuration_passes(make_httpd):
    h = make_httpd(start=False)
    rc, out = h.config_test()
    assert rc == 0, out
    assert "Syntax OK" in out


def test_loopback_http_endpoints_accepted(make_httpd):
    h = make_httpd(start=False, urls={"token": "http://localhost:1/oauth/token",
                                      "profile": "http://127.0.0.1:1/me",
                                      "resources": "http://[::1]:1/r",
                                      "authorize": "http://127.0.0.1:1/authorize"})
    rc, out = h.config_test()
    assert rc == 0, out


# An empty argument is refused by httpd before the module sees the value.
HTTPD_REFUSES = {"scope empty", "client id empty"}


@pytest.mark.parametrize("case,opts,needle", [
    ("no client id", {"omit": ["AtlassianClientID"]}, "AtlassianClientID"),
    ("no client secret", {"omit": ["AtlassianClientSecret"]}, "AtlassianClientSecret"),
    ("no session secret", {"omit": ["AtlassianSessionSecret"]}, "AtlassianSessionSecret"),
    ("no redirect uri", {"omit": ["AtlassianRedirectURI"]}, "AtlassianRedirectURI"),
    ("short session secret", {"session_secret": ["0123456789abcdef0123456789abcde"]},
     "AtlassianSessionSecret"),
    ("short second session secret", {"session_secret": [H.SESSION_SECRET, "short"]},
     "AtlassianSessionSecret"),
    ("remote user bogus", {"tail_extra": "<Location /protected/x>\n"
                                         "    AtlassianRemoteUser bogus\n</Location>"},
     "AtlassianRemoteUser"),
    ("pass identity bogus", {"tail_extra": "<Location /protected/x>\n"
                                           "    AtlassianPassIdentityAs everything\n</Location>"},
     "AtlassianPassIdentityAs"),
    ("unauth action bogus", {"tail_extra": "<Location /protected/x>\n"
                                           "    AtlassianUnauthAction redirect\n</Location>"},
     "AtlassianUnauthAction"),
    ("token url not a url", {"urls": {"token": "not a url"}}, "AtlassianTokenURL"),
    ("token url http non-loopback", {"urls": {"token": "http://auth.example.com/oauth/token"}},
     "AtlassianTokenURL"),
    ("profile url ftp", {"urls": {"profile": "ftp://127.0.0.1/me"}}, "AtlassianProfileURL"),
    ("authorize url http non-loopback", {"urls": {"authorize": "http://evil.example/authorize"}},
     "AtlassianAuthorizeURL"),
    ("redirect uri http non-loopback", {"redirect_uri": "http://app.example.com/protected/oauth2callback"},
     "AtlassianRedirectURI"),
    ("timeout not a number", {"server_extra": "AtlassianTimeout soon"}, "AtlassianTimeout"),
    ("secret file missing", {"client_secret": "file:/nonexistent/atl-secret"},
     "AtlassianClientSecret"),
    ("secret env unset", {"client_secret": "env:ATL_TEST_SURELY_UNSET_VARIABLE"},
     "AtlassianClientSecret"),
    ("authorize params override state", {"server_extra": 'AtlassianAuthorizeParams "state=x"'},
     "AtlassianAuthorizeParams"),
    ("timeout 0", {"server_extra": "AtlassianTimeout 0"}, "AtlassianTimeout"),
    ("timeout abc", {"server_extra": "AtlassianTimeout abc"}, "AtlassianTimeout"),
    ("timeout -5", {"server_extra": "AtlassianTimeout -5"}, "AtlassianTimeout"),
    ("timeout 10s", {"server_extra": "AtlassianTimeout 10s"}, "AtlassianTimeout"),
    ("lifetime -1", {"protected_extra": "AtlassianSessionLifetime -1"},
     "AtlassianSessionLifetime"),
    ("lifetime 0", {"protected_extra": "AtlassianSessionLifetime 0"},
     "AtlassianSessionLifetime"),
    ("lifetime huge", {"protected_extra": "AtlassianSessionLifetime 99999999999999999999999"},
     "AtlassianSessionLifetime"),
    ("pass bogus", {"protected_extra": "AtlassianPassIdentityAs bogus"},
     "AtlassianPassIdentityAs"),
    ("unauth bogus", {"protected_extra": "AtlassianUnauthAction bogus"},
     "AtlassianUnauthAction"),
    ("cafile missing", {"ca_file": "/nonexistent/ca.pem"}, "AtlassianCAFile"),
    ("secret file missing", {"client_secret": "file:/missing/secret"}, "AtlassianClientSecret"),
    ("secret env unset", {"client_secret": "env:ATL_REVIEW_SURELY_UNSET"},
     "AtlassianClientSecret"),
    ("session secret env unset", {"session_secret": ["env:ATL_REVIEW_SURELY_UNSET"]},
     "AtlassianSessionSecret"),
    ("params client_id", {"server_extra": 'AtlassianAuthorizeParams "client_id=x"'},
     "AtlassianAuthorizeParams"),
    ("params redirect_uri", {"server_extra": 'AtlassianAuthorizeParams "redirect_uri=https://evil.com/"'},
     "AtlassianAuthorizeParams"),
    ("params response_type", {"server_extra": 'AtlassianAuthorizeParams "response_type=token"'},
     "AtlassianAuthorizeParams"),
    ("params STATE upper", {"server_extra": 'AtlassianAuthorizeParams "State=x"'},
     "AtlassianAuthorizeParams"),
    ("cache bad", {"server_extra": 'AtlassianCache "bad provider!"'}, "AtlassianCache"),
    ("logout prefix without host", {"server_extra": "AtlassianLogoutRedirectAllowed https://"},
     "AtlassianLogoutRedirectAllowed"),
    ("logout prefix relative", {"server_extra": "AtlassianLogoutRedirectAllowed /local/"},
     "AtlassianLogoutRedirectAllowed"),
    ("logout prefix userinfo",
     {"server_extra": "AtlassianLogoutRedirectAllowed http://app.example.com@evil.com/"},
     "AtlassianLogoutRedirectAllowed"),
    ("cache unknown provider", {"server_extra": "AtlassianCache nosuchprovider"},
     "AtlassianCache"),
    ("redirect ftp", {"redirect_uri": "ftp://x/y"}, "AtlassianRedirectURI"),
    ("redirect relative", {"redirect_uri": "protected/oauth2callback"}, "AtlassianRedirectURI"),
    ("redirect with fragment", {"redirect_uri": "https://app.example.com/cb#x"},
     "AtlassianRedirectURI"),
    ("token url fake loopback host", {"urls": {"token": "http://127.evil.example/oauth/token"}},
     "AtlassianTokenURL"),
    ("redirect fake loopback host",
     {"redirect_uri": "http://127.0.0.1.evil.example/protected/oauth2callback"},
     "AtlassianRedirectURI"),
    ("redirect 127-prefixed host",
     {"redirect_uri": "http://127.attacker.example/protected/oauth2callback"},
     "AtlassianRedirectURI"),
    ("logout allowed not a url", {"server_extra": "AtlassianLogoutRedirectAllowed /local"},
     "AtlassianLogoutRedirectAllowed"),
    ("remote user in server", {"server_extra": "AtlassianRemoteUser bogus"},
     "AtlassianRemoteUser"),
    ("scope empty", {"server_extra": 'AtlassianScope ""'}, "AtlassianScope"),
    ("client id empty", {"client_id": ""}, "AtlassianClientID"),
])
def test_bad_configuration_refused(make_httpd, case, opts, needle):
    h = make_httpd(start=False, **opts)
    rc, out = h.config_test()
    assert rc != 0, (case, out)
    line = config_line(h, needle)
    if case in HTTPD_REFUSES:
        # httpd's own argument check: its AH00526 with the directive's usage.
        assert "AH00526: " in out and needle + " takes one argument" in out, (case, out)
    else:
        # Every refusal of the module carries its tag.
        assert re.search(r"ATL\d{5}: ", out), (case, out)
    # The message names the directive (or httpd points at its line).
    assert (needle.lower() in out.lower()
            or (line is not None and ("line %d " % line) in out)), (case, out)
    # The value of a secret is never printed.
    assert H.CLIENT_SECRET not in out and H.SESSION_SECRET not in out


def test_secret_values_not_in_config_errors(make_httpd):
    h = make_httpd(start=False, session_secret=["tiny-secret-value"])
    rc, out = h.config_test()
    assert rc != 0
    assert "tiny-secret-value" not in out


def test_nothing_secret_in_debug_log(make_httpd, fake):
    h = make_httpd(start=False, loglevel="debug auth_atlassian:trace8 session:trace8",
                   protected_extra="AtlassianPassAccessToken On\n    AtlassianRefresh On",
                   server_extra='AtlassianScope "read:me offline_access"')
    secret_file = h.write_secret_file("client.secret", H.CLIENT_SECRET + "\n")
    h.rewrite_config(client_secret="file:" + secret_file)
    h.start()
    states, cookies = [], []

    # A full login.
    b = h.browser()
    q = b.start_login(CGI, scope="read:me offline_access")
    states.append(q["state"])
    cb = b.authorize(q["_location"])
    b.finish_login(cb, CGI)
    env = b.get(CGI).env()
    assert env["ATLASSIAN_ACCESS_TOKEN"] == fake.tokens_issued[0]
    assert any(t.startswith("atl-rt-") for t in fake.tokens_issued), \
        "offline_access should have produced a refresh token"
    cookies.append(b.cookies[H.COOKIE])
    b.get(H.CALLBACK + "?info=json")

    # A failing one (token endpoint refuses), and a state mismatch.
    fake.fail("/oauth/token", 401, '{"error":"access_denied","error_description":"Unauthorized"}')
    b2 = h.browser()
    q2 = b2.start_login(CGI, scope="read:me offline_access")
    states.append(q2["state"])
    cb2 = b2.authorize(q2["_location"])
    assert b2.get(cb2).status == 502
    b3 = h.browser()
    q3 = b3.start_login(CGI, scope="read:me offline_access")
    states.append(q3["state"])
    cb3 = b3.authorize(q3["_location"])
    u = urllib.parse.urlsplit(cb3)
    code3 = urllib.parse.parse_qs(u.query)["code"][0]
    assert b3.get(u.path + "?code=%s&state=%s" % (code3, "Z" * 43)).status == 400
    fake.clear_failure()
    # A tampered cookie (logged at debug).
    b4 = h.browser()
    b4.cookies[H.COOKIE] = cookies[0][:-10] + "AAAAAAAAAA"
    b4.get(CGI)

    log = h.read_log()
    assert re.search(r"\[auth_atlassian:(debug|trace\d)\]", log), "no debug lines: the test sees nothing"
    assert "ATL00046" in log or "logged in" in log
    secrets = [("client secret", H.CLIENT_SECRET), ("session secret", H.SESSION_SECRET)]
    secrets += [("code", c) for c in fake.codes_issued]
    secrets += [("token", t) for t in fake.tokens_issued]
    secrets += [("state", s) for s in states]
    for what, s in secrets:
        assert s not in log, "the error log contains a %s" % what
        assert urllib.parse.quote(s, safe="") not in log, "the error log contains a %s" % what


def test_redirect_uri_as_local_path(make_httpd, fake):
    """AtlassianRedirectURI /path: resolved against the request's host."""
    h = make_httpd(redirect_uri=H.CALLBACK)
    b = h.browser()
    env = b.login().env()      # asserts redirect_uri == http://127.0.0.1:<port>/protected/oauth2callback
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    body = __import__("json").loads(fake.requests("/oauth/token")[0]["body"])
    assert body["redirect_uri"] == h.base + H.CALLBACK


def test_refuses_to_start_without_mod_session(make_httpd):
    """The module needs mod_session: without it, apache2 -t fails and says so
    (the configuration is otherwise complete, its Session lines removed)."""
    h = make_httpd(start=False)
    with open(h.conf) as f:
        lines = [l for l in f if "session_module" not in l and "session_cookie_module" not in l
                 and not l.strip().startswith("Session")]
    with open(h.conf, "w") as f:
        f.writelines(lines)
    rc, out = h.config_test()
    assert rc != 0, out
    assert "ATL00002" in out and "mod_session is not loaded" in out, out


def test_no_cache_refused(make_httpd, monkeypatch):
    """Without mod_socache_shmcb and without AtlassianCache, single use of
    the state and one refresh per login would be silently off: refused,
    naming what to do. With another loaded provider it starts."""
    monkeypatch.setattr(H, "BASE_MODULES",
                        [m for m in H.BASE_MODULES if m[0] != "socache_shmcb_module"])
    h = make_httpd(start=False)
    rc, out = h.config_test()
    assert rc != 0, out
    assert re.search(r"ATL00640: mod_socache_shmcb is not loaded, and the module "
                     r"needs a cache \(in .*\): run \"a2enmod socache_shmcb\" \(or add "
                     r"\"LoadModule socache_shmcb_module .*\"\), or set AtlassianCache "
                     r"to a loaded provider", out), out
    assert "Syntax OK" not in out
    # The module loaded but idle (none of its directives): no cache needed.
    idle = make_httpd(start=False, omit=["AtlassianClientID", "AtlassianClientSecret",
                                         "AtlassianRedirectURI", "AtlassianSessionSecret"],
                      no_authtype=True)
    rc, out = idle.config_test()
    assert rc == 0, out
    # Another provider, loaded: accepted.
    mc = make_httpd(start=False, server_extra=(
        'LoadModule socache_memcache_module "%s/mod_socache_memcache.so"\n'
        "AtlassianCache memcache:127.0.0.1:11211\n" % H.MODULES_DIR))
    rc, out = mc.config_test()
    assert rc == 0, out


# -- a VirtualHost with its own client ---------------------------------------


def test_module_in_virtualhost_with_own_client_id(make_httpd, fake):
    port2 = H.free_port()
    vhost = """
Listen 127.0.0.1:%(p)d
<VirtualHost 127.0.0.1:%(p)d>
    ServerName 127.0.0.1:%(p)d
    AtlassianClientID "vhost-client-id"
    AtlassianClientSecret "vhost-secret-0123456789"
    AtlassianRedirectURI http://127.0.0.1:%(p)d/vp/oauth2callback
    AtlassianSessionSecret "%(ss)s"
    AtlassianAuthorizeURL "%(az)s"
    AtlassianTokenURL "%(tk)s"
    AtlassianProfileURL "%(pr)s"
    AtlassianCAFile "%(ca)s"
    Alias /vp/ "%%DIR%%/htdocs/files/"
    <Location /vp>
        AuthType Atlassian
        AuthName "VHost"
        Session On
        SessionCookieName vh_session path=/;HttpOnly
        Require valid-user
    </Location>
</VirtualHost>
""" % {"p": port2, "ss": H.SESSION_SECRET_B, "az": fake.urls()["authorize"],
       "tk": fake.urls()["token"], "pr": fake.urls()["profile"], "ca": "%%CA%%"}
    h = make_httpd(start=False)
    vhost = vhost.replace("%%DIR%%", h.dir).replace("%%CA%%", h.certs["ca"])
    h.rewrite_config(tail_extra=vhost)
    rc, out = h.config_test()
    assert rc == 0, out
    h.start()
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port2, timeout=10)
    conn.request("GET", "/vp/ok.txt", headers={"Accept": "text/html"})
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 302, r.status
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.getheader("Location")).query)
    assert q["client_id"] == ["vhost-client-id"]
    assert q["redirect_uri"] == ["http://127.0.0.1:%d/vp/oauth2callback" % port2]
    # The main server keeps its own.
    q2 = h.browser().start_login(CGI)
    assert q2["client_id"] == H.CLIENT_ID


# -- no secret in the log ----------------------------------------------------


@pytest.mark.allow_log_errors(r"ATL\d+:")
def test_no_secret_in_trace8_log_on_failures(make_httpd, fake):
    # The module's and mod_session's lines at trace8 (httpd's core logs the
    # request line itself at trace levels, which is not the module's doing).
    h = make_httpd(start=False,
                   loglevel="info auth_atlassian:trace8 session:trace8 session_cookie:trace8",
                   server_extra="AtlassianTimeout 2",
                   protected_extra="AtlassianPassAccessToken On")
    h.start()
    secrets = [H.CLIENT_SECRET, H.SESSION_SECRET]
    states = []

    def one(prep):
        b = h.browser()
        q = b.start_login(CGI)
        states.append(q["state"])
        cb = b.authorize(q["_location"])
        code = H.cb_parts(cb)[1]
        prep(code)
        r = b.get(cb)
        fake.clear_failure()
        return r, code

    codes = []
    # Token 401 whose description echoes the code and the secret.
    r, c = one(lambda code: fake.fail(
        "/oauth/token", 401, json.dumps({"error": "access_denied",
                                         "error_description": "bad code " + code + " secret "
                                         + H.CLIENT_SECRET})))
    assert r.status == 502
    codes.append(c)
    # Token 200 then /me fails with a body echoing the token.
    r, c = one(lambda code: fake.fail("/me", 500, '{"message": "token ' + "x" * 10 + '"}'))
    assert r.status == 502
    codes.append(c)
    # Timeout.
    r, c = one(lambda code: fake.fail("/oauth/token", delay=4))
    assert r.status == 504
    codes.append(c)
    # Malformed token answer echoing the code.
    r, c = one(lambda code: fake.fail("/oauth/token", 200, "not json " + code))
    assert r.status == 502
    codes.append(c)
    # A callback whose error parameter carries a "secret-looking" value.
    b = h.browser()
    q = b.start_login(CGI)
    states.append(q["state"])
    b.get(H.CALLBACK + "?error=bad_thing_SECRETVALUE123&error_description=zzz&state="
          + q["state"])
    # A successful login.
    b = h.browser()
    q = b.start_login(CGI)
    states.append(q["state"])
    cb = b.authorize(q["_location"])
    codes.append(H.cb_parts(cb)[1])
    b.finish_login(cb, CGI)
    b.get(CGI)
    time.sleep(0.5)
    log = h.read_log()
    for what, s in ([("secret", x) for x in secrets] + [("code", x) for x in codes]
                    + [("token", t) for t in fake.tokens_issued]
                    + [("state", s) for s in states]):
        assert s not in log, "the trace8 log contains a %s" % what
        assert urllib.parse.quote(s, safe="") not in log, "the trace8 log contains a %s" % what
