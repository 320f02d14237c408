# SPDX-License-Identifier: Apache-2.0
"""The login's calls in waves: the callback's wall time against a
stand-in that answers every call of the module after a fixed delay
(150 ms by default), next to the sum of the calls' delays (the callback
that makes its calls one after the other) and the lower bound of the
waves the data allows.

Three logins:
  without sites   token, /me                                  2 calls
  with sites      token, /me, accessible-resources            3 calls
  three sites     the same, then the groups of two Jira sites and of a
                  Confluence-only site whose groups come in three pages
                                                              8 calls
The waves: the token; /me with the sites; every site's first group call;
each further page. So 2, 2 and 5 delays.

With a baseline module (--baseline-module, or ATL_BASELINE_MODULE; e.g.
the module built from the commit before the waves), the same logins are
measured with it in the same run, on an httpd of its own.
"""

import os
import shutil
import statistics
import time

import atlharness as H
import fake_atlassian
import fake_products as P

JIRA_SCOPES = ["read:jira-user", "read:jira-work"]
INITECH = {"id": "5b0e9c1d-2f3a-4b5c-8d6e-7f8091a2b3c4", "name": "initech",
           "url": "https://initech.atlassian.net", "scopes": JIRA_SCOPES,
           "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/a.png"}
ACME, GLOBEX = (s["id"] for s in fake_atlassian.DEFAULT_SITES)
SCOPE = "read:me read:jira-user read:confluence-user"
WIKI_GROUPS = ["wiki-a", "wiki-b", "wiki-c", "wiki-d", "wiki-editors"]   # 3 pages of 2
PAGE_SIZE = 2

# (label, path, calls, waves)
LOGINS = [
    ("without sites", "/protected/cgi/printenv.cgi", 2, 2),
    ("with sites", "/protected/cgi-sites/printenv.cgi", 3, 2),
    ("group checks on three sites (one Confluence-only, 3 pages)",
     "/protected/authz/three/ok.txt", 8, 5),
]

THREE_SITES = """<Location /protected/authz/three/>
  <RequireAny>
    Require atlassian-group acme.atlassian.net jira-admins
    Require atlassian-group initech.atlassian.net staff
    Require atlassian-group globex.atlassian.net wiki-editors
  </RequireAny>
</Location>
"""


def setup_standin(fake):
    """Three sites, their groups, Confluence pages of 2."""
    fake.set_sites(fake_atlassian.DEFAULT_SITES + [INITECH])
    P.set_groups(fake, ACME, jira=["jira-admins", "jira-users"])
    P.set_groups(fake, INITECH["id"], jira=["staff"])
    P.set_groups(fake, GLOBEX, confluence=WIKI_GROUPS)
    fake.control({"groups_page_size": PAGE_SIZE})


def restore_standin(fake):
    fake.set_sites(fake_atlassian.DEFAULT_SITES)
    fake.control({"groups_page_size": 200})


def use_module(h, module):
    """Point h's LoadModule line at another build of the module (a private
    copy, as the harness takes of ATL_MODULE)."""
    if module is None:
        return
    d = H.make_tmpdir("module-baseline")
    copy = os.path.join(d, "mod_auth_atlassian.so")
    shutil.copyfile(module, copy)
    os.chmod(copy, 0o755)
    with open(h.conf) as f:
        text = f.read()
    text = text.replace('"%s"' % H.module_path(), '"%s"' % copy)
    with open(h.conf, "w") as f:
        f.write(text)


def make_httpds(env, module=None, server_extra=""):
    """Two httpds: one without Require atlassian-group (the logins without
    and with sites), one with the three sites' group lines."""
    plain = H.Httpd(env.fake, None, env.certs, loglevel="warn",
                    server_extra='AtlassianTimeout 10\nAtlassianScope "%s"\n%s'
                    % (SCOPE, server_extra))
    groups = H.Httpd(env.fake, None, env.certs, loglevel="warn",
                     server_extra='AtlassianTimeout 10\nAtlassianAPIURL "%s"\n'
                     'AtlassianScope "%s"\n%s' % (env.fake.base, SCOPE, server_extra),
                     tail_extra=THREE_SITES)
    for h in (plain, groups):
        use_module(h, module)
    return plain, groups


def timed_callback(h, path):
    """One login; the callback's wall time (s)."""
    b = h.browser()
    q = b.start_login(path, scope=SCOPE)
    callback = b.authorize(q["_location"])
    t0 = time.perf_counter()
    r = b.get(callback)
    dt = time.perf_counter() - t0
    if r.status != 302 or b.local(r.location) != path:
        raise RuntimeError("callback did not complete the login: %r" % (r,))
    return dt


def measure(env, httpds, n):
    """Median callback wall time (ms) and module calls per login, for
    each login of LOGINS."""
    plain, groups = httpds
    out = []
    for label, path, calls, waves in LOGINS:
        h = groups if "three" in path else plain
        timed_callback(h, path)          # warm-up: connections, TLS sessions
        times = []
        env.meter.reset()
        for _ in range(n):
            times.append(timed_callback(h, path))
        s = env.meter.summary()
        out.append({"ms": statistics.median(times) * 1000.0,
                    "calls": env.meter.module_calls / n,
                    "conns": s["module_conns"] / n,
                    "resumed": s["module_resumed"] / n})
    return out


def run(env, n, delay, baseline=None, log=print):
    """The table, as Markdown text."""
    setup_standin(env.fake)
    env.meter.delay = delay
    results = {}
    try:
        for name, module in (("baseline", baseline), ("waves", None)):
            if name == "baseline" and not baseline:
                continue
            log("login waves: %s module, %d logins of each kind, %d ms stand-in"
                % (name, n, delay * 1000))
            httpds = make_httpds(env, module)
            try:
                for h in httpds:
                    h.start()
                results[name] = measure(env, httpds, n)
            finally:
                for h in httpds:
                    h.stop()
    finally:
        env.meter.delay = 0.0
        restore_standin(env.fake)
    d = delay * 1000.0
    head = ("| login | calls | sum of delays (one after the other) | waves' lower bound"
            + (" | baseline callback | " if baseline else " | ")
            + "callback in waves | over the bound | new TLS connections per login "
            "(resumed) |")
    rows = ["Login waves: the callback's wall time (median of %d) against the stand-in "
            "answering each call after %.0f ms:" % (n, d), "", head,
            "|---|---|---|---|" + ("---|" if baseline else "") + "---|---|---|"]
    for i, (label, path, calls, waves) in enumerate(LOGINS):
        w = results["waves"][i]
        cells = [label, "%d" % calls if w["calls"] == calls else "%d (seen %.1f)"
                 % (calls, w["calls"]),
                 "%d x %.0f = %.0f ms" % (calls, d, calls * d),
                 "%d x %.0f = %.0f ms" % (waves, d, waves * d)]
        if baseline:
            cells.append("%.0f ms" % results["baseline"][i]["ms"])
        cells += ["%.0f ms" % w["ms"], "%+.0f ms" % (w["ms"] - waves * d),
                  "%.1f (%.1f)" % (w["conns"], w["resumed"])]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
