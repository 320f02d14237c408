# SPDX-License-Identifier: Apache-2.0
"""Directive values an administrator gets wrong in the first hour: every
refusal carries its ATL tag; AtlassianClientID takes file: and env: as the
secret does and refuses a ${VAR} httpd could not expand (the envvars trap:
a reload keeps the old environment); ATL00001 names the server as it was
written; the token, refresh and lifetime directives are refused in
.htaccess while the other per-directory ones work there."""

import os
import re
import urllib.parse

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"


def client_id_sent(h):
    r = h.browser().get(CGI)
    assert r.status == 302, r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    return q["client_id"]


@pytest.mark.parametrize("extra,tag,needle", [
    ('AtlassianTimeout 0', "ATL00508", "AtlassianTimeout"),
    ('AtlassianCAFile /nonexistent/ca.pem', "ATL00507", "AtlassianCAFile"),
    ('AtlassianCache "mem cache"', "ATL00509", "AtlassianCache"),
    ('AtlassianLogoutRedirectAllowed /local', "ATL00510", "AtlassianLogoutRedirectAllowed"),
    ('<Location /protected/x>\n    AtlassianSessionLifetime 0\n</Location>', "ATL00514",
     "AtlassianSessionLifetime"),
    ('<Location /protected/x>\n    Require atlassian-email\n</Location>', "ATL00516",
     "Require"),
    ('AtlassianClientID file:', "ATL00500", "AtlassianClientID"),
    ('AtlassianRedirectURI /a?b', "ATL00502", "AtlassianRedirectURI"),
])
def test_refusals_carry_a_tag(make_httpd, extra, tag, needle):
    h = make_httpd(start=False, tail_extra=extra)
    rc, out = h.config_test()
    assert rc != 0, out
    assert tag + ": " in out and needle in out, out


# One message, one tag: the refusals of one directive that once shared a
# tag each carry their own (docs/operations.md lists them all).
@pytest.mark.parametrize("opts,tag,needle", [
    ({"redirect_uri": "http://app.example.com/protected/oauth2callback"}, "ATL00903",
     "AtlassianRedirectURI: 'http://app.example.com/protected/oauth2callback' must start "
     "with https://"),
    ({"redirect_uri": "https://app.example.com/protected/oauth2callback?x=1"}, "ATL00904",
     "AtlassianRedirectURI: the URL needs a path and no query"),
    ({"redirect_uri": "/protected/oauth2%zzcallback"}, "ATL00905",
     "AtlassianRedirectURI: the path has an invalid %-escape"),
    ({"session_secret": ["file:/nonexistent/atl-session-key"]}, "ATL00906",
     "AtlassianSessionSecret: "),
    ({"session_secret": ["0123456789abcdef0123456789abcde"]}, "ATL00908",
     "AtlassianSessionSecret: session secret number 1 is shorter than 32 bytes"),
    ({"server_extra": "AtlassianCache :x"}, "ATL00910",
     "AtlassianCache: the provider name is missing"),
    ({"server_extra": "AtlassianCache memcache:"}, "ATL00911",
     "AtlassianCache: nothing after the ':'"),
])
def test_each_refusal_has_its_own_tag(make_httpd, opts, tag, needle):
    h = make_httpd(start=False, **opts)
    rc, out = h.config_test()
    assert rc != 0, out
    assert tag + ": " + needle in out, out


def test_session_secret_with_nul_refused(make_httpd):
    h = make_httpd(start=False)
    path = h.write_secret_file("nul.key", "a" * 24 + "\0" + "b" * 24)
    h.rewrite_config(session_secret=["file:" + path])
    rc, out = h.config_test()
    assert rc != 0, out
    assert "ATL00907: AtlassianSessionSecret: the secret contains a NUL byte" in out, out


