# SPDX-License-Identifier: Apache-2.0
"""The Atlassian stand-in of the tests (tests/lib/fake_atlassian.py), wrapped so
that the benchmark can see what a login costs the stand-in:

  - every TCP connection it accepts and every TLS handshake it completes
    (and whether the handshake resumed a TLS session),
  - which paths were asked for on each connection, so that the module's
    connections (token, /me, accessible-resources) can be told from the
    browser's (/authorize),
  - the time the stand-in spent answering each request (from the parsed
    request line to the last byte of its answer).

With delay set (seconds; 0 by default), it answers each of the module's
calls (token, /me, accessible-resources, the product APIs under /ex/)
only after that delay, as Atlassian over the Internet would: the login
waves measurement (bench/waves.py) and the morning rush (bench/rush).
Calls in flight at the same time wait their delays side by side (one
thread per connection).

It wraps a running FakeAtlassian from the outside instead of changing it:
it replaces, on the running server object, process_request (accept),
ssl_context (handshakes) and RequestHandlerClass (a subclass that times
_dispatch). Those are the names fake_atlassian.py uses today; if they
change, this file fails loudly at start, not with wrong numbers.
"""

import socket
import threading
import time
import urllib.parse

MODULE_PATHS = {"/oauth/token", "/me", "/oauth/token/accessible-resources"}


def is_module_path(path):
    """A call of the module: the OAuth endpoints, or a product API."""
    return path in MODULE_PATHS or path.startswith("/ex/")


class _Conn:
    __slots__ = ("resumed", "paths")

    def __init__(self, resumed):
        self.resumed = resumed
        self.paths = set()


class _CountingContext:
    """An SSLContext stand-in that records each completed handshake."""

    def __init__(self, ctx, meter):
        self._ctx = ctx
        self._meter = meter

    def wrap_socket(self, sock, **kw):
        s = self._ctx.wrap_socket(sock, **kw)
        conn = _Conn(bool(getattr(s, "session_reused", False)))
        s._bench_conn = conn
        self._meter._add_conn(conn)
        return s

    def __getattr__(self, name):
        return getattr(self._ctx, name)


class StandInMeter:
    """Counters over a running FakeAtlassian (TLS); reset() starts afresh."""

    def __init__(self, fake):
        srv = fake._server
        for name in ("process_request", "ssl_context", "RequestHandlerClass"):
            if not hasattr(srv, name):
                raise RuntimeError("fake_atlassian's server has no %s: update bench/standin.py"
                                   % name)
        if srv.ssl_context is None:
            raise RuntimeError("the stand-in must run with TLS for the benchmark")
        if not hasattr(srv.RequestHandlerClass, "_dispatch"):
            raise RuntimeError("fake_atlassian's handler has no _dispatch: update bench/standin.py")
        self._lock = threading.Lock()
        self.delay = 0.0
        self.reset()
        meter = self
        orig_process = srv.process_request

        def process_request(request, client_address):
            # Python's server writes an answer's head and body separately;
            # without TCP_NODELAY the body waits for the client's delayed
            # ACK (40 ms), which would be counted as the module's time.
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with meter._lock:
                meter.accepted += 1
            return orig_process(request, client_address)

        base = srv.RequestHandlerClass

        class TimedHandler(base):
            def _dispatch(self):
                t0 = time.perf_counter()
                delay = meter.delay
                if delay > 0 and is_module_path(urllib.parse.urlsplit(self.path).path):
                    time.sleep(delay)
                try:
                    return super()._dispatch()
                finally:
                    path = urllib.parse.urlsplit(self.path).path
                    meter._served(getattr(self.request, "_bench_conn", None), path,
                                  time.perf_counter() - t0)

        srv.process_request = process_request
        srv.ssl_context = _CountingContext(srv.ssl_context, self)
        srv.RequestHandlerClass = TimedHandler

    def reset(self):
        with self._lock:
            self.accepted = 0
            self.conns = []
            self.busy = 0.0
            self.busy_module = 0.0
            self.module_calls = 0

    def _add_conn(self, conn):
        with self._lock:
            self.conns.append(conn)

    def _served(self, conn, path, seconds):
        with self._lock:
            if conn is not None:
                conn.paths.add(path)
            self.busy += seconds
            if is_module_path(path):
                self.module_calls += 1
            if path in MODULE_PATHS:
                self.busy_module += seconds

    def module_busy(self):
        """Seconds spent answering the module's calls since reset()."""
        with self._lock:
            return self.busy_module

    def summary(self):
        """Connection counts since reset(): all accepted TCP connections,
        and the module's TLS connections (those that asked for a path of
        MODULE_PATHS), with how many of them resumed a TLS session."""
        with self._lock:
            mine = [c for c in self.conns if c.paths & MODULE_PATHS]
            return {"accepted": self.accepted, "tls": len(self.conns),
                    "module_conns": len(mine),
                    "module_resumed": sum(1 for c in mine if c.resumed)}
