# SPDX-License-Identifier: Apache-2.0
"""Test harness for mod_auth_atlassian: a real apache2 with the built module,
configured from a template, in front of a CGI and a proxied backend, against
the fake Atlassian of fake_atlassian.py; and a browser-like client that
follows redirects one at a time.

Environment: ATL_MODULE (the built mod_auth_atlassian.so, absolute path),
ATL_HTTPD (default /usr/sbin/apache2), ATL_MODULES_DIR (default
/usr/lib/apache2/modules). ATL_KEEP_TMP=1 keeps the temporary directories.
ATL_HTTPD_ENV="NAME=value NAME2=value2" (shell-quoted words) is added to the
environment of apache2 only, never to python's: tests/sanitize/run preloads
the AddressSanitizer runtime into httpd with it.
"""

import atexit
import grp
import html
import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse

# The tests folder (this file is in its lib/): apps/, conf paths and the
# source tree are found from here.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTPD_BIN = os.environ.get("ATL_HTTPD", "/usr/sbin/apache2")
MODULES_DIR = os.environ.get("ATL_MODULES_DIR", "/usr/lib/apache2/modules")
MODULE = os.environ.get("ATL_MODULE", "")


def httpd_env():
    """The environment for apache2: ours plus ATL_HTTPD_ENV's assignments."""
    env = dict(os.environ)
    for word in shlex.split(os.environ.get("ATL_HTTPD_ENV", "")):
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise ValueError("ATL_HTTPD_ENV: %r is not NAME=value" % word)
        env[name] = value
    return env


CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789"
SESSION_SECRET = "session-secret-A-0123456789abcdef0123456789abcdef"
SESSION_SECRET_B = "session-secret-B-fedcba9876543210fedcba9876543210"
COOKIE = "atlassian_session"
CALLBACK = "/protected/oauth2callback"
REALM = "Test"

DEFAULT_ACCOUNT_ID = "112233aa-bb11-cc22-33dd-445566abcabc"
DEFAULT_EMAIL = "mia@example.com"

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

_TMPDIRS = []


def _cleanup_tmp():
    if os.environ.get("ATL_KEEP_TMP"):
        return
    for d in _TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_tmp)


def write_doc(httpd, rel, text):
    """Write text to htdocs/rel of an httpd (the folders 0755, the file
    0644, so that children running as www-data read it); its path."""
    p = os.path.join(httpd.dir, "htdocs", rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.chmod(os.path.dirname(p), 0o755)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o644)
    return p


def make_tmpdir(prefix):
    """A temporary directory that httpd's unprivileged user can read
    (mkdtemp's 0700 would lock it out)."""
    d = tempfile.mkdtemp(prefix="atl-" + prefix + "-")
    os.chmod(d, 0o755)
    _TMPDIRS.append(d)
    return d


_MODULE_COPY = []


def module_path():
    """A private copy of ATL_MODULE, taken once per test session: httpd maps
    the file, and a rebuild that rewrites it in place (cp -f) would crash
    the running children."""
    if not _MODULE_COPY:
        d = make_tmpdir("module")
        dst = os.path.join(d, "mod_auth_atlassian.so")
        shutil.copyfile(MODULE, dst)
        os.chmod(dst, 0o755)
        _MODULE_COPY.append(dst)
    return _MODULE_COPY[0]


def run_user():
    """User and group for httpd's children: www-data when running as root
    (apache2 refuses to serve as root), the current user otherwise."""
    if os.geteuid() == 0:
        return "www-data", "www-data"
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


def chown_to_run_user(path):
    if os.geteuid() != 0:
        return
    u, g = run_user()
    os.chown(path, pwd.getpwnam(u).pw_uid, grp.getgrnam(g).gr_gid)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=15.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# --------------------------------------------------------------------------
# httpd


BASE_MODULES = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("session_module", "mod_session.so"),
    ("session_cookie_module", "mod_session_cookie.so"),
    ("cgid_module", "mod_cgid.so"),
    ("mime_module", "mod_mime.so"),
    ("alias_module", "mod_alias.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("env_module", "mod_env.so"),
    ("headers_module", "mod_headers.so"),
]
DBD_MODULES = [("dbd_module", "mod_dbd.so"), ("session_dbd_module", "mod_session_dbd.so")]

