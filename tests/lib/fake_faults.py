# SPDX-License-Identifier: Apache-2.0
"""Failures of the Atlassian stand-in (fake_atlassian.py) at the wire level,
for the tests of what the module does when Atlassian misbehaves.

A fault is set per endpoint ("token", "me", "resources", or any path of the
stand-in) as {"mode": ..., options..., "times": N (default: until cleared),
"grant": "refresh_token" (token endpoint only: just calls of that grant)}:

  stall      the real answer's headers and the first `after_bytes` bytes of
             its body (default: half), then nothing for `seconds` (default
             60) or until the client hangs up
  slow       the real answer (status line, headers, body), one byte every
             `interval` seconds (default 0.5)
  reset      read the request, then close with SO_LINGER 0: a TCP RST, no
             answer at all
  redirect   `status` (default 302) to `location` (default the stand-in's
             own /_trap<path>, which records what reaches it and must stay
             empty)
  status     `status` (default 503) with `body` (default a JSON error) and,
             when given, `retry_after` as a Retry-After header
  rate_limit 429 with Retry-After: `retry_after` (default 30) and
             X-RateLimit-* headers, as Atlassian's product APIs answer
  oversize   the real answer padded, still valid JSON, to `size` bytes
             (default 300 KiB, over the module's 256 KiB limit); `chunked`
             sends it without Content-Length
  bad_utf8   the real answer with the raw bytes `bytes` (hex, default
             "c0af", an overlong "/" that json-c lets through) appended
             to the string field `field` (default: scope for the token
             endpoint, name for /me and for the first site)
"""

import json
import select
import socket
import struct
import time

ENDPOINTS = {"token": "/oauth/token", "me": "/me",
             "resources": "/oauth/token/accessible-resources"}

MODES = ("stall", "slow", "reset", "redirect", "status", "rate_limit", "oversize", "bad_utf8")

# The modes that answer instead of the endpoint; the others change how the
# endpoint's own answer goes out.
REPLACING = ("reset", "redirect", "status", "rate_limit")

DEFAULT_FIELD = {"/oauth/token": "scope", "/me": "name",
                 "/oauth/token/accessible-resources": "name"}

REASONS = {200: "OK", 302: "Found", 307: "Temporary Redirect", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def endpoint_path(name):
    if name in ENDPOINTS:
        return ENDPOINTS[name]
    if isinstance(name, str) and name.startswith("/"):
        return name
    raise ValueError("unknown endpoint %r (token, me, resources or a path)" % (name,))


def check_spec(spec):
    """A validated copy of a fault spec (ValueError when it is not one)."""
    if not isinstance(spec, dict) or spec.get("mode") not in MODES:
        raise ValueError("a fault needs a mode, one of %s" % ", ".join(MODES))
    spec = dict(spec)
    if "times" in spec and spec["times"] is not None:
        spec["times"] = int(spec["times"])
    if spec.get("grant") not in (None, "authorization_code", "refresh_token"):
        raise ValueError("grant must be authorization_code or refresh_token")
    if spec["mode"] == "bad_utf8":
        bytes.fromhex(spec.get("bytes", "c0af"))
    return spec


# -- answers that replace the endpoint's ---------------------------------------


def replacement(spec, path, base):
    """(status, body, headers) for the replacing modes other than reset."""
    mode = spec["mode"]
    if mode == "redirect":
        loc = spec.get("location") or base + "/_trap" + path
        return int(spec.get("status", 302)), b"", [("Location", loc)]
    if mode == "rate_limit":
        ra = str(spec.get("retry_after", 30))
        return 429, {"code": 429, "message": "Rate limit exceeded"}, [
            ("Retry-After", ra), ("X-RateLimit-Limit", "100"),
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", ra)]
    headers = []
    if spec.get("retry_after") is not None:
        headers.append(("Retry-After", str(spec["retry_after"])))
    body = spec.get("body")
    if body is None:
        body = {"error": "temporarily_unavailable",
                "error_description": "The service is unavailable (fault injected)."}
    return int(spec.get("status", 503)), body, headers


def reset(handler):
    """Abort the connection with a TCP RST (SO_LINGER 0, then close)."""
    conn = handler.connection
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    handler.close_connection = True
    # The file objects hold references to the socket: close them too, so
    # that the descriptor (and with it the connection) goes now.
    for f in (handler.rfile, handler.wfile):
        try:
            f.close()
        except OSError:
            pass
    try:
        conn.close()
    except OSError:
        pass


# -- changes to the endpoint's own answer -----------------------------------------


def _pad(body, size):
    """body (JSON text) grown to about size bytes, still one JSON value."""
    body = bytes(body).rstrip()
    extra = max(size - len(body) - 16, 0)
    if body.endswith(b"}"):
        sep = b"" if body.rstrip(b"}").rstrip().endswith(b"{") else b", "
        return body[:-1] + sep + b'"pad": "' + b"a" * extra + b'"}'
    if body.endswith(b"]"):
        sep = b"" if body.rstrip(b"]").rstrip().endswith(b"[") else b", "
        return body[:-1] + sep + b'"' + b"a" * extra + b'"]'
    return body + b" " * extra


def _bad_utf8(body, path, spec):
    raw = bytes.fromhex(spec.get("bytes", "c0af"))
    field = spec.get("field") or DEFAULT_FIELD.get(path, "name")
    marker = "@@BAD-UTF8-MARKER@@"
    try:
        doc = json.loads(bytes(body))
    except ValueError:
        return bytes(body) + raw
    target = doc[0] if isinstance(doc, list) and doc and isinstance(doc[0], dict) else doc
    if not isinstance(target, dict):
        return bytes(body) + raw
    old = target.get(field)
    target[field] = marker
    prefix = old.encode() if isinstance(old, str) else b"x"
    out = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return out.replace(marker.encode(), prefix + raw, 1)


def transform_body(spec, path, body):
    if spec["mode"] == "oversize":
        return _pad(body, int(spec.get("size", 300 * 1024)))
    if spec["mode"] == "bad_utf8":
        return _bad_utf8(body, path, spec)
    return body


def raw_answer(status, headers, body, chunked=False):
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status"))]
    lines += ["%s: %s" % kv for kv in headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        out = b""
        for i in range(0, len(body), 16384):
            part = body[i:i + 16384]
            out += b"%x\r\n" % len(part) + part + b"\r\n"
        body = out + b"0\r\n\r\n"
    else:
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body


def _client_gone(conn, timeout):
    """Wait up to timeout for the client to hang up; True when it did."""
    try:
        r, _, _ = select.select([conn], [], [], timeout)
    except (OSError, ValueError):
        return True
    if not r:
        return False
    try:
        return conn.recv(1) == b""
    except (OSError, ValueError):
        return True


def deliver(handler, spec, head, body, abort):
    """Send head and body the way spec says (stall, slow or at once);
    returns when done, when the client hung up or when abort is set."""
    w = handler.wfile
    handler.close_connection = True
    try:
        if spec["mode"] == "stall":
            n = spec.get("after_bytes")
            n = len(body) // 2 if n is None else min(int(n), len(body))
            w.write(head + body[:n])
            w.flush()
            deadline = time.monotonic() + float(spec.get("seconds", 60))
            while time.monotonic() < deadline and not abort.is_set():
                if _client_gone(handler.connection, 0.2):
                    break
        elif spec["mode"] == "slow":
            interval = float(spec.get("interval", 0.5))
            data = head + body
            for i in range(len(data)):
                if abort.wait(interval):
                    break
                w.write(data[i:i + 1])
                w.flush()
        else:
            w.write(head + body)
            w.flush()
    except (OSError, ValueError):
        pass
