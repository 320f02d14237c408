# SPDX-License-Identifier: Apache-2.0
"""httpd with the module behind a TLS-terminating proxy.

The front is a second apache2: TLS on https://127.0.0.1:<front>/ (the test
CA's certificate), mod_proxy to the module's httpd over plain http, with
ProxyPreserveHost On and "RequestHeader set X-Forwarded-Proto https" (what a
load balancer sends); mod_proxy adds X-Forwarded-For. The browser connects
from 127.0.0.2, so that the client's address differs from the proxy's.

Configured as the README says (ServerName with the public scheme and name,
UseCanonicalName On, mod_remoteip trusting the proxy, a Secure session
cookie): the authorize request carries the public https callback URL, the
browser comes back to the page it asked for, the cookie is Secure and the
CGI sees the browser's address. Configured without ServerName's scheme and
with a relative AtlassianRedirectURI: the callback URL comes out as http,
and the module says so once (ATL00410).
"""

import urllib.parse

import atlharness as H

PAGE = "/protected/cgi/printenv.cgi?x=1&y=two%20words"
CLIENT_ADDR = "127.0.0.2"


class FrontProxy(H.Httpd):
    """A TLS-terminating reverse proxy in front of another httpd."""

    def render_config(self):
        d = self.dir
        user, group = H.run_user()
        mods = [("mpm_event_module", "mod_mpm_event.so"),
                ("authz_core_module", "mod_authz_core.so"),
                ("socache_shmcb_module", "mod_socache_shmcb.so"),
                ("ssl_module", "mod_ssl.so"),
                ("proxy_module", "mod_proxy.so"),
                ("proxy_http_module", "mod_proxy_http.so"),
                ("headers_module", "mod_headers.so")]
        lines = ['ServerRoot "%s"' % d,
                 "Listen 127.0.0.1:%d https" % self.port,
                 "ServerName 127.0.0.1:%d" % self.port]
        lines += ['LoadModule %s "%s/%s"' % (n, H.MODULES_DIR, so) for n, so in mods]
        lines += [
            "User %s" % user, "Group %s" % group,
            'PidFile "%s/run/httpd.pid"' % d,
            'ErrorLog "%s"' % self.error_log,
            'DefaultRuntimeDir "%s/run"' % d,
            'Mutex file:%s/run default' % d,
            "LogLevel info",
            "StartServers 1", "ServerLimit 2", "ThreadsPerChild 25",
            "MaxRequestWorkers 50", "MinSpareThreads 25", "MaxSpareThreads 50",
            "GracefulShutdownTimeout 10",
            'SSLSessionCache "shmcb:%s/run/ssl_cache(51200)"' % d,
            "SSLEngine on",
            'SSLCertificateFile "%s"' % self.certs["cert"],
            'SSLCertificateKeyFile "%s"' % self.certs["key"],
            "ProxyPreserveHost On",
            "RequestHeader set X-Forwarded-Proto https",
            "ProxyPass / http://127.0.0.1:%d/" % self.opts["upstream"],
            "ProxyPassReverse / http://127.0.0.1:%d/" % self.opts["upstream"],
        ]
        return "\n".join(lines) + "\n"


def proxied(make_httpd, fake, certs, **opts):
    """The module's httpd and a front proxy for it; the front's URL is the
    public one. opts go to the module's httpd; "public" in them is a
    format string for server_extra with the public base URL."""
    front_port = H.free_port()
    public = "https://127.0.0.1:%d" % front_port
    extra = opts.pop("server_extra", "").format(public=public)
    if "redirect_uri" in opts:
        opts["redirect_uri"] = opts["redirect_uri"].format(public=public)
    back = make_httpd(server_extra=extra, **opts)
    front = FrontProxy(None, None, certs, port=front_port, upstream=back.port)
    front.start()
    # The Browser of atlharness talks to the front as the httpd under test.
    front.fake = fake
    front.base = public
    front.redirect_uri = public + H.CALLBACK
    return back, front


PROXY_AWARE = """
LoadModule remoteip_module "%s/mod_remoteip.so"
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
ServerName {public}
UseCanonicalName On
""" % H.MODULES_DIR

SECURE_SESSION = ("Session On\n    SessionCookieName %s path=/;HttpOnly;Secure;SameSite=Lax"
                  % H.COOKIE)


