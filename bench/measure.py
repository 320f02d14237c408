# SPDX-License-Identifier: Apache-2.0
"""What the benchmark measures with: wrk (requests per second), /proc (the
CPU time of an httpd's processes), the access log (how many requests were
answered, and with what status), and callgrind (instructions)."""

import http.client
import os
import re
import shutil
import signal
import subprocess
import time

import atlharness as H

CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- CPU time of an httpd ------------------------------------------------------

def group_cpu_seconds(pgid):
    """utime+stime of every live process in the process group, plus what
    the group leader (httpd's parent) collected from children it reaped,
    so that a worker that exits during a round is not lost."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is field 3 of proc(5): state; pgrp is field 5.
        if int(fields[2]) != pgid:
            continue
        ticks += int(fields[11]) + int(fields[12])          # utime, stime
        if int(pid) == pgid:
            ticks += int(fields[13]) + int(fields[14])      # cutime, cstime
    return ticks / CLK_TCK


# -- the access log ------------------------------------------------------------

_LOG_LINE = re.compile(r'" (\d{3}) (\S+)$')


class AccessLog:
    """Counts the answers logged since mark() (the harness's format:
    %h "%r" %>s %b)."""

    def __init__(self, h):
        self.path = os.path.join(h.dir, "access.log")
        self.offset = 0

    def mark(self):
        try:
            self.offset = os.path.getsize(self.path)
        except OSError:
            self.offset = 0

    def count(self, size):
        """(answers of status 200 with size bytes, all other answers)."""
        good = bad = 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            for line in f:
                m = _LOG_LINE.search(line.decode("latin-1").rstrip("\n"))
                if m and m.group(1) == "200" and m.group(2) == str(size):
                    good += 1
                else:
                    bad += 1
        return good, bad


# -- wrk -----------------------------------------------------------------------

def wrk(url, cookie, seconds, connections, threads=1):
    """One wrk run with keep-alive; returns requests per second as wrk
    reports it, and its error counts."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % max(1, round(seconds)),
           "--timeout", "10s"]
    if cookie:
        cmd += ["-H", "Cookie: " + cookie]
    out = subprocess.run(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=seconds + 60, check=True).stdout.decode()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("wrk printed no Requests/sec:\n" + out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": float(m.group(1)), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(0) if errors else ""}


# -- requests one by one -------------------------------------------------------

def fetch(port, path, cookie, n, size):
    """n keep-alive GETs of path on one connection; each must answer 200
    with size bytes. Returns how many were sent again on a new connection:
    the event MPM closes idle keep-alive connections when no worker thread
    is free, which with one thread (under callgrind) happens now and then
    between two requests; a browser sends the GET again, and so does this."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    retries = 0
    try:
        for _ in range(n):
            for attempt in (1, 2):
                try:
                    conn.request("GET", path, headers=headers)
                    r = conn.getresponse()
                    body = r.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError):
                    conn.close()
                    if attempt == 2:
                        raise
                    retries += 1
            if r.status != 200 or len(body) != size:
                raise RuntimeError("GET %s answered %d with %d bytes"
                                   % (path, r.status, len(body)))
    finally:
        conn.close()
    return retries


def probe(port, path, cookie, size):
    """One GET: (status, body size, Set-Cookie header or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        r = conn.getresponse()
        body = r.read()
        return r.status, len(body), r.getheader("Set-Cookie")
    finally:
        conn.close()


# -- callgrind -----------------------------------------------------------------

# valgrind opens its output file at startup, as root, and writes it at exit,
# after httpd has become its User: the file is created first, owned by that
# user, by the shell that then becomes valgrind (same PID, hence %p).
_VG_WRAPPER = ('d="$1"; : > "$d/callgrind.out.$$"; chown "$2" "$d/callgrind.out.$$"; '
               'shift 2; exec valgrind --tool=callgrind --collect-atstart=yes --vgdb=no '
               '--callgrind-out-file="$d/callgrind.out.%p" "$@"')


class CallgrindHttpd:
    """apache2 -X (one process, requests served by its threads) under
    callgrind, on the configuration of a harness Httpd (not started)."""

    def __init__(self, h):
        self.h = h
        self.outdir = os.path.join(h.dir, "callgrind")
        os.makedirs(self.outdir, exist_ok=True)
        os.chmod(self.outdir, 0o755)
        H.chown_to_run_user(self.outdir)
        self.proc = None

    def start(self):
        user, group = H.run_user()
        owner = "%s:%s" % (user, group) if os.geteuid() == 0 else str(os.geteuid())
        self.stderr_path = os.path.join(self.h.dir, "valgrind.log")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["sh", "-c", _VG_WRAPPER, "sh", self.outdir, owner, H.HTTPD_BIN, "-X",
                 "-f", self.h.conf], stdin=subprocess.DEVNULL, stdout=err,
                stderr=subprocess.STDOUT, start_new_session=True)
        if not H.wait_for_port(self.h.port, 180, self.proc):
            self.stop()
            raise RuntimeError("apache2 -X under callgrind did not start: %s\n%s" % (
                self._tail(self.stderr_path), self._tail(self.h.error_log)))

    @staticmethod
    def _tail(path):
        try:
            with open(path, "rb") as f:
                return f.read()[-3000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM: httpd -X stops its threads and exits, and callgrind
        writes its totals."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(180)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # What httpd forked (mod_cgid's daemon, also under valgrind) is in
        # the same process group and now and then outlives it.
        for sig, wait in ((None, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                if sig is not None:
                    os.killpg(self.proc.pid, sig)
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline:
                    os.killpg(self.proc.pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                break

    def total(self):
        """Instructions executed by the httpd process from start to exit."""
        path = self.out_path = os.path.join(self.outdir, "callgrind.out.%d" % self.proc.pid)
        total = None
        with open(path) as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    total = int(line.split()[1])
        if total is None:
            raise RuntimeError("no totals in %s:\n%s" % (path, self._tail(self.stderr_path)))
        return total


def have_tools():
    """The programs the benchmark needs that are missing."""
    return [t for t in ("wrk", "valgrind") if shutil.which(t) is None]


def sleep_briefly():
    # Let the last answers of a wrk run reach the access log.
    time.sleep(0.2)
