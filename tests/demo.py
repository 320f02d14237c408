#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A local demo of mod_auth_atlassian (run by `make demo`).

Starts on 127.0.0.1 an apache2 with the built module protecting /protected/:
a CGI that prints its environment (/protected/cgi/printenv.cgi) and a small
application behind mod_proxy (/protected/app/) that shows the X-Atlassian-*
headers it receives. A home page at / links to both, to a page open only
to a group (/protected/admins/, Require atlassian-group), to one the demo
user is not allowed to see (/protected/finance/), to ?info=json and to
logout.

Without ATLASSIAN_ID in the environment, the demo also starts a fake
Atlassian on 127.0.0.1 (plain http, which the module allows for loopback
hosts) with a consent page to click through. With ATLASSIAN_ID and
ATLASSIAN_SECRET set, it signs in with the real Atlassian (register the
callback URL it prints in the developer console).

Environment: ATL_MODULE (the built .so), ATL_HTTPD (default
/usr/sbin/apache2), ATL_MODULES_DIR (default /usr/lib/apache2/modules),
DEMO_PORT (default 8080; a free port is used when it is busy). With the
real Atlassian, DEMO_GROUP_SITE and DEMO_GROUP (a site's URL host and one
of its Jira groups) choose the group of /protected/admins/ (default
acme.atlassian.net jira-admins, which the fake makes the demo user a
member of); the scopes then include read:jira-user.
Files go to ./demo-run/. Stop with Ctrl-C (or SIGTERM).
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "lib"))

import fake_atlassian  # noqa: E402
import fake_products  # noqa: E402
from apps.backend import Backend  # noqa: E402

HTTPD = os.environ.get("ATL_HTTPD", "/usr/sbin/apache2")
MODULES_DIR = os.environ.get("ATL_MODULES_DIR", "/usr/lib/apache2/modules")
MODULE = os.environ.get("ATL_MODULE", "")

MODULES = ["mpm_event:mod_mpm_event.so", "authz_core:mod_authz_core.so",
           "authz_user:mod_authz_user.so", "authn_core:mod_authn_core.so",
           "socache_shmcb:mod_socache_shmcb.so", "session:mod_session.so",
           "session_cookie:mod_session_cookie.so", "cgid:mod_cgid.so",
           "mime:mod_mime.so", "alias:mod_alias.so", "dir:mod_dir.so",
           "proxy:mod_proxy.so", "proxy_http:mod_proxy_http.so",
           "env:mod_env.so", "headers:mod_headers.so"]

DEMO_PROFILE = {
    "account_type": "atlassian",
    "account_id": "5b10ac8d82e05b22cc7d4ef5",
    "email": "ada.lovelace@example.com",
    "name": "Ada Lovelace",
    "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/default.png",
    "account_status": "active",
    "nickname": "ada",
    "zoneinfo": "Europe/London",
    "locale": "en-GB",
    "email_verified": True,
    "extended_profile": {"job_title": "Analyst", "department": "Engines",
                         "organization": "Analytical Engines Ltd", "location": "London"},
}

HOME = """<!doctype html>
<html><head><meta charset="utf-8"><title>mod_auth_atlassian demo</title>
<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.5}</style>
</head><body>
<h1>mod_auth_atlassian demo</h1>
<p>%s</p>
<ul>
<li><a href="/protected/cgi/printenv.cgi">A CGI program</a> that prints the variables it gets
 (<code>REMOTE_USER</code>, <code>ATLASSIAN_*</code>)</li>
<li><a href="/protected/app/">An application behind mod_proxy</a> that shows the
 <code>X-Atlassian-*</code> headers it receives</li>
<li><a href="/protected/admins/">A page open only to the %s group</a> on %s
 (<code>Require atlassian-group</code>)</li>
<li><a href="/protected/finance/">A page for the finance group</a>, which the demo user
 is not in: the 403 page says which group it needs</li>
<li><a href="/protected/oauth2callback?info=json">Who am I?</a> (<code>?info=json</code>)</li>
<li><a href="/protected/oauth2callback?logout=/">Sign out</a></li>
</ul>
</body></html>
"""


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_user():
    import grp
    import pwd
    if os.geteuid() == 0:
        return "www-data", "www-data"
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


