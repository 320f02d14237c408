#!/usr/bin/python3
"""A stand-in for Atlassian's OAuth 2.0 (3LO) endpoints, for tests and the demo.

It speaks Atlassian's OAuth 2.0 authorization code grant ("3LO") as
Atlassian documents it, on 127.0.0.1:

  GET  /authorize                         consent page (or an immediate 302
                                          with auto_approve)
  POST /authorize/decide                  the consent form: 302 to redirect_uri
  POST /oauth/token                       code exchange, refresh (JSON body)
  GET  /me                                the profile (Bearer token)
  GET  /oauth/token/accessible-resources  the sites (Bearer token)

and a control API on the same server, so that a test in another process
can drive it:

  POST /_control           JSON object, any of:
      {"reset": true}                  forget codes, tokens, failures, requests
      {"profile": "<raw text>"|{...}}  what /me answers for the next logins
      {"sites": "<raw text>"|[...]}    what accessible-resources answers
      {"auto_approve": true|false}
      {"expires_in": 3600}             expires_in of the next tokens
      {"fail": {"/oauth/token": {"status": 500, "body": "...",
                                 "delay": 6, "content_type": "...",
                                 "times": 1}}}
                                       (a path mapped to null clears it)
  GET  /_control/requests  the recorded requests (method, path, query,
                           headers, body) as JSON

Usable as a library (start(...) returns a running FakeAtlassian) or as a
script, next to an apache2 of your own:

  python3 tests/fake_atlassian.py --port 9443 --make-certs /tmp/fake-certs \
      --redirect-uri https://app.example.test/protected/oauth2callback

makes a test CA and a certificate for 127.0.0.1 in /tmp/fake-certs (with
the openssl command), serves HTTPS with them, accepts only that callback URL
(as the developer console accepts only the registered ones; repeat the
option for several, leave it out to accept any), and prints the Atlassian*
directives that point the module at it. --tls-cert and --tls-key serve
certificates of your own instead; neither option serves plain HTTP.
--auto-approve skips the consent page. Stop it with Ctrl-C.
Only the Python 3 standard library and the openssl command are used.
"""

import argparse
import html
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fake_products

# Atlassian's documented /me example.
DEFAULT_PROFILE = {
    "account_type": "atlassian",
    "account_id": "112233aa-bb11-cc22-33dd-445566abcabc",
    "email": "mia@example.com",
    "name": "Mia Krystof",
    "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/112233aa/1234abcd",
    "account_status": "active",
    "nickname": "mkrystof",
    "zoneinfo": "Australia/Sydney",
    "locale": "en-US",
    "extended_profile": {
        "job_title": "Designer",
        "organization": "mia@example.com",
        "department": "Design team",
        "location": "Sydney",
    },
}