# Locations below /protected, each with its own twist; every test module's
# httpd has them all, so that most tests need no restart.
SUB_LOCATIONS = """
<Location /protected/cgi-email>
    AtlassianRemoteUser email
</Location>
<Location /protected/cgi-nick>
    AtlassianRemoteUser nickname
</Location>
<Location /protected/cgi-headers>
    AtlassianPassIdentityAs headers
</Location>
<Location /protected/cgi-none>
    AtlassianPassIdentityAs none
</Location>
<Location /protected/app-env>
    AtlassianPassIdentityAs env
</Location>
<Location /protected/app-none>
    AtlassianPassIdentityAs none
</Location>
<Location /protected/cgi-token>
    AtlassianPassAccessToken On
</Location>
<Location /protected/cgi-sites>
    AtlassianFetchSites On
</Location>
<Location /protected/api401>
    AtlassianUnauthAction 401
</Location>
<Location /protected/cgi-pass>
    AtlassianUnauthAction pass
</Location>
<Location /protected/app-pass>
    AtlassianUnauthAction pass
</Location>
<Location /protected/authz/email-wild>
    Require atlassian-email *@EXAMPLE.COM
</Location>
<Location /protected/authz/email-exact>
    Require atlassian-email nobody@example.com MIA@Example.Com
</Location>
<Location /protected/authz/email-qmark>
    Require atlassian-email mi?@example.co?
</Location>
<Location /protected/authz/email-no>
    Require atlassian-email *@other.org bob@example.com mia@example.co
</Location>
<Location /protected/authz/acct-yes>
    Require atlassian-account-id 557057:0000 112233aa-bb11-cc22-33dd-445566abcabc
</Location>
<Location /protected/authz/acct-no>
    Require atlassian-account-id 557057:0000 112233aa-bb11-cc22-33dd-445566abcabd
</Location>
<Location /protected/authz/user-yes>
    Require user 112233aa-bb11-cc22-33dd-445566abcabc
</Location>
<Location /protected/authz/user-no>
    Require user someone-else
</Location>
<Location /protected/authz/all-no>
    <RequireAll>
        Require atlassian-email *@example.com
        Require atlassian-account-id nobody
    </RequireAll>
</Location>
<Location /protected/authz/any-yes>
    <RequireAny>
        Require atlassian-email *@other.org
        Require atlassian-account-id 112233aa-bb11-cc22-33dd-445566abcabc
    </RequireAny>
</Location>
<Location /protected/authz/site-name>
    Require atlassian-site acme
</Location>
<Location /protected/authz/site-host>
    Require atlassian-site GLOBEX.atlassian.net
</Location>
<Location /protected/authz/site-id>
    Require atlassian-site 1324a887-45db-1bf4-1e99-ef0ff456d421
</Location>
<Location /protected/authz/site-no>
    Require atlassian-site initech initech.atlassian.net 00000000-0000-0000-0000-000000000000
</Location>
<Location /protected/authz/fsite-name>
    AtlassianFetchSites On
    Require atlassian-site acme
</Location>
<Location /protected/authz/fsite-host>
    AtlassianFetchSites On
    Require atlassian-site GLOBEX.atlassian.net
</Location>
<Location /protected/authz/fsite-id>
    AtlassianFetchSites On
    Require atlassian-site 1324a887-45db-1bf4-1e99-ef0ff456d421
</Location>
<Location /protected/authz/fsite-no>
    AtlassianFetchSites On
    Require atlassian-site initech initech.atlassian.net 00000000-0000-0000-0000-000000000000
</Location>
"""


