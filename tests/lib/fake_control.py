# SPDX-License-Identifier: Apache-2.0
"""The control API of the Atlassian stand-in (fake_atlassian.py): how a
test in another process drives it, on the stand-in's own port.

  POST /_control           JSON object, any of:
      {"reset": true}                  forget codes, tokens, faults, logs
      {"profile": "<raw text>"|{...}}  what /me answers for the next logins
      {"sites": "<raw text>"|[...]}    what accessible-resources answers
      {"user": "<name>"}               the profile of fake_data.USERS[name]
                                       for the next logins
      {"auto_approve": true|false}
      {"expires_in": 3600}             expires_in of the next access tokens
      {"expire_access_tokens": true}   every access token issued so far
                                       expires now (bearer calls get 401)
      {"fail": {"/oauth/token": {"status": 500, "body": "...",
                                 "delay": 6, "content_type": "...",
                                 "times": 1}}}
                                       (a path mapped to null clears it)
      {"fault": {"token"|"me"|"resources"|"<path>": {"mode": ..., ...}}}
                                       a fault of fake_faults.py (null
                                       clears it)
      {"fail_one_in": N}               one call in N to the token, profile
                                       and resources endpoints answers 503
                                       (0: off)
      {"refresh_reuse_window": s}      a rotated refresh token still works
                                       for s seconds (default 0)
      {"refresh_omit_token": true}     refresh answers carry no refresh_token
      {"omit_expires_in": true}        token answers carry no expires_in
      {"refresh_invalid_grant": [...]} refresh tokens (whole or short hash;
                                       "*" for all) answered invalid_grant
      {"refresh_fail": {fault}|null}   a fault for refresh grants only
  GET  /_control/requests  the recorded requests (method, path, query,
                           headers, body) as JSON
  GET  /_control/token_log every token call: grant_type, refresh_token
                           (short hash), status, result, reuse, time
  GET  /_control/listeners the ports: main, and with make_certs' extra
                           certificates "untrusted" (a certificate of an
                           unknown CA) and "wrong_host" (the test CA's, for
                           another host name)

Only the Python 3 standard library is used.
"""

import json

import fake_faults
import fake_products
from fake_data import USERS
from fake_tokens import short_hash


def control(fake, cmd):
    """Carry out one command object (see above) on a FakeAtlassian. Raises
    ValueError (or TypeError) for a malformed one: the API answers 400."""
    if cmd.get("reset"):
        fake.reset()
    if "profile" in cmd:
        fake.set_profile(cmd["profile"])
    if "sites" in cmd:
        fake.set_sites(cmd["sites"])
    if "user" in cmd:
        if cmd["user"] not in USERS:
            raise ValueError("no user %r in fake_data.USERS" % (cmd["user"],))
        fake.set_profile(USERS[cmd["user"]])
    if "auto_approve" in cmd:
        fake.auto_approve = bool(cmd["auto_approve"])
    fake_products.control(fake, cmd)
    for path, f in (cmd.get("fail") or {}).items():
        if f is None:
            fake.clear_failure(path)
        else:
            fake.fail(path, status=f.get("status"), body=f.get("body"),
                      delay=float(f.get("delay", 0) or 0),
                      content_type=f.get("content_type", "application/json"),
                      times=f.get("times"))
    for endpoint, f in (cmd.get("fault") or {}).items():
        if f is None:
            fake.fault(endpoint, None)
        else:
            f = fake_faults.check_spec(f)
            fake.fault(endpoint, **f)
    if "refresh_fail" in cmd:
        f = cmd["refresh_fail"]
        fake.refresh_fault(**(fake_faults.check_spec(f) if f is not None else {}))
    with fake._lock:
        if "fail_one_in" in cmd:
            fake.fail_one_in = max(int(cmd["fail_one_in"] or 0), 0)
        t = fake.tokens
        if "expires_in" in cmd:
            t.expires_in = int(cmd["expires_in"])
        if cmd.get("expire_access_tokens"):
            t.expire_access_tokens()
        if "refresh_reuse_window" in cmd:
            t.reuse_window = float(cmd["refresh_reuse_window"])
        if "refresh_omit_token" in cmd:
            t.omit_refresh_token = bool(cmd["refresh_omit_token"])
        if "omit_expires_in" in cmd:
            t.omit_expires_in = bool(cmd["omit_expires_in"])
        if "refresh_invalid_grant" in cmd:
            v = cmd["refresh_invalid_grant"] or []
            if isinstance(v, str):
                v = [v]
            t.invalid_grant = {x if x == "*" or len(x) == 12 else short_hash(x)
                               for x in v}


def dispatch(handler, url, body):
    """Called by the stand-in's request handler for paths under /_control
    (but /_control/products, which fake_products.py serves)."""
    fake = handler.server.fake
    route = (handler.command, url.path)
    if route == ("POST", "/_control"):
        try:
            cmd = json.loads(body.decode("utf-8"))
            if not isinstance(cmd, dict):
                raise ValueError("not an object")
            control(fake, cmd)
        except (ValueError, UnicodeDecodeError, TypeError) as e:
            return handler._send(400, {"error": str(e)})
        return handler._send(200, {"ok": True})
    if route == ("GET", "/_control/requests"):
        return handler._send(200, fake.requests())
    if route == ("GET", "/_control/token_log"):
        return handler._send(200, fake.token_log())
    if route == ("GET", "/_control/listeners"):
        return handler._send(200, fake.listeners())
    return handler._send(404, {"error": "not_found"})
