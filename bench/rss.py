# SPDX-License-Identifier: Apache-2.0
"""Resident memory of apache2's children over many logged-in requests.

Run it with bench/rss (see bench/README.md). One httpd like case (b) of
bench/run (mod_auth_atlassian, mod_session_cookie, the 1 KiB file), LOGINS
browsers logged in against the Atlassian stand-in, then wrk sends requests
that take the browsers' cookies in turn (more logins than the memo of
verified logins has slots, so that it keeps replacing entries). The VmRSS
of every child is read when the access log has counted each milestone; the
run fails when a child grew by more than 5% between the first and the last
milestone, or an answer was not the file.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import measure  # noqa: E402
import setups  # noqa: E402

PATH = "/b/" + setups.FILE_NAME

LUA = """
local cookies = {%s}
local i = 0
request = function()
    i = i + 1
    return wrk.format("GET", "%s", {["Cookie"] = cookies[(i %% #cookies) + 1]})
end
"""


def children(ppid):
    """{pid: VmRSS kB} of the processes whose parent is ppid."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
        except OSError:
            continue
        pp = re.search(r"^PPid:\s+(\d+)", st, re.M)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", st, re.M)
        if pp and int(pp.group(1)) == ppid and rss:
            out[int(pid)] = int(rss.group(1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logins", type=int, default=300, help="browsers logged in (300)")
    ap.add_argument("--milestones", default="50000,150000,250000",
                    help="requests counted at each reading (50000,150000,250000)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    a = ap.parse_args()
    steps = [int(x) for x in a.milestones.split(",")]
    env = bench.Env()
    env.start(False)
    h = None
    try:
        g = setups.AtlassianGroup("cookie", env)
        h = g.make()
        h.start()
        cookies = []
        for _ in range(a.logins):
            b = h.browser()
            r = b.login(path=PATH)
            if r.status != 200 or len(r.body) != setups.FILE_SIZE:
                raise RuntimeError("a login did not reach the file: %r" % (r,))
            cookies.append(b.cookie_header())
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        lua.write(LUA % (",".join('"%s"' % c for c in cookies), PATH))
        lua.close()
        alog = measure.AccessLog(h)
        alog.mark()
        done, readings = 0, []
        print("| requests | children | VmRSS kB of each child |")
        print("|--:|--:|---|")
        for step in steps:
            while done < step:
                secs = max(1, min(10, (step - done) // 6000))
                subprocess.run(["wrk", "-t1", "-c%d" % a.connections, "-d%ds" % secs,
                                "-s", lua.name, h.base + PATH], check=True,
                               stdout=subprocess.DEVNULL, timeout=secs + 60)
                good, bad = alog.count(setups.FILE_SIZE)
                if bad:
                    raise RuntimeError("%d answers were not the file" % bad)
                done = good
            rss = children(h.proc.pid)
            readings.append(rss)
            print("| %d | %d | %s |" % (done, len(rss),
                                       " ".join("%d" % v for _, v in sorted(rss.items()))),
                  flush=True)
        os.unlink(lua.name)
        first, last = readings[0], readings[-1]
        grew = [(pid, first[pid], last[pid]) for pid in first
                if pid in last and last[pid] > first[pid] * 1.05]
        print("\n%d logins; %d distinct session cookies in turn." % (a.logins, len(cookies)))
        if grew:
            print("RSS grew by more than 5%%: %s" % grew)
            return 1
        print("No child grew by more than 5% between the first and the last reading.")
        return 0
    finally:
        if h is not None:
            h.stop()
        env.stop()


if __name__ == "__main__":
    sys.exit(main())
