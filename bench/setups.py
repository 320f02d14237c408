# SPDX-License-Identifier: Apache-2.0
"""The cases of the benchmark and the httpd configurations that serve them.

Every httpd is rendered by the test harness (tests/lib/atlharness.py, Httpd)
from the same template: the same modules, event MPM settings and access
log, and the same 1 KiB static file. They differ only in what guards the
location measured:

  group "cookie"  mod_auth_atlassian with mod_session_cookie; serves
                  (a) no authentication, (b) the module logged in,
                  (c) the same with AtlassianPassIdentityAs none,
                  (e) mod_session_cookie alone, (e2) the same with a
                  cookie as long as (b)'s
  group "dbd"     mod_auth_atlassian with mod_session_dbd on SQLite: (d)
  group "oidc-shm", "oidc-cookie"
                  mod_auth_openidc instead of mod_auth_atlassian, with
                  server-cache sessions in shm (f1) or client-cookie (f2)

A group makes a fresh httpd (Group.make; with callgrind=True one worker
thread for apache2 -X) and logs a browser in on it
(Group.login), giving the Cookie header of each of its cases.
"""

import os
import secrets

import atlharness as H
import oidc

FILE_SIZE = 1024
FILE_NAME = "1k.txt"

# Keep-alive connections are never closed by the server (so a request costs
# a request, not now and then a connection), and idle threads are never
# reaped during a run. AtlassianTimeout is generous for the runs under
# callgrind, where a login is slow.
TUNING = """
MaxKeepAliveRequests 0
MaxSpareThreads 100
"""

# Under callgrind (apache2 -X): one worker thread, so that what a thread
# sets up once (OpenSSL's per-thread state, for one) happens during the
# warm-up and not in the requests measured, whichever thread serves them.
CALLGRIND_TUNING = """
ThreadsPerChild 1
MaxRequestWorkers 4
"""

COOKIE_SESSION = "bench_session=user=bench"


class Case:
    def __init__(self, key, label, group, path):
        self.key = key
        self.label = label
        self.group = group
        self.path = path


CASES = [
    Case("a", "no authentication", "cookie", "/static/" + FILE_NAME),
    Case("b", "mod_auth_atlassian, mod_session_cookie", "cookie", "/b/" + FILE_NAME),
    Case("c", "mod_auth_atlassian, cookie, PassIdentityAs none", "cookie",
         "/bn/" + FILE_NAME),
    Case("d", "mod_auth_atlassian, mod_session_dbd (SQLite)", "dbd", "/b/" + FILE_NAME),
    Case("e", "mod_session_cookie alone", "cookie", "/sess/" + FILE_NAME),
    Case("e2", "mod_session_cookie alone, a cookie as long as (b)'s", "cookie",
         "/sess/" + FILE_NAME),
    Case("f1", "mod_auth_openidc, server-cache (shm)", "oidc-shm", "/oidc/" + FILE_NAME),
    Case("f2", "mod_auth_openidc, client-cookie", "oidc-cookie", "/oidc/" + FILE_NAME),
]


def _bench_tree(h):
    """The 1 KiB file, readable by httpd's user."""
    d = os.path.join(h.dir, "htdocs", "bench")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    p = os.path.join(d, FILE_NAME)
    line = b"0123456789abcdef" * 3 + b"0123456789abcd\n"     # 63 bytes
    data = (line * (FILE_SIZE // len(line) + 1))[:FILE_SIZE - 1] + b"\n"
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, 0o644)
    return d


def _location_body(h, path):
    """The directives of the harness's <Location path> in h's httpd.conf."""
    with open(h.conf) as f:
        text = f.read()
    start = text.index("<Location %s>\n" % path) + len("<Location %s>\n" % path)
    return text[start:text.index("</Location>", start)].rstrip()


class AtlassianGroup:
    def __init__(self, name, env, dbd=False):
        self.name = name
        self.env = env
        self.dbd = dbd
        self.cases = [c for c in CASES if c.group == name]

    def make(self, callgrind=False):
        opts = dict(sub_locations=False, loglevel="warn",
                    server_extra=TUNING + "AtlassianTimeout 60\n"
                    + (CALLGRIND_TUNING if callgrind else ""))
        if self.dbd:
            opts["session_store"] = "dbd"
        h = H.Httpd(self.env.fake, None, self.env.certs, **opts)
        d = _bench_tree(h)
        # The protected cases get locations of their own, with the settings
        # of the harness's /protected (the login's callback stays there),
        # at paths that share no prefix with the harness's test aliases
        # (/protected/cgi/, ...): mod_alias then does the same work for
        # every case, and what differs is what guards the file.
        h.rewrite_config(tail_extra="""
Alias /static/ "{d}/"
Alias /b/ "{d}/"
Alias /bn/ "{d}/"
<Location /b>
{guard}
</Location>
<Location /bn>
{guard}
    AtlassianPassIdentityAs none
</Location>
Alias /sess/ "{d}/"
<Location /sess>
    Session On
    SessionCookieName bench_session path=/
</Location>
""".format(d=d, guard=_location_body(h, "/protected")))
        return h

    def login(self, h):
        b = h.browser()
        r = b.login(path="/b/" + FILE_NAME)
        if r.status != 200 or len(r.body) != FILE_SIZE:
            raise RuntimeError("login on %s did not reach the file: %r" % (self.name, r))
        login = b.cookie_header()
        # (e2): mod_session's work on a cookie of the login's length, so
        # that (b) minus (e2) is what the module adds beyond it.
        padded = COOKIE_SESSION + "x" * max(0, len(login) - len(COOKIE_SESSION))
        cookies = {"a": None, "b": login, "c": login, "d": login, "e": COOKIE_SESSION,
                   "e2": padded}
        return {c.key: cookies[c.key] for c in self.cases}


class OpenIDCGroup:
    def __init__(self, name, env, session_type):
        self.name = name
        self.env = env
        self.session_type = session_type
        self.cases = [c for c in CASES if c.group == name]

    def make(self, callgrind=False):
        port = H.free_port()
        extra = TUNING + (CALLGRIND_TUNING if callgrind else "") + oidc.server_config(
            self.env.provider, port, self.session_type, secrets.token_hex(16))
        h = H.Httpd(None, None, None, port=port, with_module=False, no_authtype=True,
                    sub_locations=False, loglevel="warn", server_extra=extra)
        d = _bench_tree(h)
        h.rewrite_config(tail_extra='Alias /oidc/ "%s/"\n%s' % (d, oidc.LOCATION))
        return h

    def login(self, h):
        b = h.browser()
        r = oidc.login(b, self.cases[0].path, self.env.provider)
        if len(r.body) != FILE_SIZE:
            raise RuntimeError("mod_auth_openidc login did not reach the file: %r" % (r,))
        return {c.key: b.cookie_header() for c in self.cases}


def groups(env, with_oidc=True):
    out = [AtlassianGroup("cookie", env), AtlassianGroup("dbd", env, dbd=True)]
    if with_oidc:
        out += [OpenIDCGroup("oidc-shm", env, "server-cache"),
                OpenIDCGroup("oidc-cookie", env, "client-cookie")]
    return out
