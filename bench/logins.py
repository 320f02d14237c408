# SPDX-License-Identifier: Apache-2.0
"""What a login costs: the module's own time in the callback, and the
connections it opens to the Atlassian stand-in.

The callback request does the work of a login: it checks the state,
exchanges the code at the token URL and reads /me, then seals the
identity into the session. Its wall time, minus the time the stand-in
spent answering the token and /me calls (measured inside the stand-in),
is the time of the module and of the path between them: libcurl, the TCP
and TLS set-up of each call, parsing, sealing, and httpd itself.
"""

import statistics
import time

import measure
import setups


def _median_ms(values):
    return statistics.median(values) * 1000.0


def timed_logins(h, meter, n, path):
    """n logins, each with a fresh browser; the callback is timed."""
    cb, stand, own, plain = [], [], [], []
    for _ in range(n):
        b = h.browser()
        q = b.start_login(path)
        callback = b.authorize(q["_location"])
        meter.reset()
        t0 = time.perf_counter()
        r = b.get(callback)
        dt = time.perf_counter() - t0
        busy = meter.module_busy()
        if r.status != 302 or b.local(r.location) != path:
            raise RuntimeError("callback did not complete the login: %r" % (r,))
        cb.append(dt)
        stand.append(busy)
        own.append(dt - busy)
        # The same client's round trip for a logged-in request, for scale.
        t0 = time.perf_counter()
        r = b.get(path)
        plain.append(time.perf_counter() - t0)
        if r.status != 200:
            raise RuntimeError("logged-in request failed: %r" % (r,))
    return {"n": n, "callback_ms": _median_ms(cb), "standin_ms": _median_ms(stand),
            "module_ms": _median_ms(own), "plain_ms": _median_ms(plain)}


def counted_logins(h, meter, n, path):
    """n consecutive logins (start, authorize, callback, the page); what
    the stand-in saw of the module, and httpd's CPU time per login."""
    meter.reset()
    cpu0 = measure.group_cpu_seconds(h.proc.pid)
    for _ in range(n):
        r = h.browser().login(path=path)
        if r.status != 200 or len(r.body) != setups.FILE_SIZE:
            raise RuntimeError("login failed: %r" % (r,))
    time.sleep(0.2)
    cpu = measure.group_cpu_seconds(h.proc.pid) - cpu0
    s = meter.summary()
    s.update({"n": n, "cpu_ms_per_login": cpu / n * 1000.0})
    return s


def report(timed, counted):
    t, c = timed, counted
    full = c["module_conns"] - c["module_resumed"]
    return "\n".join([
        "Login (case b's configuration, stand-in over TLS on 127.0.0.1):",
        "",
        "| login figure | value |",
        "|---|---|",
        "| callback request, wall time (median of %d) | %.2f ms |" % (t["n"], t["callback_ms"]),
        "| stand-in answering token + /me in it (median) | %.2f ms |" % t["standin_ms"],
        "| module's own time in the callback (median of the differences) | %.2f ms |"
        % t["module_ms"],
        "| a logged-in request with the same client, for scale (median) | %.2f ms |"
        % t["plain_ms"],
        "| httpd CPU per login (redirect, callback, page; %d logins) | %.2f ms |"
        % (c["n"], c["cpu_ms_per_login"]),
        "| TCP connections the module opened to the stand-in in %d logins | %d (%.2f per login) |"
        % (c["n"], c["module_conns"], c["module_conns"] / c["n"]),
        "| TLS handshakes among them: full / resumed | %d / %d |" % (full, c["module_resumed"]),
        "| all connections the stand-in accepted (with the browser's /authorize) | %d |"
        % c["accepted"],
    ])
