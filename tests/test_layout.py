# SPDX-License-Identifier: Apache-2.0
"""Where the callback lies. AtlassianRedirectURI must be inside a location
with AuthType Atlassian, a Require line and Session On (the pending login
lives in that session), and every location with AuthType Atlassian needs
Session On. The module says so before any browser goes to Atlassian:
`apache2 -t` fails where plain <Location> prefixes decide, and otherwise
(here: <LocationMatch>) a login start answers 500 with no redirect."""

import re
import urllib.parse

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"
COOKIE_LINE = "SessionCookieName atlassian_session path=/;HttpOnly"


def refused(h, tag):
    rc, out = h.config_test()
    assert rc != 0, out
    assert tag + ":" in out, out
    return out


def test_callback_outside_every_protected_location_refused(make_httpd):
    h = make_httpd(start=False, callback_path="/noauth/oauth2callback",
                   tail_extra="<Location /noauth>\n    Session On\n    %s\n</Location>"
                              % COOKIE_LINE)
    out = refused(h, "ATL00517")
    line = [l for l in out.splitlines() if "ATL00517:" in l][0]
    assert "AtlassianRedirectURI" in line and "/noauth/oauth2callback" in line, line
    assert 'no "AuthType Atlassian" there' in line, line


def test_callback_with_another_auth_type_refused(make_httpd):
    h = make_httpd(start=False, callback_path="/basic/oauth2callback",
                   tail_extra="<Location /basic>\n    AuthType Basic\n    Session On\n"
                              "    %s\n    Require valid-user\n</Location>" % COOKIE_LINE)
    out = refused(h, "ATL00517")
    assert '"AuthType Basic" there, not Atlassian' in out, out


def test_callback_where_session_is_off_refused(make_httpd):
    h = make_httpd(start=False,
                   tail_extra="<Location %s>\n    Session Off\n</Location>" % H.CALLBACK)
    out = refused(h, "ATL00517")
    assert "AtlassianRedirectURI" in out and 'no "Session On" there' in out, out


def test_protected_location_without_session_refused(make_httpd):
    h = make_httpd(start=False,
                   tail_extra='<Location /nosession>\n    AuthType Atlassian\n'
                              '    AuthName "Test"\n    Require valid-user\n</Location>')
    out = refused(h, "ATL00518")
    line = [l for l in out.splitlines() if "ATL00518:" in l][0]
    assert "<Location /nosession>" in line and "Session On" in line, line
    # The server is named as written: its ServerName.
    assert "ServerName 127.0.0.1:%d" % h.port in line, line


def test_prefix_boundary_is_httpd_s(make_httpd):
    """<Location /prot> does not cover /protected/...: the callback below
    <Location /protected> is fine whatever /prot says."""
    h = make_httpd(start=False, tail_extra="<Location /prot>\n    Session Off\n</Location>")
    rc, out = h.config_test()
    assert rc == 0, out


def test_directory_sections_are_left_to_request_time(make_httpd):
    """A <Directory> that sets AuthType: the startup walk cannot tell which
    URLs map there, so `apache2 -t` passes."""
    h = make_httpd(start=False,
                   callback_path="/noauth/oauth2callback",
                   tail_extra='<Location /noauth>\n    Session On\n    %s\n</Location>\n'
                              '<Directory "/nonexistent">\n    AuthType Atlassian\n'
                              '</Directory>' % COOKIE_LINE)
    rc, out = h.config_test()
    assert rc == 0, out


def login_refused(h, fake):
    b = h.browser()
    mark = h.log_mark()
    r = b.get(CGI)
    assert r.status == 500, r
    assert r.header("Location") is None, r.headers
    assert r.header_all("Cache-Control") == ["no-store"], r.headers
    log = h.wait_log(r"ATL00520:", mark)
    lines = [l for l in log.splitlines() if "ATL00520:" in l]
    assert lines and "AtlassianRedirectURI" in lines[0], log
    assert "[auth_atlassian:error]" in lines[0], lines[0]
    assert fake.requests("/authorize") == []
    return lines[0]


@pytest.mark.allow_log_errors(r"ATL00520:")
def test_regex_callback_without_session_found_at_login_start(make_httpd, fake):
    h = make_httpd(callback_path="/nosession/oauth2callback",
                   tail_extra='<LocationMatch "^/nosession/">\n    AuthType Atlassian\n'
                              '    AuthName "Test"\n    Require valid-user\n</LocationMatch>')
    line = login_refused(h, fake)
    assert 'no "Session On" there' in line, line


@pytest.mark.allow_log_errors(r"ATL00520:")
def test_regex_callback_without_authtype_found_at_login_start(make_httpd, fake):
    h = make_httpd(callback_path="/noauth/oauth2callback",
                   tail_extra='<LocationMatch "^/noauth/">\n    Session On\n    %s\n'
                              '    Require valid-user\n</LocationMatch>' % COOKIE_LINE)
    line = login_refused(h, fake)
    assert 'no "AuthType Atlassian" there' in line, line


@pytest.mark.allow_log_errors(r"ATL00520:")
def test_regex_callback_without_require_found_at_login_start(make_httpd, fake):
    """AuthType and Session, but "Require all granted": no authentication
    runs there, so the module never sees the callback."""
    h = make_httpd(callback_path="/open/oauth2callback",
                   tail_extra='<LocationMatch "^/open/">\n    AuthType Atlassian\n'
                              '    Session On\n    %s\n    Require all granted\n'
                              '</LocationMatch>' % COOKIE_LINE)
    line = login_refused(h, fake)
    assert "no authentication runs there" in line, line


def test_regex_callback_that_works_logs_in(make_httpd, fake):
    """The request-time check lets a good <LocationMatch> layout through."""
    h = make_httpd(callback_path="/rx/oauth2callback",
                   tail_extra='<LocationMatch "^/rx/">\n    AuthType Atlassian\n'
                              '    AuthName "Test"\n    Session On\n    %s\n'
                              '    Require valid-user\n</LocationMatch>' % COOKIE_LINE)
    rc, out = h.config_test()
    assert rc == 0, out
    env = h.browser().login().env()
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    body = __import__("json").loads(fake.requests("/oauth/token")[0]["body"])
    assert urllib.parse.urlsplit(body["redirect_uri"]).path == "/rx/oauth2callback"
