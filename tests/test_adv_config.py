"""An administrator's mistakes and a second client: bad directive values
stop `apache2 -t` with the directive's name, a VirtualHost has its own
client ID, and no secret, code, token or state reaches a trace8 log."""

import json
import re
import time
import urllib.parse

import pytest

import atlharness as H

import advhelpers
from advhelpers import CGI, cb_parts

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# Directives


@pytest.mark.parametrize("case,opts,needle", [
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
    ("params state", {"server_extra": 'AtlassianAuthorizeParams "state=x"'},
     "AtlassianAuthorizeParams"),
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
    ("logout allowed no host", {"server_extra": "AtlassianLogoutRedirectAllowed https://"},
     "AtlassianLogoutRedirectAllowed"),
    ("remote user in server", {"server_extra": "AtlassianRemoteUser bogus"},
     "AtlassianRemoteUser"),
    ("scope empty", {"server_extra": 'AtlassianScope ""'}, "AtlassianScope"),
    ("client id empty", {"client_id": ""}, "AtlassianClientID"),
])
def test_bad_directive_values(make_httpd, case, opts, needle):
    h = make_httpd(start=False, **opts)
    rc, out = h.config_test()
    assert rc != 0, (case, out)
    assert needle.lower() in out.lower() or re.search(r"line \d+", out), (case, out)
    assert H.CLIENT_SECRET not in out and H.SESSION_SECRET not in out


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


# ---------------------------------------------------------------------------
# Logs


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
        code = cb_parts(cb)[1]
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
    codes.append(cb_parts(cb)[1])
    b.finish_login(cb, CGI)
    b.get(CGI)
    time.sleep(0.5)
    log = h.read_log()
    for what, s in ([("secret", x) for x in secrets] + [("code", x) for x in codes]
                    + [("token", t) for t in fake.tokens_issued]
                    + [("state", s) for s in states]):
        assert s not in log, "the trace8 log contains a %s" % what
        assert urllib.parse.quote(s, safe="") not in log, "the trace8 log contains a %s" % what