def test_unexpanded_client_id_refused(make_httpd):
    """httpd leaves an undefined ${VAR} as is (AH00111, a warning): the
    literal text must not become the client ID."""
    h = make_httpd(start=False, client_id="${ATL_TEST_SURELY_UNDEFINED_ID}")
    rc, out = h.config_test()
    assert rc != 0, out
    line = [l for l in out.splitlines() if "ATL00519:" in l]
    assert line, out
    assert "AtlassianClientID" in line[0] and "${ATL_TEST_SURELY_UNDEFINED_ID}" in line[0]
    assert "restart" in line[0], line[0]


def test_unexpanded_client_secret_refused(make_httpd):
    h = make_httpd(start=False, client_secret="${ATL_TEST_SURELY_UNDEFINED_SECRET}")
    rc, out = h.config_test()
    assert rc != 0, out
    assert "ATL00519: AtlassianClientSecret" in out, out


def test_client_id_from_file(make_httpd, fake):
    h = make_httpd(start=False)
    path = h.write_secret_file("client.id", H.CLIENT_ID + "\n")
    h.rewrite_config(client_id="file:" + path)
    h.start()
    assert client_id_sent(h) == [H.CLIENT_ID]


def test_client_id_from_environment(make_httpd, fake, monkeypatch):
    monkeypatch.setenv("ATL_TEST_CLIENT_ID", H.CLIENT_ID)
    h = make_httpd(client_id="env:ATL_TEST_CLIENT_ID")
    assert client_id_sent(h) == [H.CLIENT_ID]


def test_client_id_from_missing_file_refused(make_httpd):
    h = make_httpd(start=False, client_id="file:/nonexistent/atl-client-id")
    rc, out = h.config_test()
    assert rc != 0, out
    assert "ATL00500: AtlassianClientID: cannot open secret file /nonexistent/atl-client-id" \
        in out, out


def test_missing_directive_names_the_virtual_host_as_written(make_httpd):
    """The main server has no Atlassian settings; a virtual host has its
    client ID only. ATL00001 names that <VirtualHost>, its file and line and
    its ServerName, not an address with port 0."""
    vhost = ('<VirtualHost 127.0.0.1:*>\n    ServerName app.example.test\n'
             '    AtlassianClientID "other-id"\n</VirtualHost>')
    h = make_httpd(start=False, tail_extra=vhost,
                   omit=["AtlassianClientID", "AtlassianClientSecret",
                         "AtlassianRedirectURI", "AtlassianSessionSecret"])
    with open(h.conf) as f:
        line = [i for i, l in enumerate(f, 1) if l.startswith("<VirtualHost")][0]
    rc, out = h.config_test()
    assert rc != 0, out
    want = ("ATL00001: AtlassianClientSecret is required in <VirtualHost 127.0.0.1:*> "
            "at %s:%d, ServerName app.example.test" % (h.conf, line))
    assert want in out, out
    assert ":0" not in out.split("ATL00001:")[1].splitlines()[0], out


def test_missing_directive_names_the_main_server(make_httpd):
    h = make_httpd(start=False, omit=["AtlassianSessionSecret"])
    rc, out = h.config_test()
    assert rc != 0, out
    assert ("ATL00001: AtlassianSessionSecret is required in the main server "
            "(ServerName 127.0.0.1:%d)" % h.port) in out, out


# -- .htaccess ---------------------------------------------------------------

HTACCESS_REFUSED = [
    ("ht-token", "AtlassianPassAccessToken On"),
    ("ht-refresh", "AtlassianRefresh On"),
    ("ht-lifetime", "AtlassianSessionLifetime 60"),
]