class Httpd:
    """One apache2 process tree, configured by render_config()."""

    registry = []   # every instance, for the error-log check of conftest

    def __init__(self, fake, backend, certs, **opts):
        self.fake = fake
        self.backend = backend
        self.certs = certs
        self.opts = opts
        self.dir = make_tmpdir("httpd")
        self.port = opts.get("port") or free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.callback_path = opts.get("callback_path", CALLBACK)
        self.redirect_uri = self.base + self.callback_path
        self.conf = os.path.join(self.dir, "httpd.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.proc = None
        self._prepare_tree()
        with open(self.conf, "w") as f:
            f.write(self.render_config())
        Httpd.registry.append(self)

    def _prepare_tree(self):
        for sub in ("run", "htdocs", "cgi-bin", "htdocs/files"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            os.chmod(os.path.join(self.dir, sub), 0o755)
        chown_to_run_user(os.path.join(self.dir, "run"))
        for name in ("printenv.cgi", "echo.cgi"):
            cgi = os.path.join(self.dir, "cgi-bin", name)
            shutil.copyfile(os.path.join(HERE, "apps", name), cgi)
            os.chmod(cgi, 0o755)
        for name, text in (("ok.txt", "authorized\n"), ("index.html", "<p>home</p>\n")):
            p = os.path.join(self.dir, "htdocs", "files", name)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, 0o644)
        if self.opts.get("session_store") == "dbd":
            import sqlite3
            db_dir = os.path.join(self.dir, "db")
            os.makedirs(db_dir)
            os.chmod(db_dir, 0o755)
            self.db = os.path.join(db_dir, "sessions.db")
            con = sqlite3.connect(self.db)
            con.execute("CREATE TABLE session (key VARCHAR(256) PRIMARY KEY, "
                        "value VARCHAR(8192), expiry INTEGER)")
            con.commit()
            con.close()
            os.chmod(self.db, 0o644)
            chown_to_run_user(db_dir)
            chown_to_run_user(self.db)

    def write_secret_file(self, name, value, mode=0o640):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(value)
        os.chmod(p, mode)
        chown_to_run_user(p)
        return p

    def rewrite_config(self, **changes):
        self.opts.update(changes)
        with open(self.conf, "w") as f:
            f.write(self.render_config())

    def render_config(self):
        o = self.opts
        d = self.dir
        user, group = run_user()
        urls = self.fake.urls() if self.fake is not None else {}
        urls.update(o.get("urls", {}))
        omit = set(o.get("omit", ()))

        def directive(name, value):
            return "" if name in omit else "%s %s\n" % (name, value)

        modules = list(BASE_MODULES)
        if o.get("session_store") in ("dbd", "pgsql"):
            modules += DBD_MODULES
        lines = ["# generated by tests/atlharness.py",
                 'ServerRoot "%s"' % d,
                 "Listen 127.0.0.1:%d" % self.port,
                 "ServerName 127.0.0.1:%d" % self.port]
        for name, so in modules:
            lines.append('LoadModule %s "%s/%s"' % (name, MODULES_DIR, so))
        if o.get("with_module", True):
            lines.append('LoadModule auth_atlassian_module "%s"' % module_path())
        lines += [
            "User %s" % user, "Group %s" % group,
            'PidFile "%s/run/httpd.pid"' % d,
            'ErrorLog "%s"' % self.error_log,
            'DefaultRuntimeDir "%s/run"' % d,
            'Mutex file:%s/run default' % d,
            'ScriptSock "%s/run/cgid.sock"' % d,
            "LogLevel %s" % o.get("loglevel", "info"),
            'LogFormat "%h \\"%r\\" %>s %b" plain',
            'CustomLog "%s/access.log" plain' % d,
            "TypesConfig /etc/mime.types",
            "StartServers 1", "ServerLimit 4", "ThreadsPerChild 25",
            "MaxRequestWorkers 100", "MinSpareThreads 25", "MaxSpareThreads 75",
            "Timeout 30", "KeepAlive On", "GracefulShutdownTimeout 10",
            'DocumentRoot "%s/htdocs"' % d,
            '<Directory "/">', "    AllowOverride None", "    Require all granted",
            "</Directory>",
        ]
        lines.append("")
        if o.get("with_module", True):
            lines.append(directive("AtlassianClientID", '"%s"' % o.get("client_id", CLIENT_ID)))
            lines.append(directive("AtlassianClientSecret",
                                   '"%s"' % o.get("client_secret", CLIENT_SECRET)))
            lines.append(directive("AtlassianRedirectURI",
                                   o.get("redirect_uri", self.redirect_uri)))
            secrets_ = o.get("session_secret", [SESSION_SECRET])
            if isinstance(secrets_, str):
                secrets_ = [secrets_]
            lines.append(directive("AtlassianSessionSecret",
                                   " ".join('"%s"' % s for s in secrets_)))
            for name, key in (("AtlassianAuthorizeURL", "authorize"),
                              ("AtlassianTokenURL", "token"),
                              ("AtlassianProfileURL", "profile"),
                              ("AtlassianResourcesURL", "resources")):
                if key in urls:
                    lines.append(directive(name, '"%s"' % urls[key]))
            if self.certs is not None:
                lines.append(directive("AtlassianCAFile",
                                       '"%s"' % o.get("ca_file", self.certs["ca"])))
        lines.append(o.get("server_extra", ""))
        if os.environ.get("ATL_CORE_DIR"):
            # For debugging a crash: children leave a core file there.
            lines.append('CoreDumpDirectory "%s"' % os.environ["ATL_CORE_DIR"])
        lines += [
            'ScriptAlias /protected/cgi/ "%s/cgi-bin/"' % d,
        ]
        for variant in ("cgi-email", "cgi-nick", "cgi-headers", "cgi-none", "cgi-token",
                        "cgi-sites", "api401", "cgi-pass", "post"):
            lines.append('ScriptAlias /protected/%s/ "%s/cgi-bin/"' % (variant, d))
        lines.append('AliasMatch "^/protected/authz/[^/]+/ok\\.txt$" "%s/htdocs/files/ok.txt"' % d)
        lines.append('Alias /public/ "%s/htdocs/files/"' % d)
        if self.backend is not None:
            for variant in ("app", "app-env", "app-none", "app-pass"):
                lines.append("ProxyPass /protected/%s/ http://127.0.0.1:%d/%s/"
                             % (variant, self.backend.port, variant))
        session = o.get("session_directives")
        if session is None:
            if o.get("session_store") in ("dbd", "pgsql"):
                session = ("Session On\n    SessionDBDCookieName atlassian_sid path=/;HttpOnly")
            else:
                session = "Session On\n    SessionCookieName %s path=/;HttpOnly" % COOKIE
        auth_type = "" if o.get("no_authtype") else "AuthType Atlassian\n    "
        lines.append("""
<Location /protected>
    %sAuthName "%s"
    %s
    Require valid-user
    %s
</Location>
""" % (auth_type, REALM, session, o.get("protected_extra", "")))
        if o.get("session_store") in ("dbd", "pgsql"):
            # mod_session_dbd gives a changed session a new key; this update
            # (unlike the manual's, which renames the row) leaves the old
            # row, so requests in flight with the old key keep their login.
            lines.append("""
DBDriver %s
DBDParams "%s"
DBDPrepareSQL "SELECT value FROM session WHERE key = %%s AND (expiry = 0 OR expiry > %%lld)" selectsession
DBDPrepareSQL "DELETE FROM session WHERE key = %%s" deletesession
DBDPrepareSQL "INSERT INTO session (value, expiry, key) VALUES (%%s, %%lld, %%s)" insertsession
DBDPrepareSQL "UPDATE session SET value = %%s, expiry = %%lld WHERE key = %%s" updatesession
DBDPrepareSQL "DELETE FROM session WHERE expiry != 0 AND expiry < %%lld" cleansession
""" % (("pgsql", o["dbd_params"]) if o.get("session_store") == "pgsql"
       else ("sqlite3", self.db)))
        if o.get("sub_locations", True):
            lines.append(SUB_LOCATIONS)
        lines.append(o.get("tail_extra", ""))
        return "\n".join(lines) + "\n"

    # -- process --------------------------------------------------------------

    def config_test(self):
        """apache2 -t on this configuration: (returncode, combined output)."""
        p = subprocess.run([HTTPD_BIN, "-t", "-f", self.conf], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60, env=httpd_env())
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def start(self, check=True):
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([HTTPD_BIN, "-f", self.conf, "-DFOREGROUND"],
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=httpd_env())
        ok = wait_for_port(self.port, 20, self.proc)
        if not ok and check:
            out = self.read_stderr() + "\n" + self.read_log()
            self.stop()
            raise RuntimeError("apache2 did not start:\n" + out[-4000:])
        return ok

    def read_stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Stop the whole process group; make sure nothing is left."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        # A graceful stop (what "apachectl graceful-stop" sends): on SIGTERM
        # httpd's event MPM children exit() from a signal handler while their
        # threads still run, and now and then one crashes in the MPM's own
        # code, which would hide a crash of the module. SIGTERM only if the
        # graceful stop does not end in time.
        for sig, wait in ((signal.SIGWINCH, 20), (signal.SIGTERM, 15)):
            if self.proc.poll() is not None:
                break
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        # Children (cgid daemon, workers) share the process group.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None
        self._stderr.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- logs -------------------------------------------------------------------

    def log_size(self):
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def read_log(self, offset=0):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        return self.log_size()

    def wait_log(self, pattern, offset=0, timeout=5.0):
        """The error log text from offset once it matches pattern (regex), or
        whatever it holds after timeout (log writes can trail the answer)."""
        deadline = time.monotonic() + timeout
        text = self.read_log(offset)
        while not re.search(pattern, text) and time.monotonic() < deadline:
            time.sleep(0.05)
            text = self.read_log(offset)
        return text

    def browser(self):
        return Browser(self)


# --------------------------------------------------------------------------
# the browser


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def location(self):
        return self.header("Location")

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def env(self):
        """The printenv.cgi output as a dict."""
        out = {}
        for line in self.text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
        return out

    def __repr__(self):
        return "<Response %d %s Location=%r body=%r>" % (
            self.status, self.reason, self.location, self.body[:300])


def parse_set_cookie(value):
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip()
    return name.strip(), val.strip(), attrs


class Browser:
    """A browser-like client: one cookie jar for the httpd under test, never
    follows redirects by itself. source_address: the local address it
    connects from (127.0.0.2: a client that is not the proxy in front)."""

    def __init__(self, httpd, ca_file=None, source_address=None):
        self.httpd = httpd
        self.source = (source_address, 0) if source_address else None
        self.cookies = {}
        self.ca_file = ca_file or (httpd.certs["ca"] if httpd.certs else None)
        self.history = []

    def _ssl(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return ctx

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def request(self, method, url, headers=None, body=None, cookies=True,
                accept=BROWSER_ACCEPT, timeout=30):
        u = urllib.parse.urlsplit(url)
        if u.scheme:
            host, port = u.hostname, u.port
            target = u.path or "/"
            if u.query:
                target += "?" + u.query
        else:
            host, port, target = "127.0.0.1", self.httpd.port, url
        ours = (host == "127.0.0.1" and port == self.httpd.port)
        if u.scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl(),
                                               source_address=self.source)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout,
                                              source_address=self.source)
        hdrs = {"User-Agent": "atl-test-browser/1.0"}
        if accept is not None:
            hdrs["Accept"] = accept
        if ours and cookies and self.cookies:
            hdrs["Cookie"] = self.cookie_header()
        extra = []
        if isinstance(headers, dict):
            hdrs.update(headers)
        elif headers:
            extra = list(headers)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for k, v in list(hdrs.items()) + extra:
                if v is not None:
                    conn.putheader(k, v)
            if body is not None:
                if isinstance(body, str):
                    body = body.encode()
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.reason, r.getheaders(), data)
        finally:
            conn.close()
        if ours and cookies:
            for v in resp.header_all("Set-Cookie"):
                name, val, attrs = parse_set_cookie(v)
                expired = (val == "" or attrs.get("max-age") == "0"
                           or "1970" in attrs.get("expires", ""))
                if expired:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = val
        self.history.append((method, url, resp))
        return resp

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, body=b"", **kw):
        return self.request("POST", url, body=body, **kw)

    # -- the login dance ------------------------------------------------------

    def local(self, location):
        """A Location on this httpd as a local path and query."""
        if location is None:
            return None
        if location.startswith(self.httpd.base + "/"):
            return location[len(self.httpd.base):]
        return location

    def start_login(self, path, scope="read:me"):
        """GET a protected URL; assert the module's 302 to /authorize and
        its parameters; return the parsed authorize query (dict)."""
        r = self.get(path)
        assert r.status == 302, r
        loc = r.location
        assert loc, r
        authorize = self.httpd.fake.urls()["authorize"] if self.httpd.fake else None
        if authorize:
            assert loc.startswith(authorize + "?"), loc
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query, keep_blank_values=True)
        for name in ("audience", "client_id", "scope", "redirect_uri", "state",
                     "response_type", "prompt"):
            assert len(q.get(name, [])) == 1, (name, loc)
        q = {k: v[0] for k, v in q.items()}
        assert q["audience"] == "api.atlassian.com"
        assert q["client_id"] == self.httpd.opts.get("client_id", CLIENT_ID)
        assert q["scope"] == scope
        assert q["redirect_uri"] == self.httpd.redirect_uri
        assert q["response_type"] == "code"
        assert q["prompt"] == "consent"
        assert re.fullmatch(r"[A-Za-z0-9_\-]{32,}", q["state"]), q["state"]
        assert "no-store" in (r.header("Cache-Control") or ""), r.headers
        q["_location"] = loc
        q["_response"] = r
        return q

    def authorize(self, authorize_location):
        """GET the fake's /authorize (auto-approve); return the callback URL."""
        r = self.get(authorize_location)
        assert r.status == 302, r
        cb = r.location
        assert cb.startswith(self.httpd.redirect_uri + "?"), cb
        return cb

    def finish_login(self, callback_url, expect_return):
        r = self.get(callback_url)
        assert r.status == 302, r
        assert self.local(r.location) == expect_return, (r.location, expect_return)
        assert "no-store" in (r.header("Cache-Control") or ""), r.headers
        assert (r.header("Referrer-Policy") or "").lower() == "no-referrer", r.headers
        return r

    def login(self, path="/protected/cgi/printenv.cgi?x=1&y=two%20words", scope="read:me"):
        """The whole login, each step asserted; returns the final page."""
        q = self.start_login(path, scope=scope)
        cb = self.authorize(q["_location"])
        cq = urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)
        assert cq["state"] == [q["state"]]
        assert len(cq["code"]) == 1
        self.finish_login(cb, path)
        return self.get(path)


def raw_request(port, data, timeout=10):
    """Send raw bytes to 127.0.0.1:port; return (status or None, raw answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if sum(len(c) for c in chunks) > 1 << 20:
                break
    out = b"".join(chunks)
    m = re.match(rb"HTTP/1\.[01] (\d{3})", out)
    return (int(m.group(1)) if m else None), out


def log_errors(text):
    """[error]-or-worse lines of an httpd error log text."""
    return [l for l in text.splitlines()
            if re.search(r"\[[^\]]*:(error|crit|alert|emerg)\]", l)]


def crash_lines(text):
    return [l for l in text.splitlines()
            if re.search(r"exit signal (Segmentation fault|Aborted|Bus error|Illegal)", l)]


def unescaped(s):
    return html.unescape(s)


def pending(httpd, path="/protected/cgi/printenv.cgi"):
    """A browser with one pending login: (browser, authorize params, callback URL)."""
    b = httpd.browser()
    q = b.start_login(path)
    cb = b.authorize(q["_location"])
    return b, q, cb


def cb_parts(cb):
    """(path, code, state) of a callback URL."""
    u = urllib.parse.urlsplit(cb)
    q = urllib.parse.parse_qs(u.query)
    return u.path, q["code"][0], q["state"][0]