def chown_run_user(path):
    if os.geteuid() == 0:
        import grp
        import pwd
        u, g = run_user()
        os.chown(path, pwd.getpwnam(u).pw_uid, grp.getgrnam(g).gr_gid)


def reachable_by_others(path):
    """Whether every directory above path can be traversed by others (httpd's
    children run as www-data when the demo runs as root)."""
    path = os.path.abspath(path)
    while True:
        parent = os.path.dirname(path)
        if parent == path:
            return True
        if not os.stat(parent).st_mode & 0o001:
            return False
        path = parent


def main():
    if not MODULE or not os.path.isfile(MODULE):
        sys.exit("demo: set ATL_MODULE to the built mod_auth_atlassian.so (run `make demo`)")
    run = os.path.abspath("demo-run")
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(run)
    os.chmod(run, 0o755)
    # Content httpd's children must read: in demo-run when they can reach it,
    # otherwise (root with a private build tree) in a world-readable temp dir.
    content = run
    if os.geteuid() == 0 and not reachable_by_others(run):
        content = tempfile.mkdtemp(prefix="atl-demo-")
        os.chmod(content, 0o755)
    for sub in ("htdocs", "cgi-bin"):
        os.makedirs(os.path.join(content, sub), exist_ok=True)
        os.chmod(os.path.join(content, sub), 0o755)
    os.makedirs(os.path.join(run, "run"), exist_ok=True)
    chown_run_user(os.path.join(run, "run"))
    cgi = os.path.join(content, "cgi-bin", "printenv.cgi")
    shutil.copyfile(os.path.join(HERE, "apps", "printenv.cgi"), cgi)
    os.chmod(cgi, 0o755)

    requested = int(os.environ.get("DEMO_PORT", "8080"))
    port = requested if port_free(requested) else free_port()
    if port != requested:
        print("demo: port %d is busy, using %d" % (requested, port), flush=True)
    base = "http://127.0.0.1:%d" % port
    callback = base + "/protected/oauth2callback"

    group_site = os.environ.get("DEMO_GROUP_SITE", "acme.atlassian.net")
    demo_group = os.environ.get("DEMO_GROUP", "jira-admins")
    real = bool(os.environ.get("ATLASSIAN_ID"))
    fake = None
    if real:
        if not os.environ.get("ATLASSIAN_SECRET"):
            sys.exit("demo: ATLASSIAN_ID is set but ATLASSIAN_SECRET is not")
        endpoints = 'AtlassianScope "read:me read:jira-user"\n'
        client = 'AtlassianClientID "%s"\nAtlassianClientSecret env:ATLASSIAN_SECRET\n' % \
            os.environ["ATLASSIAN_ID"].replace('"', "")
        note = "Signing in with the real Atlassian."
    else:
        fake = fake_atlassian.start(port=0, tls=False, auto_approve=False)
        fake.set_profile(DEMO_PROFILE)
        # The demo user is in jira-admins on the acme site (Jira).
        fake_products.set_groups(fake, fake_atlassian.DEFAULT_SITES[0]["id"],
                                 jira=[{"name": "jira-admins",
                                        "groupId": "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5"},
                                       "jira-users"])
        u = fake.urls()
        endpoints = ('AtlassianAuthorizeURL "%s"\nAtlassianTokenURL "%s"\n'
                     'AtlassianProfileURL "%s"\nAtlassianResourcesURL "%s"\n'
                     'AtlassianAPIURL "%s"\nAtlassianScope "read:me read:jira-user"\n'
                     % (u["authorize"], u["token"], u["profile"], u["resources"],
                        fake.base))
        client = 'AtlassianClientID "%s"\nAtlassianClientSecret "%s"\n' % (
            fake.client_id, fake.client_secret)
        note = ("Signing in with a <b>fake Atlassian</b> running on %s (no account "
                "needed: click <i>Allow</i> on its consent page)." % fake.base)

    backend = Backend("html").start()
    key = os.path.join(run, "session.key")
    with open(key, "w") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    os.chmod(key, 0o600)

    with open(os.path.join(content, "htdocs", "index.html"), "w") as f:
        f.write(HOME % (note, demo_group, group_site))
    os.chmod(os.path.join(content, "htdocs", "index.html"), 0o644)
    for sub, text in (("admins", "Only members of the %s group on %s see this page."
                       % (demo_group, group_site)),
                      ("finance", "Only the finance group sees this page.")):
        d = os.path.join(content, "htdocs", "protected", sub)
        os.makedirs(d, exist_ok=True)
        for dd in (os.path.dirname(d), d):
            os.chmod(dd, 0o755)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!doctype html><meta charset=utf-8><title>%s</title><p>%s</p>\n"
                    % (sub, text))
        os.chmod(os.path.join(d, "index.html"), 0o644)

    user, group = run_user()
    conf = os.path.join(run, "httpd.conf")
    lines = ['ServerRoot "%s"' % run, "Listen 127.0.0.1:%d" % port,
             "ServerName 127.0.0.1:%d" % port]
    for m in MODULES:
        name, so = m.split(":")
        lines.append('LoadModule %s_module "%s/%s"' % (name, MODULES_DIR, so))
    lines.append('LoadModule auth_atlassian_module "%s"' % MODULE)
    lines += ["User %s" % user, "Group %s" % group,
              'PidFile "%s/run/httpd.pid"' % run, 'ErrorLog "%s/error.log"' % run,
              'DefaultRuntimeDir "%s/run"' % run, "Mutex file:%s/run default" % run,
              'ScriptSock "%s/run/cgid.sock"' % run, "LogLevel info",
              'CustomLog "%s/access.log" common' % run,
              'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
              "TypesConfig /etc/mime.types", "StartServers 1", "ServerLimit 2",
              "ThreadsPerChild 25", "MaxRequestWorkers 50", "MinSpareThreads 5",
              "MaxSpareThreads 50",
              'DocumentRoot "%s/htdocs"' % content, "DirectoryIndex index.html",
              '<Directory "/">', "    Require all granted", "</Directory>",
              client.rstrip("\n"),
              "AtlassianRedirectURI %s" % callback,
              "AtlassianSessionSecret file:%s" % key,
              endpoints.rstrip("\n"),
              'ScriptAlias /protected/cgi/ "%s/cgi-bin/"' % content,
              "ProxyPass /protected/app/ http://127.0.0.1:%d/" % backend.port,
              "<Location /protected>",
              "    AuthType Atlassian", '    AuthName "mod_auth_atlassian demo"',
              "    Session On",
              "    SessionCookieName atlassian_session path=/;HttpOnly;SameSite=Lax",
              # The session cookie never reaches the CGI or the backend.
              "    SessionCookieRemove On",
              "    Require valid-user",
              "</Location>",
              "<Location /protected/admins/>",
              '    Require atlassian-group "%s" "%s"' % (group_site.replace('"', ""),
                                                       demo_group.replace('"', "")),
              "</Location>",
              "<Location /protected/finance/>",
              '    Require atlassian-group "%s" finance' % group_site.replace('"', ""),
              "</Location>"]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")

    stopping = {"flag": False}

    def on_signal(signum, frame):
        stopping["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    log = open(os.path.join(run, "httpd.stderr"), "wb")
    proc = subprocess.Popen([HTTPD, "-f", conf, "-DFOREGROUND"], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    status = 0
    try:
        deadline = time.monotonic() + 20
        up = False
        while time.monotonic() < deadline and proc.poll() is None and not stopping["flag"]:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    up = True
                    break
            except OSError:
                time.sleep(0.1)
        if not up:
            with open(os.path.join(run, "httpd.stderr"), "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace"))
            try:
                with open(os.path.join(run, "error.log"), "rb") as f:
                    sys.stderr.write(f.read().decode("utf-8", "replace")[-3000:])
            except OSError:
                pass
            if not stopping["flag"]:
                print("demo: apache2 did not start (see demo-run/error.log)", file=sys.stderr)
                status = 1
        else:
            if real:
                print("demo: register this callback URL in the Atlassian developer console:\n"
                      "      %s" % callback, flush=True)
            else:
                print("demo: fake Atlassian at %s (consent page; no account needed)" % fake.base,
                      flush=True)
            print("demo: open %s/ in a browser (Ctrl-C to stop)" % base, flush=True)
            while not stopping["flag"] and proc.poll() is None:
                time.sleep(0.2)
            if proc.poll() is not None and not stopping["flag"]:
                print("demo: apache2 exited (see demo-run/error.log)", file=sys.stderr)
                status = 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
        backend.stop()
        if fake is not None:
            fake.stop()
        if content != run:
            shutil.rmtree(content, ignore_errors=True)
        print("demo: stopped", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