@pytest.fixture
def htaccess_httpd(make_httpd):
    """Directories below /protected with "AllowOverride AuthConfig", each
    with an .htaccess: three with a refused directive, one (ht-ok) with
    AtlassianUnauthAction 401 and AtlassianRemoteUser email."""
    h = make_httpd(start=False)
    tail = []
    for name, text in HTACCESS_REFUSED + [("ht-ok", "AtlassianUnauthAction 401\n"
                                                    "AtlassianRemoteUser email\n"
                                                    "AtlassianPassIdentityAs env\n"
                                                    "AtlassianFetchSites Off")]:
        d = os.path.join(h.dir, "htdocs", name)
        os.makedirs(d)
        os.chmod(d, 0o755)
        for fname, content in ((".htaccess", text + "\n"), ("page.txt", "page\n")):
            with open(os.path.join(d, fname), "w") as f:
                f.write(content)
            os.chmod(os.path.join(d, fname), 0o644)
        tail.append('Alias /protected/%s/ "%s/"\n<Directory "%s">\n'
                    '    AllowOverride AuthConfig\n</Directory>' % (name, d, d))
    h.rewrite_config(tail_extra="\n".join(tail))
    h.start()
    return h


@pytest.mark.allow_log_errors(r"ATL00515:")
@pytest.mark.parametrize("name,directive", HTACCESS_REFUSED)
def test_token_directives_refused_in_htaccess(htaccess_httpd, fake, name, directive):
    h = htaccess_httpd
    mark = h.log_mark()
    r = h.browser().get("/protected/%s/page.txt" % name)
    assert r.status == 500, r
    log = h.wait_log(r"ATL00515:", mark)
    word = directive.split()[0]
    lines = [l for l in log.splitlines() if "ATL00515: %s is not allowed in .htaccess" % word in l]
    assert lines and "/%s/.htaccess" % name in lines[0], log


def test_other_directives_work_in_htaccess(htaccess_httpd, fake):
    h = htaccess_httpd
    r = h.browser().get("/protected/ht-ok/page.txt")
    assert r.status == 401, r          # AtlassianUnauthAction 401 from .htaccess
    b = h.browser()
    b.login()
    r = b.get("/protected/ht-ok/page.txt")
    assert r.status == 200 and r.text == "page\n", r


def test_token_directives_allowed_in_main_config_sections(make_httpd):
    h = make_httpd(start=False, tail_extra=(
        '<Directory "/nonexistent">\n    AtlassianPassAccessToken On\n'
        '    AtlassianRefresh On\n    AtlassianSessionLifetime 60\n</Directory>\n'
        '<Location /protected/y>\n    AtlassianPassAccessToken On\n'
        '    AtlassianRefresh On\n    AtlassianSessionLifetime 60\n</Location>'))
    rc, out = h.config_test()
    assert rc == 0, out


def remote_user_httpd(make_httpd, value):
    """An httpd (not started) with AtlassianRemoteUser value in a Location;
    the line it stands on. (The harness's own configuration has one
    AtlassianRemoteUser nickname of its own, elsewhere.)"""
    h = make_httpd(start=False,
                   tail_extra='<Location /protected/x>\n    AtlassianRemoteUser %s\n'
                              '</Location>' % value)
    with open(h.conf) as f:
        line = [i for i, l in enumerate(f, 1) if l.strip() == "AtlassianRemoteUser " + value]
    return h, line[-1]


@pytest.mark.parametrize("value", ["name", "NickName"])
def test_remote_user_not_unique_warns(make_httpd, value):
    """AtlassianRemoteUser nickname or name starts, with a warning that
    names the directive's place and says the value is not unique."""
    h, line = remote_user_httpd(make_httpd, value)
    rc, out = h.config_test()
    assert rc == 0, out
    want = "ATL00600: AtlassianRemoteUser %s (%s:%d): the value is not unique" % (
        value, h.conf, line)
    mine = [l for l in out.splitlines() if want in l]
    assert len(mine) == 1, out
    assert "[auth_atlassian:warn]" in mine[0], mine
    h.start()
    assert want in h.read_stderr() + h.read_log()


@pytest.mark.parametrize("value", ["account_id", "email", "Email"])
def test_remote_user_unique_values_do_not_warn(make_httpd, value):
    h, line = remote_user_httpd(make_httpd, value)
    rc, out = h.config_test()
    assert rc == 0, out
    assert "ATL00600: AtlassianRemoteUser %s" % value not in out, out
    assert ":%d)" % line not in out, out