def _login(front):
    b = H.Browser(front, source_address=CLIENT_ADDR)
    q = b.start_login(front.base + PAGE)      # asserts redirect_uri == public one
    cb = b.authorize(q["_location"])
    assert cb.startswith(front.base + H.CALLBACK + "?"), cb
    r = b.finish_login(cb, PAGE)              # asserts Location == PAGE, local
    return b, q, r


def _check_proxied_login(back, front):
    try:
        b, q, r = _login(front)
        assert q["redirect_uri"] == front.base + H.CALLBACK
        assert r.location == PAGE
        cookies = [v for v in r.header_all("Set-Cookie") if v.startswith(H.COOKIE + "=")]
        assert len(cookies) == 1, r.headers
        assert "secure" in [a.strip().lower() for a in cookies[0].split(";")[1:]], cookies
        # A client's own X-Forwarded-For is only a claim: mod_proxy appends
        # the real address, mod_remoteip trusts only the proxy.
        page = b.get(front.base + PAGE, headers={"X-Forwarded-For": "10.1.2.3"})
        assert page.status == 200, page
        env = page.env()
        assert env["REMOTE_ADDR"] == CLIENT_ADDR
        assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
        assert env["ATLASSIAN_EMAIL"] == H.DEFAULT_EMAIL
        assert env["REQUEST_SCHEME"] == "https"
        assert env["SERVER_PORT"] == str(front.port)
        assert "ATL00410" not in back.read_log()
    finally:
        front.stop()


def test_relative_redirect_uri_with_public_server_name(make_httpd, fake, certs):
    back, front = proxied(make_httpd, fake, certs, server_extra=PROXY_AWARE,
                          redirect_uri=H.CALLBACK, session_directives=SECURE_SESSION)
    _check_proxied_login(back, front)


def test_absolute_redirect_uri(make_httpd, fake, certs):
    back, front = proxied(make_httpd, fake, certs, server_extra=PROXY_AWARE,
                          redirect_uri="{public}" + H.CALLBACK,
                          session_directives=SECURE_SESSION)
    _check_proxied_login(back, front)


def test_without_remoteip_the_cgi_sees_the_proxy(make_httpd, fake, certs):
    """The control for REMOTE_ADDR above: the address is the proxy's unless
    mod_remoteip is told to trust it."""
    back, front = proxied(make_httpd, fake, certs,
                          server_extra="ServerName {public}\nUseCanonicalName On\n",
                          redirect_uri=H.CALLBACK)
    try:
        b, _, _ = _login(front)
        env = b.get(front.base + PAGE).env()
        assert env["REMOTE_ADDR"] == "127.0.0.1"
        assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    finally:
        front.stop()


def test_misconfigured_proxy_is_reported_once(make_httpd, fake, certs):
    """No scheme in ServerName, a relative AtlassianRedirectURI: httpd
    builds an http callback URL, which Atlassian would refuse; the log says
    what to change, once."""
    back, front = proxied(make_httpd, fake, certs, redirect_uri=H.CALLBACK)
    try:
        for _ in range(3):
            b = H.Browser(front, source_address=CLIENT_ADDR)
            r = b.get(front.base + PAGE)
            assert r.status == 302
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
            assert q["redirect_uri"] == ["http://127.0.0.1:%d%s" % (front.port, H.CALLBACK)]
        log = back.wait_log("ATL00410")
        lines = [l for l in log.splitlines() if "ATL00410" in l]
        assert len(lines) == 1, lines
        assert "[auth_atlassian:warn]" in lines[0]
        assert "http://127.0.0.1:%d%s" % (front.port, H.CALLBACK) in lines[0]
        assert "ServerName https://" in lines[0] and "UseCanonicalName On" in lines[0]
    finally:
        front.stop()


def test_no_report_without_a_proxy(make_httpd, fake):
    """Plain http without X-Forwarded-Proto is not a proxy mistake."""
    h = make_httpd()
    r = H.Browser(h).get(PAGE)
    assert r.status == 302
    r = H.Browser(h).get(PAGE, headers={"X-Forwarded-Proto": "http"})
    assert r.status == 302
    assert "ATL00410" not in h.read_log()
