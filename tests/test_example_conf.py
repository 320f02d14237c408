# SPDX-License-Identifier: Apache-2.0
"""conf/auth-atlassian-example.conf, the example site: `apache2 -t` accepts it
with the built module, and served on a free port it protects both the CGI
directory (which a Debian-like serve-cgi-bin grants to everyone) and the
proxied application, with the "__Host-" session cookie it promises.

The example is used as shipped; only its secret paths (to files in a
temporary directory) and its port are substituted."""

import os
import urllib.parse

import pytest

import atlharness as H

EXAMPLE = os.path.join(os.path.dirname(H.HERE), "conf", "auth-atlassian-example.conf")
SECRET_DIR = "file:/etc/apache2/atlassian/"

# What the example needs besides the module; Debian's apache2.conf and
# serve-cgi-bin.conf provide the same on a real installation.
MODULES = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("session_module", "mod_session.so"),
    ("session_cookie_module", "mod_session_cookie.so"),
    ("alias_module", "mod_alias.so"),
    ("cgid_module", "mod_cgid.so"),
    ("mime_module", "mod_mime.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
]


class ExampleHttpd(H.Httpd):
    """apache2 with a small wrapper configuration that includes the example."""

    def _prepare_tree(self):
        super()._prepare_tree()
        self.secret_dir = os.path.join(self.dir, "atlassian")
        os.makedirs(self.secret_dir)
        os.chmod(self.secret_dir, 0o755)
        if self.opts.get("secrets", True):
            for name, value in (("client-id", "your-client-id\n"),
                                ("client-secret", "example-client-secret\n"),
                                ("session-secret", H.SESSION_SECRET + "\n")):
                with open(os.path.join(self.secret_dir, name), "w") as f:
                    f.write(value)

    def render_config(self):
        d = self.dir
        with open(EXAMPLE) as f:
            site = f.read()
        # The example must read both secrets from files, under one directory.
        assert site.count(SECRET_DIR) == 3, "the example's file: secrets moved"
        site = site.replace(SECRET_DIR, "file:" + self.secret_dir + "/")
        assert site.count("<VirtualHost *:80>") == 1
        site = site.replace("<VirtualHost *:80>", "<VirtualHost *:%d>" % self.port)
        self.site = os.path.join(d, "site.conf")
        with open(self.site, "w") as f:
            f.write(site)
        user, group = H.run_user()
        lines = ['ServerRoot "%s"' % d,
                 "Listen 127.0.0.1:%d" % self.port,
                 "ServerName 127.0.0.1"]
        lines += ['LoadModule %s "%s/%s"' % (name, H.MODULES_DIR, so) for name, so in MODULES]
        lines += [
            'LoadModule auth_atlassian_module "%s"' % H.module_path(),
            "User %s" % user, "Group %s" % group,
            'Define APACHE_LOG_DIR "%s"' % d,
            'PidFile "%s/run/httpd.pid"' % d,
            'ErrorLog "%s"' % self.error_log,
            'DefaultRuntimeDir "%s/run"' % d,
            'Mutex file:%s/run default' % d,
            'ScriptSock "%s/run/cgid.sock"' % d,
            "LogLevel info",
            'LogFormat "%h %l %u %t \\"%r\\" %>s %O" combined',
            "TypesConfig /etc/mime.types",
            "StartServers 1", "ServerLimit 2", "ThreadsPerChild 10",
            "MaxRequestWorkers 20", "MinSpareThreads 10", "MaxSpareThreads 20",
            'DocumentRoot "%s/htdocs"' % d,
            '<Directory "/">', "    AllowOverride None", "    Require all granted",
            "</Directory>",
            # What Debian's serve-cgi-bin.conf does, for every site.
            'ScriptAlias /cgi-bin/ "%s/cgi-bin/"' % d,
            '<Directory "%s/cgi-bin">' % d, "    Require all granted", "</Directory>",
            'Include "%s"' % self.site,
        ]
        return "\n".join(lines) + "\n"

    def read_site_log(self):
        try:
            with open(os.path.join(self.dir, "app-error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""


@pytest.fixture
def example():
    if not H.MODULE:
        pytest.skip("ATL_MODULE is not set (run through tests/run-integration or make check)")
    started = []

    def factory(**opts):
        h = ExampleHttpd(None, None, None, **opts)
        started.append(h)
        return h

    yield factory
    for h in started:
        h.stop()
        crashed = H.crash_lines(h.read_log())
        assert not crashed, "httpd child crashed:\n" + "\n".join(crashed)


def test_example_syntax_ok(example):
    h = example()
    rc, out = h.config_test()
    assert rc == 0, out
    assert "Syntax OK" in out


def test_example_reads_its_secret_files(example):
    # Without the files the configuration is refused, naming the directive:
    # the example really takes its secrets from them.
    h = example(secrets=False)
    rc, out = h.config_test()
    assert rc != 0, out
    assert "AtlassianClientID" in out
    assert "Syntax OK" not in out


def _login_redirect(resp):
    assert resp.status == 302, resp
    loc = urllib.parse.urlsplit(resp.location)
    assert (loc.scheme, loc.netloc, loc.path) == ("https", "auth.atlassian.com", "/authorize")
    q = urllib.parse.parse_qs(loc.query)
    assert q["client_id"] == ["your-client-id"]
    assert q["redirect_uri"] == ["https://app.example.com/app/oauth2callback"]


def test_example_protects_cgi_and_app(example):
    h = example()
    h.start()
    b = h.browser()
    # The CGI directory is granted to everyone by the serve-cgi-bin stand-in;
    # the example's <Location /cgi-bin> puts the login in front of it.
    r = b.get("/cgi-bin/printenv.cgi")
    _login_redirect(r)
    cookies = r.header_all("Set-Cookie")
    assert len(cookies) == 1, cookies
    name, value, attrs = H.parse_set_cookie(cookies[0])
    assert name == "__Host-atlassian_session" and value
    assert attrs.get("path") == "/"
    assert {"httponly", "secure"} <= set(attrs)
    assert attrs.get("samesite", "").lower() == "lax"
    # The proxied application: a login, not the (absent) backend's 503.
    _login_redirect(b.get("/app/anything"))
    # The callback lies in /app/ and is answered by the module itself.
    r = b.get("/app/oauth2callback?info=json", accept="application/json")
    assert r.status == 401, r
    # Outside the two locations nothing is asked.
    r = b.get("/files/ok.txt")
    assert (r.status, r.text) == (200, "authorized\n"), r
    for line in H.log_errors(h.read_site_log()):
        pytest.fail("unexpected error in the site's log: " + line)
