# SPDX-License-Identifier: Apache-2.0
"""The failures the Atlassian stand-in can inject (fake_faults.py), seen
from a plain client: each one does on the wire what its name says, so the
module's fault tests (test_faults.py) prove what they claim."""

import http.client
import json
import socket
import ssl
import time

import pytest

import atlharness as H
from test_fake import authorize, call, code_of, control, token


def login_token(fake, certs):
    s, h, _ = authorize(fake, certs)
    s, t = token(fake, certs, grant_type="authorization_code", code=code_of(h),
                 redirect_uri="http://127.0.0.1:9/cb")
    assert s == 200, t
    return t["access_token"]


def raw_get(fake, certs, path, at, budget=10.0):
    """GET over TLS with a raw socket, reading for at most budget seconds
    in all: (bytes received, exception or None)."""
    ctx = ssl.create_default_context(cafile=certs["ca"])
    raw = socket.create_connection(("127.0.0.1", fake.port), timeout=budget)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    got, err = b"", None
    deadline = time.monotonic() + budget
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                   % (path, at)).encode())
        while True:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (OSError, ssl.SSLError) as e:
        err = e
    finally:
        s.close()
    return got, err


def test_reset_sends_rst(certs):
    # Python's TLS client reports a reset as a clean end, so look at the
    # TCP level: the same code answers with TLS and without.
    import fake_atlassian
    f = fake_atlassian.start(port=0, tls=False)
    try:
        f.fault("me", "reset", times=1)
        with socket.create_connection(("127.0.0.1", f.port), timeout=5) as s:
            s.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\n\r\n")
            with pytest.raises(ConnectionResetError):
                s.recv(100)
        with socket.create_connection(("127.0.0.1", f.port), timeout=5) as s:
            s.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 401 ")
        assert [r["path"] for r in f.requests()] == ["/me", "/me"]
    finally:
        f.stop()


def test_stall_sends_part_of_the_body(fake, certs):
    at = login_token(fake, certs)
    control(fake, certs, {"fault": {"me": {"mode": "stall", "after_bytes": 10}}})
    t0 = time.monotonic()
    got, err = raw_get(fake, certs, "/me", at, budget=1.5)
    assert isinstance(err, (socket.timeout, TimeoutError)), err
    assert time.monotonic() - t0 >= 1.4
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and len(body) == 10
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")]
                 [0].split(b":")[1])
    assert length > 100


def test_slow_sends_byte_by_byte(fake, certs):
    at = login_token(fake, certs)
    control(fake, certs, {"fault": {"me": {"mode": "slow", "interval": 0.2}}})
    got, err = raw_get(fake, certs, "/me", at, budget=1.1)
    assert isinstance(err, (socket.timeout, TimeoutError)), err
    assert got.startswith(b"HTTP") and 2 <= len(got) <= 6, got


def test_redirect_rate_limit_status(fake, certs):
    at = login_token(fake, certs)
    auth = {"Authorization": "Bearer " + at}
    control(fake, certs, {"fault": {"me": {"mode": "redirect"},
                                    "resources": {"mode": "rate_limit", "retry_after": 7},
                                    "/authorize": {"mode": "status", "status": 500}}})
    s, h, _ = call(fake, certs, "GET", "/me", headers=auth)
    assert s == 302 and h["Location"] == fake.base + "/_trap/me"
    s, h, d = call(fake, certs, "GET", "/oauth/token/accessible-resources", headers=auth)
    assert s == 429 and h["Retry-After"] == "7" and h["X-RateLimit-Remaining"] == "0"
    assert authorize(fake, certs)[0] == 500
    control(fake, certs, {"fault": {"me": None}})
    assert call(fake, certs, "GET", "/me", headers=auth)[0] == 200


@pytest.mark.parametrize("chunked", [False, True])
def test_oversize(fake, certs, chunked):
    at = login_token(fake, certs)
    control(fake, certs, {"fault": {"resources": {"mode": "oversize", "chunked": chunked}}})
    s, h, d = call(fake, certs, "GET", "/oauth/token/accessible-resources",
                   headers={"Authorization": "Bearer " + at})
    assert s == 200 and len(d) > 256 * 1024
    assert ("Content-Length" in h) != chunked
    sites = json.loads(d)
    assert sites[0]["name"] == "acme" and isinstance(sites[-1], str)


def test_bad_utf8(fake, certs):
    at = login_token(fake, certs)
    control(fake, certs, {"fault": {"me": {"mode": "bad_utf8", "bytes": "eda080"}}})
    s, h, d = call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer " + at})
    assert s == 200 and b'"name": "Mia Krystof\xed\xa0\x80"' in d
    with pytest.raises(UnicodeDecodeError):
        d.decode("utf-8")


def test_fail_one_in(fake, certs):
    at = login_token(fake, certs)
    control(fake, certs, {"fail_one_in": 3})
    got = [call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer " + at})[0]
           for _ in range(9)]
    assert got == [200, 200, 503] * 3
    control(fake, certs, {"fail_one_in": 0})
    assert call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer " + at})[0] == 200


def test_fault_only_for_one_grant(fake, certs):
    control(fake, certs, {"fault": {"token": {"mode": "status", "status": 500,
                                              "grant": "refresh_token"}}})
    login_token(fake, certs)     # a code exchange still works
    s, t = token(fake, certs, grant_type="refresh_token", refresh_token="x")
    assert s == 500
    assert [(e["grant_type"], e["result"]) for e in fake.token_log()] == [
        ("authorization_code", "issued"), ("refresh_token", "fault:status")]


@pytest.mark.parametrize("listener, problem", [
    ("untrusted", "CERTIFICATE_VERIFY_FAILED"), ("wrong_host", "match")])
def test_extra_listeners(fake, certs, listener, problem):
    s, _, d = call(fake, certs, "GET", "/_control/listeners")
    ports = json.loads(d)
    assert ports["main"] == fake.port and ports[listener] != fake.port
    ctx = ssl.create_default_context(cafile=certs["ca"])
    c = http.client.HTTPSConnection("127.0.0.1", ports[listener], context=ctx, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError, match=problem):
        c.request("GET", "/")
    c.close()
    # The same endpoints are behind it, for a client that does not check.
    insecure = ssl._create_unverified_context()
    c = http.client.HTTPSConnection("127.0.0.1", ports[listener], context=insecure, timeout=10)
    c.request("GET", "/me")
    assert c.getresponse().status == 401
    c.close()
    assert fake.urls(listener)["profile"] == "https://127.0.0.1:%d/me" % ports[listener]


def test_bad_fault_refused(fake, certs):
    for cmd in ({"fault": {"me": {"mode": "nope"}}}, {"fault": {"nowhere": {"mode": "reset"}}},
                {"fault": {"me": {"mode": "bad_utf8", "bytes": "zz"}}}):
        assert call(fake, certs, "POST", "/_control", cmd)[0] == 400
    assert H.CLIENT_ID    # the harness constants are shared with test_fake
