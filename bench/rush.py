# SPDX-License-Identifier: Apache-2.0
"""The morning rush: a whole office signs in at nine.

300 logins (--logins) start within 10 seconds (--seconds), evenly spread,
at one httpd with Debian's default event MPM settings (mpm_event.conf:
StartServers 2, MinSpareThreads 25, MaxSpareThreads 75, ThreadLimit 64,
ThreadsPerChild 25, MaxRequestWorkers 150), against the Atlassian
stand-in answering each of the module's calls after 150 ms (--delay-ms).
Each login is the heaviest of bench/waves.py: group checks on three
sites, one of them Confluence-only with three pages (8 calls, 5 waves).

A callback beyond the share of threads that callbacks may hold (half of a
child's) is answered 503 with Retry-After before anything changes; the
script, as a browser reloading the page, waits that long and sends the
same callback again, and counts. No login may be lost: every one must end
logged in, or the run says which did not.

It reports logins completed per second, the 503s, the p50/p99 of the
callback's wall time (of the callbacks that logged in), and the limit the
thread share allows: threads the callbacks may hold / callback wall time.
With --baseline-module (or ATL_BASELINE_MODULE) the same rush is run
first against that build of the module, in the same run.
"""

import argparse
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))

import atlharness as H  # noqa: E402
import bench  # noqa: E402
import waves  # noqa: E402

DEBIAN_EVENT_MPM = """
StartServers 2
ServerLimit 16
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
"""
THREADS_PER_CHILD = 25
MAX_CHILDREN = 150 // 25
START_CHILDREN = 2
PATH = "/protected/authz/three/ok.txt"


def children(pid):
    """The child processes of httpd's parent now."""
    n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            n += 1
    return n


class Login(threading.Thread):
    def __init__(self, h, at):
        super().__init__(daemon=True)
        self.h, self.at = h, at
        self.callback_s = None
        self.unavailable = 0        # 503s with Retry-After
        self.bad_503 = 0            # 503s without it
        self.error = None
        self.done_at = None

    def run(self):
        try:
            delay = self.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            b = self.h.browser()
            q = b.start_login(PATH, scope=waves.SCOPE)
            callback = b.authorize(q["_location"])
            while True:
                t0 = time.monotonic()
                r = b.get(callback)
                dt = time.monotonic() - t0
                if r.status == 503:
                    after = r.header("Retry-After")
                    if after is None or not after.isdigit():
                        self.bad_503 += 1
                        after = "1"
                    else:
                        self.unavailable += 1
                    time.sleep(int(after))
                    continue
                if r.status != 302 or b.local(r.location) != PATH:
                    self.error = "callback answered %d" % r.status
                    return
                self.callback_s = dt
                break
            r = b.get(PATH)
            if r.status != 200:
                self.error = "the page answered %d after the login" % r.status
                return
            self.done_at = time.monotonic()
        except Exception as e:     # a lost login is reported, not raised
            self.error = "%s: %s" % (type(e).__name__, e)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def rush(env, module, n, seconds):
    _, h = waves.make_httpds(env, module, DEBIAN_EVENT_MPM)
    h.start()
    try:
        waves.timed_callback(h, PATH)            # warm-up
        start = time.monotonic() + 0.5
        logins = [Login(h, start + i * seconds / n) for i in range(n)]
        for t in logins:
            t.start()
        most = 0
        while any(t.is_alive() for t in logins):
            most = max(most, children(h.proc.pid))
            time.sleep(0.25)
        text = h.read_log()
        crashes = H.crash_lines(text)
    finally:
        h.stop()
    done = [t for t in logins if t.done_at is not None]
    lost = [t for t in logins if t.done_at is None]
    cb = [t.callback_s * 1000.0 for t in done]
    end = max(t.done_at for t in done) if done else start
    p50 = pct(cb, 50) if cb else 0.0
    first = [t for t in done if not t.unavailable]
    first_end = max(t.done_at for t in first) if first else start
    return {"n": n, "done": len(done), "lost": len(lost),
            "first": len(first),
            "first_per_s": len(first) / (first_end - start) if first else 0.0,
            "first_span_s": first_end - start,
            "lost_why": sorted({t.error or "unfinished" for t in lost}),
            "per_s": len(done) / (end - start) if done else 0.0,
            "span_s": end - start,
            "unavailable": sum(t.unavailable for t in logins),
            "logins_503": sum(1 for t in logins if t.unavailable),
            "retried_ok": sum(1 for t in done if t.unavailable),
            "bad_503": sum(t.bad_503 for t in logins),
            "p50": p50, "p99": pct(cb, 99) if cb else 0.0,
            "children": most, "crashes": crashes}


