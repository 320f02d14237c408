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
    proc = subprocess.Popen([sys.executable, os.path.join(here, "fake_atlassian.py"),
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
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