DEFAULT_SITES = [
    {
        "id": "1324a887-45db-1bf4-1e99-ef0ff456d421",
        "name": "acme",
        "url": "https://acme.atlassian.net",
        "scopes": ["read:jira-user", "read:jira-work"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png",
    },
    {
        "id": "8f2c6a31-0b7e-4c5d-9a21-3e4f5a6b7c8d",
        "name": "Globex Wiki",
        "url": "https://globex.atlassian.net",
        "scopes": ["read:confluence-content.summary"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
    },
]

DEFAULT_CLIENT_ID = "test-client-id"
DEFAULT_CLIENT_SECRET = "test-client-secret-0123456789"

MAX_BODY = 1024 * 1024
MAX_RECORDED = 2000


def _raw(value):
    """A profile or sites value given as raw text or as a JSON value."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return json.dumps(value).encode()


def make_certs(directory):
    """Create with the openssl CLI, in directory: a test CA (ca.pem), a
    server certificate for IP:127.0.0.1 and DNS:localhost signed by it
    (server.pem, server.key), and an unrelated CA (wrong-ca.pem).
    Returns a dict of the paths."""
    os.makedirs(directory, exist_ok=True)
    p = {name: os.path.join(directory, name) for name in (
        "ca.pem", "ca.key", "server.pem", "server.key", "server.csr",
        "wrong-ca.pem", "wrong-ca.key", "req.cnf", "ext.cnf")}
    with open(p["req.cnf"], "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n")
    with open(p["ext.cnf"], "w") as f:
        f.write("basicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = IP:127.0.0.1,DNS:localhost\n")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    for ca, name in (("ca", "Fake Atlassian Test CA"), ("wrong-ca", "Unrelated Test CA")):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", p[ca + ".key"], "-out", p[ca + ".pem"], "-days", "30",
            "-config", p["req.cnf"], "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", p["server.key"], "-out", p["server.csr"],
        "-config", p["req.cnf"], "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", p["server.csr"], "-CA", p["ca.pem"], "-CAkey", p["ca.key"],
        "-set_serial", str(secrets.randbits(63)), "-days", "30",
        "-extfile", p["ext.cnf"], "-out", p["server.pem"])
    for name in ("ca.pem", "wrong-ca.pem", "server.pem"):
        os.chmod(p[name], 0o644)
    return {"ca": p["ca.pem"], "wrong_ca": p["wrong-ca.pem"],
            "cert": p["server.pem"], "key": p["server.key"], "dir": directory}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, fake, ssl_context):
        self.fake = fake
        self.ssl_context = ssl_context
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread,
        # so that a slow or failing client never blocks the accept loop.
        sock = request
        if self.ssl_context is not None:
            request.settimeout(15)
            try:
                sock = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            self.RequestHandlerClass(sock, client_address, self)
        finally:
            if sock is not request:
                try:
                    sock.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        # Clients that hang up (timeouts in the module) are expected.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAtlassian/1.0"

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake-atlassian: " + (fmt % args) + "\n")

    # -- plumbing ---------------------------------------------------------

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            return b""
        if n < 0 or n > MAX_BODY:
            return b""
        return self.rfile.read(n)

    def _send(self, status, body=b"", content_type="application/json",
              headers=()):
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except OSError:
                pass

    def _redirect(self, location):
        self._send(302, b"", content_type=None, headers=[("Location", location)])

    def _dispatch(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        body = self._read_body() if self.command == "POST" else b""
        path = url.path
        if not path.startswith("/_control"):
            fake._record(self.command, path, url.query, self.headers, body)
            failure = fake._take_failure(path)
            if failure is not None:
                delay = float(failure.get("delay", 0) or 0)
                if delay > 0:
                    time.sleep(min(delay, 120))
                if "status" in failure or "body" in failure:
                    return self._send(int(failure.get("status", 200)),
                                      _raw(failure.get("body", b"")),
                                      failure.get("content_type", "application/json"))
        if path.startswith("/ex/") or path == "/_control/products":
            return fake_products.dispatch(self, url)
        routes = {
            ("GET", "/authorize"): self._authorize,
            ("POST", "/authorize/decide"): self._decide,
            ("POST", "/oauth/token"): self._token,
            ("GET", "/me"): self._me,
            ("GET", "/oauth/token/accessible-resources"): self._resources,
            ("POST", "/_control"): self._control,
            ("GET", "/_control/requests"): self._control_requests,
            ("GET", "/"): self._home,
        }
        handler = routes.get((self.command, path))
        if handler is None:
            return self._send(404, {"error": "not_found"})
        return handler(url, body)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_HEAD(self):
        self._send(405, b"")

    # -- endpoints --------------------------------------------------------

    def _home(self, url, body):
        self._send(200, "<!doctype html><title>Fake Atlassian</title>"
                   "<p>Fake Atlassian for mod_auth_atlassian tests.</p>",
                   "text/html; charset=utf-8")

    def _error_page(self, status, message):
        page = ("<!doctype html><html><head><title>Something went wrong"
                "</title></head><body><h1>Something went wrong</h1><p>%s</p>"
                "</body></html>" % html.escape(message))
        self._send(status, page, "text/html; charset=utf-8")

    def _authorize(self, url, body):
        fake = self.server.fake
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        problems = []
        for name in ("audience", "client_id", "scope", "redirect_uri", "state",
                     "response_type"):
            if len(q.get(name, [])) != 1 or not q[name][0]:
                problems.append("missing or repeated parameter %s" % name)
        if problems:
            return self._error_page(400, "; ".join(problems))
        p = {k: v[0] for k, v in q.items()}
        if p["audience"] != "api.atlassian.com":
            return self._error_page(400, "audience must be api.atlassian.com")
        if p["client_id"] != fake.client_id:
            return self._error_page(400, "unknown client_id")
        if p["response_type"] != "code":
            return self._error_page(400, "response_type must be code")
        if fake.allowed_redirect_uris and p["redirect_uri"] not in fake.allowed_redirect_uris:
            # As Atlassian does: a mismatch never goes back to the app.
            return self._error_page(400, "redirect_uri is not registered for this app")
        ru = urllib.parse.urlsplit(p["redirect_uri"])
        if ru.scheme not in ("http", "https") or not ru.netloc:
            return self._error_page(400, "redirect_uri must be an absolute URL")
        scopes = p["scope"].split(" ")
        if "openid" in scopes:
            return self._error_page(400, "scope openid is not supported")
        if fake.auto_approve:
            return self._redirect(fake._approve(p))
        rid = fake._pending_consent(p)
        items = "".join("<li><code>%s</code></li>" % html.escape(s) for s in scopes if s)
        profile = fake._profile_preview()
        page = """<!doctype html>
<html><head><meta charset="utf-8"><title>Authorize access - Fake Atlassian</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}
button{font-size:1.1em;padding:.4em 1.2em;margin-right:1em}</style></head>
<body><h1>Fake Atlassian</h1>
<p>You are signed in as <b>%s</b>.</p>
<p>The application <b>%s</b> wants to:</p>
<ul>%s</ul>
<p>It will be sent back to <code>%s</code>.</p>
<form method="post" action="/authorize/decide">
<input type="hidden" name="request" value="%s">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>
""" % (html.escape(profile), html.escape(p["client_id"]), items,
       html.escape(p["redirect_uri"]), html.escape(rid))
        self._send(200, page, "text/html; charset=utf-8")

    def _decide(self, url, body):
        fake = self.server.fake
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        rid = form.get("request", [""])[0]
        decision = form.get("decision", [""])[0]
        p = fake._take_consent(rid)
        if p is None:
            return self._error_page(400, "this authorization request has expired")
        if decision == "allow":
            return self._redirect(fake._approve(p))
        return self._redirect(fake._deny_url(p))

    def _token(self, url, body):
        fake = self.server.fake
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self._send(415, {"error": "invalid_request",
                                    "error_description": "Content-Type must be application/json"})
        try:
            req = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self._send(400, {"error": "invalid_request",
                                    "error_description": "body is not JSON"})
        if not isinstance(req, dict):
            return self._send(400, {"error": "invalid_request",
                                    "error_description": "body is not a JSON object"})
        if req.get("client_id") != fake.client_id or req.get("client_secret") != fake.client_secret:
            return self._send(401, {"error": "access_denied",
                                    "error_description": "Unauthorized"})
        status, answer = fake._grant(req)
        self._send(status, answer)

    def _bearer(self):
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        return self.server.fake._token_info(auth[len("Bearer "):])

    def _me(self, url, body):
        info = self._bearer()
        if info is None:
            return self._send(401, {"code": 401, "message": "Unauthorized; scope does not match"})
        self._send(200, info["profile"])

    def _resources(self, url, body):
        info = self._bearer()
        if info is None:
            return self._send(401, {"code": 401, "message": "Unauthorized"})
        self._send(200, info["sites"])

    def _control(self, url, body):
        try:
            cmd = json.loads(body.decode("utf-8"))
            if not isinstance(cmd, dict):
                raise ValueError("not an object")
            self.server.fake.control(cmd)
        except (ValueError, UnicodeDecodeError, TypeError) as e:
            return self._send(400, {"error": str(e)})
        self._send(200, {"ok": True})

    def _control_requests(self, url, body):
        self._send(200, self.server.fake.requests())


class FakeAtlassian:
    """The server's state; thread-safe. Tests running in the same process
    call the methods directly; others use the control API."""

    def __init__(self, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
                 auto_approve=False, verbose=False):
        self.client_id = client_id
        self.client_secret = client_secret
        self.verbose = verbose
        self._lock = threading.Lock()
        self._initial_auto_approve = auto_approve
        self.allowed_redirect_uris = None
        self._server = None
        self._thread = None
        self.reset()

    # -- control ----------------------------------------------------------

    def reset(self):
        with self._lock:
            self.auto_approve = self._initial_auto_approve
            self.expires_in = 3600
            self._profile = _raw(DEFAULT_PROFILE)
            self._sites = _raw(DEFAULT_SITES)
            self._failures = {}
            self._requests = []
            self._codes = {}
            self._tokens = {}
            self._refresh = {}
            self._consents = {}
            self.codes_issued = []
            self.tokens_issued = []
        fake_products.reset(self)

    def set_profile(self, value):
        """The /me answer for the next logins: raw text/bytes or a JSON value."""
        with self._lock:
            self._profile = _raw(value)

    def set_sites(self, value):
        with self._lock:
            self._sites = _raw(value)

    def fail(self, path, status=None, body=None, delay=0, content_type="application/json",
             times=None):
        """Make path answer status/body (raw) after delay seconds, for the
        next `times` requests (None: until cleared). status None with a
        delay only delays the normal answer."""
        f = {"delay": delay, "content_type": content_type}
        if status is not None:
            f["status"] = status
            f["body"] = b"" if body is None else body
        if times is not None:
            f["times"] = int(times)
        with self._lock:
            self._failures[path] = f

    def clear_failure(self, path=None):
        with self._lock:
            if path is None:
                self._failures.clear()
            else:
                self._failures.pop(path, None)

    def control(self, cmd):
        if cmd.get("reset"):
            self.reset()
        if "profile" in cmd:
            self.set_profile(cmd["profile"])
        if "sites" in cmd:
            self.set_sites(cmd["sites"])
        if "auto_approve" in cmd:
            self.auto_approve = bool(cmd["auto_approve"])
        if "expires_in" in cmd:
            self.expires_in = int(cmd["expires_in"])
        fake_products.control(self, cmd)
        for path, f in (cmd.get("fail") or {}).items():
            if f is None:
                self.clear_failure(path)
            else:
                self.fail(path, status=f.get("status"), body=f.get("body"),
                          delay=float(f.get("delay", 0) or 0),
                          content_type=f.get("content_type", "application/json"),
                          times=f.get("times"))

    def requests(self, path=None):
        with self._lock:
            reqs = list(self._requests)
        if path is not None:
            reqs = [r for r in reqs if r["path"] == path]
        return reqs

    # -- internals used by the handler -------------------------------------

    def _record(self, method, path, query, headers, body):
        with self._lock:
            if len(self._requests) < MAX_RECORDED:
                self._requests.append({
                    "method": method, "path": path, "query": query,
                    "headers": [[k, v] for k, v in headers.items()],
                    "body": body.decode("utf-8", "replace"),
                    "time": time.time()})

    def _take_failure(self, path):
        with self._lock:
            f = self._failures.get(path)
            if f is None:
                return None
            if "times" in f:
                f["times"] -= 1
                if f["times"] <= 0:
                    del self._failures[path]
            return dict(f)

    def _pending_consent(self, params):
        rid = secrets.token_urlsafe(16)
        with self._lock:
            if len(self._consents) > 1000:
                self._consents.clear()
            self._consents[rid] = params
        return rid

    def _take_consent(self, rid):
        with self._lock:
            return self._consents.pop(rid, None)

    def _profile_preview(self):
        with self._lock:
            raw = self._profile
        try:
            prof = json.loads(raw)
            return "%s <%s>" % (prof.get("name", "?"), prof.get("email", "?"))
        except (ValueError, AttributeError):
            return "(a test profile)"

    @staticmethod
    def _add_query(uri, params):
        sep = "&" if urllib.parse.urlsplit(uri).query else "?"
        return uri + sep + urllib.parse.urlencode(params)

    def _approve(self, p):
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"redirect_uri": p["redirect_uri"], "scope": p["scope"],
                                 "profile": self._profile, "sites": self._sites,
                                 "used": False}
            self.codes_issued.append(code)
        return self._add_query(p["redirect_uri"], [("code", code), ("state", p["state"])])

    def _deny_url(self, p):
        return self._add_query(p["redirect_uri"], [
            ("error", "access_denied"),
            ("error_description", "The user did not grant access"),
            ("state", p["state"])])

    def _issue(self, grant):
        token = "atl-at-" + secrets.token_urlsafe(32)
        answer = {"access_token": token, "expires_in": self.expires_in, "scope": grant["scope"],
                  "token_type": "Bearer"}
        self._tokens[token] = grant
        self.tokens_issued.append(token)
        if "offline_access" in grant["scope"].split(" "):
            rt = "atl-rt-" + secrets.token_urlsafe(32)
            self._refresh[rt] = grant
            answer["refresh_token"] = rt
            self.tokens_issued.append(rt)
        return answer

    def _grant(self, req):
        gt = req.get("grant_type")
        with self._lock:
            if gt == "authorization_code":
                code = req.get("code")
                c = self._codes.get(code) if isinstance(code, str) else None
                if c is None or c["used"]:
                    if c is not None:
                        # A replayed code revokes what it produced (RFC 6749 4.1.2).
                        for t in [t for t, g in self._tokens.items() if g is c]:
                            del self._tokens[t]
                    return 403, {"error": "invalid_grant",
                                 "error_description": "Unknown or invalid authorization code."}
                if req.get("redirect_uri") != c["redirect_uri"]:
                    return 403, {"error": "invalid_grant",
                                 "error_description": "redirect_uri does not match"}
                c["used"] = True
                return 200, self._issue(c)
            if gt == "refresh_token":
                rt = req.get("refresh_token")
                g = self._refresh.pop(rt, None) if isinstance(rt, str) else None
                if g is None:
                    return 403, {"error": "invalid_grant",
                                 "error_description": "Unknown or invalid refresh token."}
                return 200, self._issue(g)
        return 400, {"error": "unsupported_grant_type",
                     "error_description": "grant_type must be authorization_code or refresh_token"}

    def _token_info(self, token):
        with self._lock:
            return self._tokens.get(token)

    # -- life cycle ---------------------------------------------------------

    def start(self, port=0, tls=True, certs=None, host="127.0.0.1"):
        ctx = None
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certs["cert"], certs["key"])
        self._server = _Server((host, port), _Handler, self, ctx)
        self.port = self._server.server_address[1]
        self.tls = tls
        self.base = "%s://%s:%d" % ("https" if tls else "http", host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="fake-atlassian", daemon=True)
        self._thread.start()
        return self

    def urls(self):
        return {"authorize": self.base + "/authorize",
                "token": self.base + "/oauth/token",
                "profile": self.base + "/me",
                "resources": self.base + "/oauth/token/accessible-resources"}

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(10)
            self._server = None


def start(port=0, tls=True, certs=None, **kwargs):
    """Start a fake Atlassian on 127.0.0.1 (a free port when port is 0)."""
    return FakeAtlassian(**kwargs).start(port=port, tls=tls, certs=certs)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="A stand-in for Atlassian's OAuth 2.0 (3LO) endpoints on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    ap.add_argument("--make-certs", metavar="DIR",
                    help="make a test CA and a certificate for 127.0.0.1 in DIR "
                         "and serve HTTPS with them")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="... and this key (PEM)")
    ap.add_argument("--redirect-uri", action="append", metavar="URL",
                    help="a callback URL the stand-in accepts (repeatable; "
                         "default: any absolute URL)")
    ap.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    ap.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    ap.add_argument("--auto-approve", action="store_true",
                    help="no consent page: approve at once")
    args = ap.parse_args(argv)
    ca = None
    if args.make_certs:
        if args.tls_cert or args.tls_key:
            ap.error("--make-certs and --tls-cert/--tls-key exclude each other")
        certs = make_certs(os.path.abspath(args.make_certs))
        ca = certs["ca"]
    elif args.tls_cert and args.tls_key:
        certs = {"cert": args.tls_cert, "key": args.tls_key}
    elif args.tls_cert or args.tls_key:
        ap.error("--tls-cert and --tls-key go together")
    else:
        certs = None
    fake = FakeAtlassian(client_id=args.client_id, client_secret=args.client_secret,
                         auto_approve=args.auto_approve, verbose=True)
    if args.redirect_uri:
        fake.allowed_redirect_uris = list(args.redirect_uri)
    fake.start(port=args.port, tls=certs is not None, certs=certs)
    u = fake.urls()
    print("fake Atlassian listening on %s" % fake.base)
    print("# For the module; put the client secret (%s) in the file first:"
          % args.client_secret)
    print("AtlassianClientID      %s" % args.client_id)
    print("AtlassianClientSecret  file:/etc/apache2/atlassian-client.secret")
    for name, key in (("AtlassianAuthorizeURL", "authorize"), ("AtlassianTokenURL", "token"),
                      ("AtlassianProfileURL", "profile"),
                      ("AtlassianResourcesURL", "resources")):
        print("%-22s %s" % (name, u[key]))
    if ca:
        print("AtlassianCAFile        %s" % ca)
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
