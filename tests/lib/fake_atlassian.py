#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for Atlassian's OAuth 2.0 (3LO) endpoints, for tests and the demo.

It speaks Atlassian's OAuth 2.0 authorization code grant ("3LO") as
Atlassian documents it, on 127.0.0.1:

  GET  /authorize                         consent page (or an immediate 302
                                          with auto_approve)
  POST /authorize/decide                  the consent form: 302 to redirect_uri
  POST /oauth/token                       code exchange, refresh (JSON body)
  GET  /me                                the profile (Bearer token)
  GET  /oauth/token/accessible-resources  the sites (Bearer token)

Grants, expiry and rotating refresh tokens: see fake_tokens.py. Failures at
the wire level (stalls, resets, slow answers, redirects, 429, oversized or
invalid UTF-8 answers): see fake_faults.py. A control API on the same
server lets a test in another process drive it: see fake_control.py
(POST /_control, GET /_control/requests, /_control/token_log,
/_control/listeners). Defaults and further users in real shapes, with raw
UTF-8 names: see fake_data.py.

Usable as a library (start(...) returns a running FakeAtlassian) or as a
script, next to an apache2 of your own:

  python3 tests/lib/fake_atlassian.py --port 9443 --make-certs /tmp/fake-certs \
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
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fake_control
import fake_faults
import fake_products
from fake_data import DEFAULT_PROFILE, DEFAULT_SITES, dumps  # noqa: F401 (tests use them from here)
from fake_certs import make_certs  # noqa: F401 (tests and the demo use it from here)
from fake_tokens import TokenStore, short_hash

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
    return dumps(value)


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
        with self.fake._lock:
            self.fake.connections_accepted += 1
        # Answers go out at once, not after the client's delayed ACK.
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
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
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, OSError, ValueError)):
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
            body = dumps(body)
        fault = getattr(self, "_fault", None)
        if fault is not None:
            # The endpoint's own answer, sent the way the fault says.
            self._fault = None
            body = fake_faults.transform_body(fault, self._fault_path, body)
            hdrs = [("Server", self.version_string()), ("Date", self.date_time_string())]
            if content_type:
                hdrs.append(("Content-Type", content_type))
            hdrs += [("Cache-Control", "no-store")] + list(headers)
            head, body = fake_faults.raw_answer(status, hdrs, body,
                                                chunked=bool(fault.get("chunked")))
            return fake_faults.deliver(self, fault, head, body, self.server.fake._abort)
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

    def _grant_of(self, body):
        """grant_type and refresh_token of a token request, for faults and
        the token log (None when the body says nothing)."""
        try:
            req = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None, None
        if not isinstance(req, dict):
            return None, None
        return req.get("grant_type"), req.get("refresh_token")

    def _faulted(self, path, body):
        """Apply a fault set for path, if any: True when it answered."""
        fake = self.server.fake
        grant, rt = (None, None)
        if path == fake_faults.ENDPOINTS["token"]:
            grant, rt = self._grant_of(body)
        fault = fake._take_fault(path, grant)
        if fault is None:
            return False
        mode = fault["mode"]
        if path == fake_faults.ENDPOINTS["token"] and mode in fake_faults.REPLACING:
            fake._note_token(grant, rt, fault)
        if mode == "reset":
            fake_faults.reset(self)
            return True
        if mode in fake_faults.REPLACING:
            status, answer, headers = fake_faults.replacement(fault, path, fake.base)
            self._send(status, answer, headers=headers)
            return True
        self._fault = fault
        self._fault_path = path
        return False

    def _dispatch(self):
        fake = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        body = self._read_body() if self.command == "POST" else b""
        path = url.path
        self._fault = None
        if not path.startswith("/_control"):
            fake._record(self.command, path, url.query, self.headers, body)
            if path.startswith("/_trap/"):
                # Where the redirect fault points: nothing should come here.
                return self._send(200, b"{}")
            failure = fake._take_failure(path)
            if failure is not None:
                delay = float(failure.get("delay", 0) or 0)
                if delay > 0:
                    time.sleep(min(delay, 120))
                if "status" in failure or "body" in failure:
                    return self._send(int(failure.get("status", 200)),
                                      _raw(failure.get("body", b"")),
                                      failure.get("content_type", "application/json"))
            if self._faulted(path, body):
                return None
        if path.startswith("/ex/") or path == "/_control/products":
            return fake_products.dispatch(self, url)
        if path.startswith("/_control"):
            return fake_control.dispatch(self, url, body)
        routes = {
            ("GET", "/authorize"): self._authorize,
            ("POST", "/authorize/decide"): self._decide,
            ("POST", "/oauth/token"): self._token,
            ("GET", "/me"): self._me,
            ("GET", "/oauth/token/accessible-resources"): self._resources,
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
            fake._note_token(req.get("grant_type"), req.get("refresh_token"),
                             {"mode": "client_auth", "status": 401})
            return self._send(401, {"error": "access_denied",
                                    "error_description": "Unauthorized"})
        fault = getattr(self, "_fault", None)
        status, answer = fake._grant(req, fault["mode"] if fault else None)
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


class FakeAtlassian:
    """The server's state; thread-safe. Tests running in the same process
    call the methods directly; others use the control API."""

    def __init__(self, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
                 auto_approve=False, verbose=False):
        self.client_id = client_id
        self.client_secret = client_secret
        self.verbose = verbose
        self._lock = threading.Lock()
        self.connections_accepted = 0  # TCP connections, all listeners
        self._initial_auto_approve = auto_approve
        self.allowed_redirect_uris = None
        self._server = None
        self._thread = None
        self._extra = {}            # name -> (server, thread)
        self._abort = threading.Event()
        self.tokens = TokenStore()
        self.reset()

    # -- control ----------------------------------------------------------

    def reset(self):
        with self._lock:
            # Wake up the stalled and slow answers of the previous test.
            self._abort.set()
            self._abort = threading.Event()
            self.auto_approve = self._initial_auto_approve
            self._profile = _raw(DEFAULT_PROFILE)
            self._sites = _raw(DEFAULT_SITES)
            self._failures = {}
            self._faults = {}
            self._refresh_fault = None
            self.fail_one_in = 0
            self._calls = 0
            self._requests = []
            self.tokens.reset()
            self._consents = {}
        fake_products.reset(self)

    # Kept as attributes for the tests that read them.
    @property
    def expires_in(self):
        return self.tokens.expires_in

    @expires_in.setter
    def expires_in(self, value):
        self.tokens.expires_in = int(value)

    @property
    def codes_issued(self):
        return self.tokens.codes_issued

    @property
    def tokens_issued(self):
        return self.tokens.tokens_issued

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
                self._faults.clear()
                self._refresh_fault = None
            else:
                self._failures.pop(path, None)

    def fault(self, endpoint, mode=None, **options):
        """Set a fault of fake_faults.py on endpoint ("token", "me",
        "resources" or a path); mode None clears it."""
        path = fake_faults.endpoint_path(endpoint)
        with self._lock:
            if mode is None:
                self._faults.pop(path, None)
            else:
                self._faults[path] = fake_faults.check_spec(dict(options, mode=mode))

    def refresh_fault(self, mode=None, **options):
        """A fault for refresh_token grants only (mode None clears it)."""
        spec = None if mode is None else fake_faults.check_spec(dict(options, mode=mode))
        with self._lock:
            self._refresh_fault = spec

    def control(self, cmd):
        """Carry out a control API command (see fake_control.py)."""
        fake_control.control(self, cmd)

    def requests(self, path=None):
        with self._lock:
            reqs = list(self._requests)
        if path is not None:
            reqs = [r for r in reqs if r["path"] == path]
        return reqs

    def token_log(self):
        """Every token call: grant_type, refresh_token (short hash), status,
        result, reuse, time."""
        with self._lock:
            return [dict(e) for e in self.tokens.log]

    def refresh_calls(self):
        with self._lock:
            return [dict(e) for e in self.tokens.refresh_calls()]

    def reused_refresh_tokens(self):
        """Short hashes of rotated refresh tokens presented again."""
        with self._lock:
            return self.tokens.reused_refresh_tokens()

    short_hash = staticmethod(short_hash)

    def expire_access_tokens(self):
        with self._lock:
            self.tokens.expire_access_tokens()

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

    def _take_fault(self, path, grant):
        """The fault for this call, if any: a refresh fault, a fault set on
        the path, or the fail_one_in 503."""
        with self._lock:
            f = None
            if grant == "refresh_token" and self._refresh_fault is not None:
                f = self._refresh_fault
                if f.get("times") is not None:
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self._refresh_fault = None
                return dict(f)
            f = self._faults.get(path)
            if f is not None and f.get("grant") not in (None, grant):
                f = None
            if f is not None:
                if f.get("times") is not None:
                    f["times"] -= 1
                    if f["times"] <= 0:
                        del self._faults[path]
                return dict(f)
            if self.fail_one_in and path in fake_faults.ENDPOINTS.values():
                self._calls += 1
                if self._calls % self.fail_one_in == 0:
                    return {"mode": "status", "status": 503, "fail_one_in": True}
            return None

    def _note_token(self, grant, refresh_token, fault):
        with self._lock:
            status = fault.get("status") if fault["mode"] in ("status", "client_auth") else None
            mode = "fail_one_in" if fault.get("fail_one_in") else fault["mode"]
            if mode == "client_auth":
                self.tokens.note(grant, refresh_token, status, mode)
            else:
                self.tokens.note(grant, refresh_token, status, "fault:" + mode, fault=mode)

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
        with self._lock:
            code = self.tokens.new_code({"redirect_uri": p["redirect_uri"],
                                         "scope": p["scope"], "profile": self._profile,
                                         "sites": self._sites})
        return self._add_query(p["redirect_uri"], [("code", code), ("state", p["state"])])

    def _deny_url(self, p):
        return self._add_query(p["redirect_uri"], [
            ("error", "access_denied"),
            ("error_description", "The user did not grant access"),
            ("state", p["state"])])

    def _grant(self, req, fault=None):
        with self._lock:
            return self.tokens.grant(req, fault)

    def _token_info(self, token):
        """The grant (profile, sites, scope) of a valid access token, or
        None when it is unknown or expired."""
        with self._lock:
            return self.tokens.bearer(token)

    # -- life cycle ---------------------------------------------------------

    def _serve(self, host, port, ctx, name):
        server = _Server((host, port), _Handler, self, ctx)
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={"poll_interval": 0.1},
                                  name="fake-atlassian-" + name, daemon=True)
        thread.start()
        return server, thread

    def start(self, port=0, tls=True, certs=None, host="127.0.0.1"):
        ctx = None
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certs["cert"], certs["key"])
        self._server, self._thread = self._serve(host, port, ctx, "main")
        self.port = self._server.server_address[1]
        self.tls = tls
        self.host = host
        self.base = "%s://%s:%d" % ("https" if tls else "http", host, self.port)
        # The same endpoints behind the certificates a client must refuse.
        for name in ("untrusted", "wrong_host"):
            if tls and certs and certs.get(name):
                c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                c.load_cert_chain(*certs[name])
                self._extra[name] = self._serve(host, 0, c, name)
        return self

    def listen_plain(self):
        """The same endpoints in plain http on another port (a real browser
        then reaches /authorize without trusting the test CA); its base URL."""
        server, thread = self._serve(self.host, 0, None, "plain")
        self._extra["plain"] = (server, thread)
        return "http://%s:%d" % (self.host, server.server_address[1])

    def listeners(self):
        out = {"main": self.port}
        for name, (server, _) in self._extra.items():
            out[name] = server.server_address[1]
        return out

    def urls(self, listener="main"):
        """The endpoint URLs, on the main listener or on an extra one
        ("untrusted", "wrong_host")."""
        base = self.base
        if listener != "main":
            base = "https://%s:%d" % (self.host, self.listeners()[listener])
        return {"authorize": self.base + "/authorize",
                "token": base + "/oauth/token",
                "profile": base + "/me",
                "resources": base + "/oauth/token/accessible-resources"}

    def stop(self):
        self._abort.set()
        servers = list(self._extra.values())
        if self._server is not None:
            servers.append((self._server, self._thread))
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(10)
        self._extra = {}
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
        made = make_certs(os.path.abspath(args.make_certs))
        ca = made["ca"]
        certs = {"cert": made["cert"], "key": made["key"]}
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
    print("AtlassianClientSecret  file:/etc/apache2/atlassian/client-secret")
    for name, key in (("AtlassianAuthorizeURL", "authorize"), ("AtlassianTokenURL", "token"),
                      ("AtlassianProfileURL", "profile"),
                      ("AtlassianResourcesURL", "resources")):
        print("%-22s %s" % (name, u[key]))
    if ca:
        print("AtlassianCAFile        %s" % ca)
    sys.stdout.flush()
    # A shell's background job starts with SIGINT ignored, and Python then
    # leaves it so: take it (and SIGTERM) back as KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        # Short sleeps: the kernel may hand SIGINT to a server thread, and
        # then only the main thread's next wake-up raises KeyboardInterrupt.
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        # Stopping waits for the servers' threads; a connection a client
        # left open must not keep the script alive: 5 s, then exit.
        stopper = threading.Thread(target=fake.stop, daemon=True)
        stopper.start()
        stopper.join(5)
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
