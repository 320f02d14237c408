# SPDX-License-Identifier: Apache-2.0
"""The fake Atlassian itself: the control API over HTTP, the checks it makes
at /authorize and /oauth/token, rotating refresh tokens. (If the stand-in
were lax, the module's tests would prove nothing.)"""

import http.client
import json
import ssl
import urllib.parse

import pytest

import atlharness as H


def call(fake, certs, method, path, body=None, headers=None):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    c = http.client.HTTPSConnection("127.0.0.1", fake.port, context=ctx, timeout=10)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data
    finally:
        c.close()


def authorize(fake, certs, **over):
    p = {"audience": "api.atlassian.com", "client_id": H.CLIENT_ID, "scope": "read:me",
         "redirect_uri": "http://127.0.0.1:9/cb", "state": "s" * 43,
         "response_type": "code", "prompt": "consent"}
    p.update(over)
    p = {k: v for k, v in p.items() if v is not None}
    return call(fake, certs, "GET", "/authorize?" + urllib.parse.urlencode(p))


def code_of(headers):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)["code"][0]


def token(fake, certs, **body):
    req = {"client_id": H.CLIENT_ID, "client_secret": H.CLIENT_SECRET}
    req.update(body)
    s, h, d = call(fake, certs, "POST", "/oauth/token", req)
    return s, json.loads(d)


@pytest.mark.parametrize("over", [{"audience": None}, {"audience": "x"}, {"client_id": "other"},
                                  {"response_type": "token"}, {"state": None},
                                  {"redirect_uri": None}, {"scope": "openid read:me"}])
def test_authorize_checks(fake, certs, over):
    s, h, d = authorize(fake, certs, **over)
    assert s == 400


