# SPDX-License-Identifier: Apache-2.0
"""Per-request cost of mod_auth_atlassian against its peers, in one run.

Run it with bench/run (or make bench); bench/README.md says what it
measures and how to read the numbers.
"""

import argparse
import concurrent.futures
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import atlharness as H  # noqa: E402
import fake_atlassian  # noqa: E402
import logins  # noqa: E402
import measure  # noqa: E402
import oidc  # noqa: E402
import setups  # noqa: E402
import standin  # noqa: E402
import waves  # noqa: E402

SIZE = setups.FILE_SIZE
LOGIN_PATH = "/b/" + setups.FILE_NAME


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


WARNINGS = []      # numbers that are suspect
NOTES = []         # what else the reader should know


def check_log(what, h):
    """A measurement of an httpd that logged errors or lost a child is
    suspect: say so in the report."""
    text = h.read_log()
    bad = H.crash_lines(text) + H.log_errors(text)
    if bad:
        WARNINGS.append("%s: %d error line(s) in %s, the first: %s"
                        % (what, len(bad), h.error_log, bad[0]))
        log("warning: " + WARNINGS[-1])


class Env:
    """What the httpds talk to: the Atlassian stand-in and the OpenID provider."""

    def __init__(self):
        self.certs = self.fake = self.meter = self.provider = None

    def start(self, with_oidc):
        self.certs = fake_atlassian.make_certs(H.make_tmpdir("certs"))
        self.fake = fake_atlassian.start(port=0, tls=True, certs=self.certs,
                                         client_id=H.CLIENT_ID,
                                         client_secret=H.CLIENT_SECRET, auto_approve=True)
        self.meter = standin.StandInMeter(self.fake)
        if with_oidc:
            oidc.ensure_installed(log)
            self.provider = oidc.Provider().start()

    def stop(self):
        if self.provider is not None:
            self.provider.stop()
        if self.fake is not None:
            self.fake.stop()


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a fast smoke run: one short round, few requests under callgrind")
    ap.add_argument("--rounds", type=int, help="interleaved wrk rounds per case (5)")
    ap.add_argument("--duration", type=int, help="seconds of one wrk run (3)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    ap.add_argument("--calls", type=int, help="requests per case under callgrind (2000)")
    ap.add_argument("--logins", type=int, help="timed logins (50); twice as many are counted")
    ap.add_argument("--cases", help="only these cases, comma-separated (a,b,c,d,e,e2,f1,f2)")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    ap.add_argument("--wave-logins", type=int,
                    help="logins of each kind timed against the slow stand-in (10)")
    ap.add_argument("--delay-ms", type=int, default=150,
                    help="the slow stand-in's delay per call (150)")
    ap.add_argument("--baseline-module", default=os.environ.get("ATL_BASELINE_MODULE"),
                    help="another build of the module whose logins are timed too "
                    "(e.g. the one before the waves; or ATL_BASELINE_MODULE)")
    ap.add_argument("--out", help="also write the report to this file")
    a = ap.parse_args(argv)
    quick = a.quick
    a.rounds = a.rounds or (1 if quick else 5)
    a.duration = a.duration or (1 if quick else 3)
    a.calls = a.calls or (100 if quick else 2000)
    a.logins = a.logins or (5 if quick else 50)
    a.wave_logins = a.wave_logins or (3 if quick else 10)
    a.warm = 5 if quick else 20
    keys = [c.key for c in setups.CASES]
    a.keys = a.cases.split(",") if a.cases else keys
    unknown = [k for k in a.keys if k not in keys]
    if unknown:
        ap.error("unknown case(s): %s" % ",".join(unknown))
    if "a" not in a.keys:
        a.keys.insert(0, "a")          # the reference of every ratio
    return a


# -- throughput and CPU --------------------------------------------------------

def throughput(cases, running, a):
    out = {c.key: {"rps": [], "cpu_us": []} for c in cases}
    warm = min(1.0, a.duration)
    for c in cases:
        h, cookies, _ = running[c.group]
        measure.wrk(h.base + c.path, cookies[c.key], warm, a.connections)
    for rnd in range(a.rounds):
        shift = rnd % len(cases)
        for c in cases[shift:] + cases[:shift]:
            h, cookies, alog = running[c.group]
            alog.mark()
            cpu0 = measure.group_cpu_seconds(h.proc.pid)
            w = measure.wrk(h.base + c.path, cookies[c.key], a.duration, a.connections)
            measure.sleep_briefly()
            cpu = measure.group_cpu_seconds(h.proc.pid) - cpu0
            good, bad = alog.count(SIZE)
            if bad or w["non2xx"] or not good:
                raise RuntimeError("case %s: %d answers were not the file (wrk: %d non-2xx)"
                                   % (c.key, bad, w["non2xx"]))
            out[c.key]["rps"].append(w["rps"])
            out[c.key]["cpu_us"].append(cpu / good * 1e6)
        log("round %d/%d done" % (rnd + 1, a.rounds))
    return out


# -- instructions --------------------------------------------------------------

def callgrind_run(group, case, a):
    """Start a fresh httpd -X under callgrind, log in, warm every case of
    the group up, then (unless case is None) send a.calls requests of case;
    return the instructions of the whole run."""
    h = group.make(callgrind=True)
    cg = measure.CallgrindHttpd(h)
    cg.start()
    try:
        cookies = group.login(h)
        for c in group.cases:
            measure.fetch(h.port, c.path, cookies[c.key], a.warm, SIZE)
        if case is not None:
            retried = measure.fetch(h.port, case.path, cookies[case.key], a.calls, SIZE)
            if retried:
                # Each costs a new connection (accept, a new pool): tiny
                # against a.calls requests, but said.
                NOTES.append("callgrind %s %s: %d of the requests were sent again on a "
                                "new connection" % (group.name, case.key, retried))
    finally:
        cg.stop()
        check_log("callgrind %s %s" % (group.name, case.key if case else "(no requests)"), h)
    total = cg.total()
    if os.environ.get("ATL_KEEP_TMP"):
        log("kept %s" % cg.out_path)
    return total


def instructions(groups, cases, a):
    """Instructions per request: (run with a.calls requests - run without)
    / a.calls. Two runs without requests per group give the noise."""
    wanted = {c.key for c in cases}
    jobs = []
    for g in groups:
        mine = [c for c in g.cases if c.key in wanted]
        if not mine:
            continue
        jobs += [(g, None, 0), (g, None, 1)] if not a.quick else [(g, None, 0)]
        jobs += [(g, c, 0) for c in mine]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = {pool.submit(callgrind_run, g, c, a): (g.name, c.key if c else None, i)
                for g, c, i in jobs}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()
            log("callgrind %s %s: %d instructions" % (futs[f][0], futs[f][1] or "(no requests)",
                                                      results[futs[f]]))
    per_req, noise = {}, {}
    for g in groups:
        bases = [v for (gn, ck, _), v in results.items() if gn == g.name and ck is None]
        if not bases:
            continue
        if len(bases) == 2:
            noise[g.name] = abs(bases[0] - bases[1]) / a.calls
        base = sum(bases) / len(bases)
        for (gn, ck, _), v in results.items():
            if gn == g.name and ck is not None:
                per_req[ck] = (v - base) / a.calls
    return per_req, noise


# -- report --------------------------------------------------------------------

def table(cases, tp, instr):
    ref_rps = statistics.median(tp["a"]["rps"])
    ref_ins = instr.get("a")
    rows = ["| case | req/s (median) | ratio to (a) | httpd CPU µs/req | instructions/req "
            "| added over (a) |", "|---|--:|--:|--:|--:|--:|"]
    for c in cases:
        rps = statistics.median(tp[c.key]["rps"])
        cpu = statistics.median(tp[c.key]["cpu_us"])
        ins = instr.get(c.key)
        ins_s = "%.0f" % ins if ins is not None else "-"
        add_s = "%+.0f" % (ins - ref_ins) if ins is not None and ref_ins is not None else "-"
        rows.append("| (%s) %s | %.0f | %.2f | %.1f | %s | %s |" % (
            c.key, c.label, rps, rps / ref_rps, cpu, ins_s, add_s))
    return "\n".join(rows)


def header(a):
    try:
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10).stdout.decode().strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    load = os.getloadavg()
    return ("# mod_auth_atlassian benchmark, %s\n\n"
            "Source %s; %d CPUs, load average at the end %.2f %.2f %.2f. "
            "A 1 KiB static file; wrk -t1 -c%d, keep-alive, %d interleaved rounds of %gs, "
            "median; callgrind: %d requests per case on apache2 -X.%s\n" % (
                datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), rev or "?",
                os.cpu_count(), load[0], load[1], load[2], a.connections, a.rounds,
                a.duration, a.calls, " (--quick: a smoke run, not numbers)" if a.quick else ""))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    missing = measure.have_tools()
    if missing or not os.path.isfile(H.MODULE):
        sys.exit("bench: needs %s" % ", ".join(
            missing + ([] if os.path.isfile(H.MODULE) else ["ATL_MODULE (build the module)"])))
    cases = [c for c in setups.CASES if c.key in a.keys]
    with_oidc = any(c.group.startswith("oidc") for c in cases)
    if with_oidc and (shutil.which("node") is None or not os.path.isfile(oidc.OPENIDC_SO)):
        sys.exit("bench: cases f1 and f2 need node and npm (apt-get install nodejs npm) and "
                 "%s (apt-get install libapache2-mod-auth-openidc); or leave them out: "
                 "--cases a,b,c,d,e" % oidc.OPENIDC_SO)
    t_start = time.monotonic()
    env = Env()
    running = {}
    try:
        env.start(with_oidc)
        groups = [g for g in setups.groups(env, with_oidc)
                  if any(c.group == g.name for c in cases)]
        for g in groups:
            h = g.make()
            h.start()
            running[g.name] = (h, g.login(h), measure.AccessLog(h))
        for c in cases:
            h, cookies, _ = running[c.group]
            status, size, set_cookie = measure.probe(h.port, c.path, cookies[c.key], SIZE)
            if status != 200 or size != SIZE:
                raise RuntimeError("case %s answers %d with %d bytes" % (c.key, status, size))
            if set_cookie:
                log("note: case %s answers with a Set-Cookie on every request" % c.key)
        sizes = ", ".join("(%s) %d" % (c.key, len(running[c.group][1][c.key] or ""))
                          for c in cases)
        log("httpds up and logged in; measuring requests per second")
        tp = throughput(cases, running, a)
        login_text = ""
        if "cookie" in running:
            log("measuring logins")
            h = running["cookie"][0]
            timed = logins.timed_logins(h, env.meter, a.logins, LOGIN_PATH)
            counted = logins.counted_logins(h, env.meter, 2 * a.logins, LOGIN_PATH)
            login_text = logins.report(timed, counted)
        for name, (h, _, _) in running.items():
            h.stop()
            check_log("httpd " + name, h)
        running.clear()
        waves_text = ""
        if "b" in a.keys:
            waves_text = waves.run(env, a.wave_logins, a.delay_ms / 1000.0,
                                   a.baseline_module, log)
        instr, noise = {}, {}
        if not a.no_callgrind:
            log("counting instructions with callgrind")
            instr, noise = instructions(groups, cases, a)
        text = header(a) + "\n" + table(cases, tp, instr) + "\n"
        text += "\nBytes of the Cookie header each case sends: %s.\n" % sizes
        if noise:
            text += ("\nCallgrind noise, per httpd: the two runs without requests differed "
                     "by (per request) %s instructions.\n" % ", ".join(
                         "%s %.0f" % kv for kv in noise.items()))
        if login_text:
            text += "\n" + login_text + "\n"
        if waves_text:
            text += "\n" + waves_text + "\n"
        if WARNINGS:
            text += "\nWarnings (numbers of these runs are suspect):\n\n" + "".join(
                "- %s\n" % w for w in WARNINGS)
        text += "".join("\nNote: %s.\n" % n for n in NOTES)
        text += "\nTotal time %.0f s.\n" % (time.monotonic() - t_start)
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        for h, _, _ in running.values():
            h.stop()
        env.stop()


if __name__ == "__main__":
    main()