def report(results, n, seconds, delay_ms):
    share = THREADS_PER_CHILD // 2
    rows = ["Morning rush: %d logins started within %d s (%.0f per second) at one httpd "
            "with Debian's default event MPM settings, each with group checks on three "
            "sites (8 calls, 5 waves), against the stand-in answering each call after "
            "%d ms; a 503 is retried after its Retry-After:" % (n, seconds, n / seconds,
                                                                 delay_ms), "",
            "| module | logins completed at the first try: per second | all logins "
            "completed (after the retries' waits): per second | 503 with Retry-After "
            "(logins; retried to a login) | lost | callback p50 / p99 | httpd children "
            "(most) | limit the thread share allows: threads / p50 |",
            "|---|---|---|---|---|---|---|---|"]
    for name, r in results:
        threads_now = share * max(r["children"], 1)
        rows.append("| %s | %d in %.1f s: %.1f | %d of %d in %.1f s: %.1f | %d (%d; %d) "
                    "| %d%s | %.0f / %.0f ms "
                    "| %d | %d threads (%d per child x %d) / %.0f ms = %.0f logins/s "
                    "(%d / %.0f ms = %.0f with the %d children started) |"
                    % (name, r["first"], r["first_span_s"], r["first_per_s"],
                       r["done"], r["n"], r["span_s"], r["per_s"], r["unavailable"],
                       r["logins_503"], r["retried_ok"], r["lost"],
                       (" (%s)" % "; ".join(r["lost_why"])) if r["lost"] else "",
                       r["p50"], r["p99"], r["children"], threads_now, share,
                       max(r["children"], 1), r["p50"],
                       threads_now / (r["p50"] / 1000.0) if r["p50"] else 0,
                       share * START_CHILDREN, r["p50"],
                       share * START_CHILDREN / (r["p50"] / 1000.0) if r["p50"] else 0,
                       START_CHILDREN))
    for name, r in results:
        if r["bad_503"]:
            rows.append("\nWarning: %s: %d 503s without a Retry-After." % (name, r["bad_503"]))
        if r["crashes"]:
            rows.append("\nWarning: %s: httpd logged a crash: %s" % (name, r["crashes"][0]))
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bench/rush", description=__doc__.split("\n")[0])
    ap.add_argument("--logins", type=int, default=300)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--delay-ms", type=int, default=150)
    ap.add_argument("--baseline-module", default=os.environ.get("ATL_BASELINE_MODULE"))
    ap.add_argument("--out", help="also write the report to this file")
    a = ap.parse_args(argv)
    env = bench.Env()
    results = []
    try:
        env.start(False)
        waves.setup_standin(env.fake)
        env.meter.delay = a.delay_ms / 1000.0
        for name, module in (("baseline", a.baseline_module), ("waves", None)):
            if name == "baseline" and not module:
                continue
            bench.log("rush: %s module, %d logins in %d s" % (name, a.logins, a.seconds))
            results.append((name, rush(env, module, a.logins, a.seconds)))
    finally:
        env.stop()
    text = report(results, a.logins, a.seconds, a.delay_ms)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 1 if any(r["lost"] for _, r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