def test_code_flow_and_refresh_rotation(fake, certs):
    s, h, _ = authorize(fake, certs, scope="read:me offline_access")
    assert s == 302
    code = code_of(h)
    s, t = token(fake, certs, grant_type="authorization_code", code=code,
                 redirect_uri="http://127.0.0.1:9/other")
    assert s == 403 and t["error"] == "invalid_grant"
    s, t = token(fake, certs, grant_type="authorization_code", code=code,
                 redirect_uri="http://127.0.0.1:9/cb", client_secret="wrong")
    assert s == 401 and t == {"error": "access_denied", "error_description": "Unauthorized"}
    s, t = token(fake, certs, grant_type="authorization_code", code=code,
                 redirect_uri="http://127.0.0.1:9/cb")
    assert s == 200 and t["token_type"] == "Bearer" and t["expires_in"] == 3600
    assert t["scope"] == "read:me offline_access" and t["refresh_token"]
    s, t2 = token(fake, certs, grant_type="authorization_code", code=code,
                  redirect_uri="http://127.0.0.1:9/cb")
    assert s == 403 and t2["error"] == "invalid_grant"
    s, r1 = token(fake, certs, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert s == 200 and r1["refresh_token"] != t["refresh_token"]
    s, r2 = token(fake, certs, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert s == 403
    s, h, d = call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer " + r1["access_token"]})
    assert s == 200 and json.loads(d)["account_id"] == H.DEFAULT_ACCOUNT_ID
    s, h, d = call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer nope"})
    assert s == 401


def test_no_refresh_token_without_offline_access(fake, certs):
    s, h, _ = authorize(fake, certs)
    s, t = token(fake, certs, grant_type="authorization_code", code=code_of(h),
                 redirect_uri="http://127.0.0.1:9/cb")
    assert s == 200 and "refresh_token" not in t


def test_token_needs_json(fake, certs):
    s, h, d = call(fake, certs, "POST", "/oauth/token", body="grant_type=authorization_code",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 415


def test_control_api(fake, certs):
    s, _, _ = call(fake, certs, "POST", "/_control",
                   {"profile": '{"account_id": "raw"', "sites": [],
                    "fail": {"/oauth/token/accessible-resources": {"status": 503, "body": "x",
                                                                    "times": 1}}})
    assert s == 200
    s, h, _ = authorize(fake, certs)
    s, t = token(fake, certs, grant_type="authorization_code", code=code_of(h),
                 redirect_uri="http://127.0.0.1:9/cb")
    auth = {"Authorization": "Bearer " + t["access_token"]}
    assert call(fake, certs, "GET", "/me", headers=auth)[2] == b'{"account_id": "raw"'
    assert call(fake, certs, "GET", "/oauth/token/accessible-resources", headers=auth)[0] == 503
    assert call(fake, certs, "GET", "/oauth/token/accessible-resources", headers=auth)[2] == b"[]"
    s, _, d = call(fake, certs, "GET", "/_control/requests")
    reqs = json.loads(d)
    assert [r["path"] for r in reqs].count("/oauth/token") == 1
    tok = [r for r in reqs if r["path"] == "/oauth/token"][0]
    assert json.loads(tok["body"])["client_secret"] == H.CLIENT_SECRET
    call(fake, certs, "POST", "/_control", {"reset": True})
    assert json.loads(call(fake, certs, "GET", "/_control/requests")[2]) == []


# -- refresh tokens: rotation, reuse, families, options ---------------------------


def offline_login(fake, certs, scope="read:me offline_access"):
    s, h, _ = authorize(fake, certs, scope=scope)
    assert s == 302
    s, t = token(fake, certs, grant_type="authorization_code", code=code_of(h),
                 redirect_uri="http://127.0.0.1:9/cb")
    assert s == 200, t
    return t


def refresh(fake, certs, rt):
    return token(fake, certs, grant_type="refresh_token", refresh_token=rt)


def me(fake, certs, at):
    return call(fake, certs, "GET", "/me", headers={"Authorization": "Bearer " + at})[0]


def control(fake, certs, cmd):
    s, _, d = call(fake, certs, "POST", "/_control", cmd)
    assert s == 200, d


def token_log(fake, certs):
    s, _, d = call(fake, certs, "GET", "/_control/token_log")
    assert s == 200
    return json.loads(d)


INVALID = {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}


def test_refresh_rotates_and_logs(fake, certs):
    t0 = offline_login(fake, certs)
    s, t1 = refresh(fake, certs, t0["refresh_token"])
    assert s == 200 and t1["token_type"] == "Bearer" and t1["expires_in"] == 3600
    assert t1["scope"] == "read:me offline_access"
    assert t1["access_token"] != t0["access_token"]
    assert t1["refresh_token"] not in (t0["refresh_token"], None)
    s, t2 = refresh(fake, certs, t1["refresh_token"])
    assert s == 200
    # Access tokens of the family stay good until they expire.
    assert me(fake, certs, t0["access_token"]) == 200
    assert me(fake, certs, t2["access_token"]) == 200
    log = token_log(fake, certs)
    assert [(e["grant_type"], e["status"], e["result"]) for e in log] == [
        ("authorization_code", 200, "issued"),
        ("refresh_token", 200, "rotated"), ("refresh_token", 200, "rotated")]
    assert log[0]["refresh_token"] is None
    assert [e["refresh_token"] for e in log[1:]] == [
        fake.short_hash(t0["refresh_token"]), fake.short_hash(t1["refresh_token"])]
    assert len(log[1]["refresh_token"]) == 12
    assert t0["refresh_token"] not in json.dumps(log)
    assert fake.refresh_calls() == log[1:]
    assert fake.reused_refresh_tokens() == []


def test_reuse_kills_the_family(fake, certs):
    t0 = offline_login(fake, certs)
    other = offline_login(fake, certs)
    s, t1 = refresh(fake, certs, t0["refresh_token"])
    assert s == 200
    # The rotated token again: refused, and the family dies with it ...
    assert refresh(fake, certs, t0["refresh_token"]) == (403, INVALID)
    # ... so the newest token of that login is refused as well.
    assert refresh(fake, certs, t1["refresh_token"]) == (403, INVALID)
    # Another login's family is untouched.
    assert refresh(fake, certs, other["refresh_token"])[0] == 200
    assert fake.reused_refresh_tokens() == [fake.short_hash(t0["refresh_token"])]
    results = [e["result"] for e in fake.refresh_calls()]
    assert results == ["rotated", "reuse_family_killed", "family_dead", "rotated"]


def test_reuse_window(fake, certs):
    control(fake, certs, {"refresh_reuse_window": 600})
    t0 = offline_login(fake, certs)
    s, t1 = refresh(fake, certs, t0["refresh_token"])
    s, t2 = refresh(fake, certs, t0["refresh_token"])
    assert s == 200 and t2["access_token"] != t1["access_token"]
    assert me(fake, certs, t2["access_token"]) == 200
    # The reuse was allowed, and recorded as one; the family lives.
    assert refresh(fake, certs, t1["refresh_token"])[0] == 200
    assert fake.reused_refresh_tokens() == [fake.short_hash(t0["refresh_token"])]
    assert [e["result"] for e in fake.refresh_calls()] == [
        "rotated", "reuse_allowed", "rotated"]
    # A window that has passed: the reuse kills the family.
    control(fake, certs, {"refresh_reuse_window": 0})
    assert refresh(fake, certs, t0["refresh_token"]) == (403, INVALID)
    assert refresh(fake, certs, t2["refresh_token"]) == (403, INVALID)


def test_refresh_token_omitted_keeps_the_old_one(fake, certs):
    t0 = offline_login(fake, certs)
    control(fake, certs, {"refresh_omit_token": True})
    s, t1 = refresh(fake, certs, t0["refresh_token"])
    assert s == 200 and "refresh_token" not in t1 and t1["access_token"]
    s, t2 = refresh(fake, certs, t0["refresh_token"])
    assert s == 200
    assert [e["result"] for e in fake.refresh_calls()] == ["refresh_token_omitted"] * 2
    assert fake.reused_refresh_tokens() == []


def test_refresh_invalid_grant_for_one_token(fake, certs):
    a = offline_login(fake, certs)
    b = offline_login(fake, certs)
    control(fake, certs, {"refresh_invalid_grant": [fake.short_hash(a["refresh_token"])]})
    assert refresh(fake, certs, a["refresh_token"]) == (403, INVALID)
    assert refresh(fake, certs, b["refresh_token"])[0] == 200
    control(fake, certs, {"refresh_invalid_grant": "*"})
    c = offline_login(fake, certs)
    assert refresh(fake, certs, c["refresh_token"]) == (403, INVALID)
    control(fake, certs, {"refresh_invalid_grant": []})
    assert refresh(fake, certs, c["refresh_token"])[0] == 200
    assert "invalid_grant_forced" in [e["result"] for e in fake.refresh_calls()]


def test_refresh_unknown_and_wrong_client(fake, certs):
    t0 = offline_login(fake, certs)
    assert refresh(fake, certs, "atl-rt-made-up") == (403, INVALID)
    s, t = token(fake, certs, grant_type="refresh_token", refresh_token=t0["refresh_token"],
                 client_secret="wrong")
    assert s == 401 and t["error"] == "access_denied"
    # A refused client does not use the token up.
    assert refresh(fake, certs, t0["refresh_token"])[0] == 200
    assert [(e["status"], e["result"]) for e in fake.refresh_calls()] == [
        (403, "unknown"), (401, "client_auth"), (200, "rotated")]


def test_refresh_fail_503(fake, certs):
    t0 = offline_login(fake, certs)
    control(fake, certs, {"refresh_fail": {"mode": "status", "status": 503, "times": 1}})
    assert refresh(fake, certs, t0["refresh_token"])[0] == 503
    # Code exchanges are not affected; the failed call did not use the
    # token up, so the next refresh works.
    offline_login(fake, certs)
    assert refresh(fake, certs, t0["refresh_token"])[0] == 200
    assert [e["result"] for e in fake.refresh_calls()] == ["fault:status", "rotated"]


def test_refresh_stall_after_rotation(fake, certs):
    """A stall delivers half of the real answer: the token did rotate, so
    trying the old one again is a reuse."""
    t0 = offline_login(fake, certs)
    control(fake, certs, {"refresh_fail": {"mode": "stall", "seconds": 1, "times": 1}})
    with pytest.raises(http.client.IncompleteRead):
        refresh(fake, certs, t0["refresh_token"])
    offline_login(fake, certs)
    assert refresh(fake, certs, t0["refresh_token"]) == (403, INVALID)
    assert [(e["result"], e["fault"]) for e in fake.refresh_calls()] == [
        ("rotated", "stall"), ("reuse_family_killed", None)]
    assert fake.reused_refresh_tokens() == [fake.short_hash(t0["refresh_token"])]


def test_access_token_expiry(fake, certs):
    control(fake, certs, {"expires_in": 1})
    t0 = offline_login(fake, certs)
    assert t0["expires_in"] == 1
    assert me(fake, certs, t0["access_token"]) == 200
    import time
    time.sleep(1.2)
    assert me(fake, certs, t0["access_token"]) == 401
    auth = {"Authorization": "Bearer " + t0["access_token"]}
    assert call(fake, certs, "GET", "/oauth/token/accessible-resources", headers=auth)[0] == 401
    control(fake, certs, {"expires_in": 3600})
    s, t1 = refresh(fake, certs, t0["refresh_token"])
    assert me(fake, certs, t1["access_token"]) == 200
    control(fake, certs, {"expire_access_tokens": True})
    assert me(fake, certs, t1["access_token"]) == 401
    # Tokens issued afterwards are not affected.
    s, t2 = refresh(fake, certs, t1["refresh_token"])
    assert me(fake, certs, t2["access_token"]) == 200


def test_script_makes_certificates_and_takes_the_callback(tmp_path):
    """As a script (README "Try it without an Atlassian account"): it makes
    its CA, prints the directives for the module, and accepts only the
    callback URL it was given."""
    import os
    import re
    import signal
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    port = H.free_port()
    cb = "http://127.0.0.1:8080/protected/oauth2callback"
    proc = subprocess.Popen([sys.executable, os.path.join(here, "lib", "fake_atlassian.py"),
                             "--port", str(port), "--make-certs", str(tmp_path / "certs"),
                             "--redirect-uri", cb, "--auto-approve"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(9)]
        text = "".join(lines)
        ca = str(tmp_path / "certs" / "ca.pem")
        assert "AtlassianCAFile        %s\n" % ca in text, text
        assert "AtlassianTokenURL      https://127.0.0.1:%d/oauth/token\n" % port in text, text
        assert re.search(r"^AtlassianClientSecret  file:", text, re.M), text

        class Fake:
            pass
        f = Fake()
        f.port = port
        certs = {"ca": ca}
        status, _, body = authorize(f, certs, redirect_uri="http://127.0.0.1:9/other")
        assert status == 400 and b"not registered" in body, body
        status, headers, _ = authorize(f, certs, redirect_uri=cb)
        assert status == 302 and headers["Location"].startswith(cb + "?code="), headers
    finally:
        # Generous: on a loaded machine the stand-in's threads take a while
        # to stop; a stand-in that never stops still fails the test.
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
