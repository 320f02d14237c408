# SPDX-License-Identifier: Apache-2.0
"""Defects found by trying the module as an attacker would, each with the
one answer the README gives: error= callbacks judged by their state first,
logins bound to the client ID, secrets hidden before Atlassian's words are
cut, invalid_grant as a bad callback, ?info=json not sniffable, 405 with a
true Allow header."""

import re

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"

HTTPD_OPTIONS = {"server_extra": "AtlassianTimeout 2"}


def module_lines(httpd, mark, pattern, levels="info|notice|warn|error|crit"):
    text = httpd.wait_log(pattern, mark)
    return [l for l in text.splitlines()
            if re.search(r"\[auth_atlassian:(%s)\]" % levels, l) and re.search(pattern, l)]


# -- error= is judged by its state first ----------------------------------------


@pytest.mark.parametrize("query", [
    "error=access_denied",
    "error=server_error",
    "error=access_denied&state=forged0123456789abcdefghijklmnopqrstuv",
    "error=invalid_scope&state=forged0123456789abcdefghijklmnopqrstuv",
])
def test_error_callback_without_a_matching_state_is_400(httpd, fake, query):
    b, q, _ = H.pending(httpd)
    mark = httpd.log_mark()
    r = b.get(H.CALLBACK + "?" + query)
    assert r.status == 400, r
    assert r.location is None
    # Logged at info, never as an Atlassian or configuration problem.
    lines = module_lines(httpd, mark, r"ATL0004[12]:")
    assert lines and all("[auth_atlassian:info]" in l for l in lines), lines
    text = httpd.read_log(mark)
    assert "ATL00047" not in text and "ATL00048" not in text, text
    # The browser's own pending login is untouched: its state still works.
    r = b.get(H.CALLBACK + "?error=access_denied&state=" + q["state"])
    assert r.status == 403, r


def test_error_callback_with_its_state_spends_it(httpd, fake):
    b, q, _ = H.pending(httpd)
    assert b.get(H.CALLBACK + "?error=server_error&state=" + q["state"]).status == 502
    assert b.get(H.CALLBACK + "?error=server_error&state=" + q["state"]).status == 400


# -- a login is bound to its application ----------------------------------------


def test_login_of_another_client_id_is_refused(httpd, fake, make_httpd):
    b = httpd.browser()
    assert b.login().status == 200
    other = make_httpd(client_id="another-client-id")
    b2 = other.browser()
    b2.cookies = dict(b.cookies)
    r = b2.get(CGI)
    # Same secret, same cookie name, other client ID: not logged in there.
    assert r.status == 302, r
    assert "client_id=another-client-id" in r.location
    # And the original application still accepts it.
    assert b.get(CGI).status == 200


# -- Atlassian's words in the log -----------------------------------------------


@pytest.mark.parametrize("offset", [0, 100, 120, 125, 127])
def test_secret_hidden_before_the_description_is_cut(httpd, fake, offset):
    # Atlassian quoting the client secret or the code across the cut at
    # 128 bytes must leave no piece of either in the log.
    b, q, cb = H.pending(httpd)
    code = H.cb_parts(cb)[1]
    desc = "x" * offset + H.CLIENT_SECRET + " code " + code
    fake.fail("/oauth/token", 401,
              '{"error":"access_denied","error_description":"%s"}' % desc)
    mark = httpd.log_mark()
    assert b.get(cb).status == 502
    text = httpd.wait_log(r"ATL00040:", mark)
    assert "ATL00040:" in text, text
    for secret in (H.CLIENT_SECRET, code):
        for n in range(8, len(secret) + 1):
            assert secret[:n] not in text, (secret[:n], text)


# -- ?info=json and the callback's methods --------------------------------------


def test_info_json_is_not_sniffable(httpd, fake):
    b = httpd.browser()
    b.login()
    r = b.get(H.CALLBACK + "?info=json")
    assert r.status == 200
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Content-Type").startswith("application/json")


@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE"])
def test_callback_405_says_get(httpd, fake, method):
    b = httpd.browser()
    r = b.request(method, H.CALLBACK + "?code=x&state=y", body=b"" if method != "OPTIONS" else None)
    assert r.status == 405, r
    allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
    assert "GET" in allow and "HEAD" in allow, r.headers
    assert "POST" not in allow and "PUT" not in allow, r.headers
    assert len(r.header_all("Allow")) == 1, r.headers


def test_callback_without_code_is_400_with_its_own_tag(httpd, fake):
    """A callback with this browser's state but neither code nor error: a
    bad callback, logged at info under its own tag (not ATL00041's)."""
    b, q, _ = H.pending(httpd)
    mark = httpd.log_mark()
    r = b.get(H.CALLBACK + "?state=" + q["state"])
    assert r.status == 400, r
    lines = module_lines(httpd, mark, r"ATL00900:")
    assert lines and all("[auth_atlassian:info]" in l
                         and "ATL00900: callback refused: no code" in l for l in lines), lines
    assert "ATL00041" not in httpd.read_log(mark)
