# SPDX-License-Identifier: Apache-2.0
"""Failing dependencies: what a login gets when Atlassian's token, profile
or resources endpoint misbehaves on the wire. Each fault comes from the
stand-in (fake_faults.py) and goes through the real apache2.

What the README promises, asserted exactly here, with AtlassianTimeout 2:

  fault                                          status  ATL00040 line says
  stall mid-body, byte-by-byte answer past 2 s   504     timeout
  connection reset (TCP RST)                     502     reset
  redirect (302 elsewhere; never followed)       502     redirect
  untrusted certificate, certificate of another  502     TLS
    host name
  429 with Retry-After                           502     429 and Retry-After
  answer over the 256 KiB limit (with or         502     too large
    without Content-Length)
  invalid UTF-8 inside a JSON string             502     UTF-8

Each answer comes within AtlassianTimeout plus one second, the error page is
the module's, the login is not stored, and no worker is left stuck: a page
requested right after is answered at once (under a second).

Invalid UTF-8 in any answer (a profile string field such as name, the
token answer, a site) makes the whole answer malformed: the login fails with
502 and nothing of that answer is stored. This covers what json-c's own
check lets through (overlong forms such as C0 AF, UTF-16 surrogates
ED A0 80, code points above U+10FFFF).
"""

import re
import time

import pytest

import atlharness as H

HTTPD_OPTIONS = {"server_extra": "AtlassianTimeout 2"}
TIMEOUT = 2
CGI = "/protected/cgi/printenv.cgi"
SITES_CGI = "/protected/cgi-sites/printenv.cgi"
PATHS = {"token": "/oauth/token", "me": "/me",
         "resources": "/oauth/token/accessible-resources"}


def attempt(httpd, fake, endpoint, status, pattern, start=None):
    """One login through the callback while the fault is set: the exact
    status, in time, a tagged log line matching pattern, no login kept,
    and a page served at once afterwards."""
    start = start or (SITES_CGI if endpoint == "resources" else CGI)
    b, q, cb = H.pending(httpd, start)
    mark = httpd.log_mark()
    t0 = time.monotonic()
    r = b.get(cb, timeout=30)
    elapsed = time.monotonic() - t0
    assert r.status == status, r
    assert elapsed < TIMEOUT + 1, elapsed
    assert (r.header("Content-Type") or "").startswith("text/html"), r.headers
    assert "no-store" in (r.header("Cache-Control") or "")
    text = httpd.wait_log(r"ATL00040:", mark)
    lines = [l for l in text.splitlines() if "ATL00040:" in l]
    assert len(lines) == 1, text
    assert re.search(r"\[auth_atlassian:warn\]", lines[0]), lines[0]
    assert re.search(pattern, lines[0], re.I), (pattern, lines[0])
    for t in fake.tokens_issued + fake.codes_issued:
        assert t not in lines[0]
    # No stuck worker: a page right after is answered at once.
    t0 = time.monotonic()
    page = httpd.browser().get("/public/ok.txt", timeout=5)
    assert page.status == 200 and time.monotonic() - t0 < 1.0
    # Nothing was stored: the browser is still not logged in.
    fake.clear_failure()
    r = b.get(start)
    assert r.status == 302 and r.location.startswith(fake.urls()["authorize"]), r
    return lines[0]


@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_stall_mid_body(httpd, fake, endpoint):
    fake.fault(endpoint, "stall", seconds=20)
    attempt(httpd, fake, endpoint, 504, r"timeout after 2000 ms")


@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_slow_body(httpd, fake, endpoint):
    fake.fault(endpoint, "slow", interval=0.3)
    attempt(httpd, fake, endpoint, 504, r"timeout after 2000 ms")


@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_reset(httpd, fake, endpoint):
    fake.fault(endpoint, "reset")
    attempt(httpd, fake, endpoint, 502, r"reset by peer")


@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_redirect_not_followed(httpd, fake, endpoint):
    fake.fault(endpoint, "redirect")
    line = attempt(httpd, fake, endpoint, 502, r"answered 302.*redirect.*not followed")
    assert "/_trap" not in line
    assert [r for r in fake.requests() if r["path"].startswith("/_trap")] == []


@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_rate_limited(httpd, fake, endpoint):
    fake.fault(endpoint, "rate_limit", retry_after=42)
    attempt(httpd, fake, endpoint, 502, r"answered 429.*rate limit.*Retry-After: 42")


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("endpoint", ["token", "me", "resources"])
def test_oversize(httpd, fake, endpoint, chunked):
    fake.fault(endpoint, "oversize", chunked=chunked)
    attempt(httpd, fake, endpoint, 502, r"too large \(over 262144 bytes\)")


@pytest.mark.parametrize("raw", ["c328", "ff", "c0af", "eda080", "f4908080", "e282"])
def test_invalid_utf8_in_profile(httpd, fake, raw):
    fake.fault("me", "bad_utf8", bytes=raw)
    attempt(httpd, fake, "me", 502, r"profile endpoint .*not valid UTF-8")


@pytest.mark.parametrize("endpoint, field", [("token", "scope"), ("token", "access_token"),
                                             ("resources", "name"), ("me", "account_id"),
                                             ("me", "email")])
def test_invalid_utf8_elsewhere(httpd, fake, endpoint, field):
    fake.fault(endpoint, "bad_utf8", field=field, bytes="eda080")
    attempt(httpd, fake, endpoint, 502, r"not valid UTF-8")


@pytest.mark.parametrize("listener", ["untrusted", "wrong_host"])
@pytest.mark.parametrize("endpoint", ["token", "me"])
def test_bad_certificate(make_httpd, fake, endpoint, listener):
    key = {"token": "token", "me": "profile"}[endpoint]
    h = make_httpd(server_extra="AtlassianTimeout 2",
                   urls={key: fake.urls(listener)[key]})
    pattern = (r"TLS: .*(certificate|issuer)" if listener == "untrusted"
               else r"TLS: .*(subject name|host name|does not match)")
    attempt(h, fake, endpoint, 502, pattern)
    assert fake.requests(PATHS[endpoint]) == []


@pytest.mark.parametrize("endpoint", ["me", "resources"])
def test_gateway_scope_message(httpd, fake, endpoint):
    # The API gateway's own refusal, as it answers a token without the
    # scope: the administrator reads its message, not only the status.
    fake.fault(endpoint, "status", status=401,
               body={"code": 401, "message": "Unauthorized; scope does not match"})
    line = attempt(httpd, fake, endpoint, 502,
                   r"answered 401 \(message: Unauthorized; scope does not match\): "
                   r"the token lacks a scope this call needs; check AtlassianScope")
    assert "read:me" in line
