# SPDX-License-Identifier: Apache-2.0
"""tests/demo.py: starts, signs in through the fake's consent page, shows
the CGI output and the proxied app, and stops everything on SIGINT."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse

import pytest

import atlharness as H


class _FakeHttpd:
    """Just enough of Httpd for a Browser pointed at the demo."""

    def __init__(self, port):
        self.port = port
        self.base = "http://127.0.0.1:%d" % port
        self.redirect_uri = self.base + H.CALLBACK
        self.fake = None
        self.certs = None
        self.opts = {}


def _read_until(proc, pattern, timeout):
    """Lines of proc's stdout until one matches pattern (regex)."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    lines = []
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            m = re.search(pattern, lines[-1])
            if m:
                return m, lines
    return None, lines


def test_demo_login_and_stop():
    if not H.MODULE or not os.path.isfile(H.MODULE):
        pytest.skip("ATL_MODULE is not set")
    work = H.make_tmpdir("demo")
    env = dict(os.environ, DEMO_PORT=str(H.free_port()), ATL_MODULE=H.module_path(),
               ATL_HTTPD=H.HTTPD_BIN, ATL_MODULES_DIR=H.MODULES_DIR)
    env.pop("ATLASSIAN_ID", None)
    env.pop("ATLASSIAN_SECRET", None)
    proc = subprocess.Popen([sys.executable, os.path.join(H.HERE, "demo.py")], cwd=work,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        m, lines = _read_until(proc, r"open (http://127\.0\.0\.1:(\d+))/", 30)
        assert m, "demo did not print its URL:\n" + "\n".join(lines)
        port = int(m.group(2))
        fake_base = None
        for l in lines:
            fm = re.search(r"fake Atlassian at (http://127\.0\.0\.1:\d+)", l)
            if fm:
                fake_base = fm.group(1)
        assert fake_base, lines
        b = H.Browser(_FakeHttpd(port))
        home = b.get("/")
        assert home.status == 200
        for link in ("/protected/cgi/printenv.cgi", "/protected/app/", "/protected/admins/",
                     "/protected/finance/", "?info=json", "?logout="):
            assert link in home.text, link

        r = b.get("/protected/cgi/printenv.cgi")
        assert r.status == 302, r
        assert r.location.startswith(fake_base + "/authorize?")
        page = b.get(r.location)
        assert page.status == 200
        assert "Allow" in page.text and "Deny" in page.text and "read:me" in page.text
        rid = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
        r = b.post(fake_base + "/authorize/decide",
                   body=urllib.parse.urlencode({"request": rid, "decision": "allow"}),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 302
        assert r.location.startswith("http://127.0.0.1:%d/protected/oauth2callback?" % port)
        r = b.get(r.location)
        assert r.status == 302, r
        assert b.local(r.location) == "/protected/cgi/printenv.cgi"
        r = b.get("/protected/cgi/printenv.cgi")
        assert r.status == 200, r
        env_out = r.env()
        assert env_out["AUTH_TYPE"] == "Atlassian"
        assert env_out["ATLASSIAN_EMAIL"] == "ada.lovelace@example.com"
        assert env_out["ATLASSIAN_NAME"] == "Ada Lovelace"
        app = b.get("/protected/app/")
        assert app.status == 200
        assert "X-Atlassian-Email" in app.text and "ada.lovelace@example.com" in app.text
        # A page open only to a group the demo user is in, one it is not in.
        admins = b.get("/protected/admins/")
        assert admins.status == 200, admins
        assert "Only members of the jira-admins group" in admins.text
        finance = b.get("/protected/finance/")
        assert finance.status == 403, finance
        assert "acme.atlassian.net/finance" in finance.text
        assert env_out["ATLASSIAN_GROUPS"] == "acme.atlassian.net/jira-admins"
        info = b.get(H.CALLBACK + "?info=json").json()
        assert info["email"] == "ada.lovelace@example.com"
        with open(os.path.join(work, "demo-run", "run", "httpd.pid")) as f:
            httpd_pid = int(f.read().strip())
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            rest = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
            raise AssertionError("demo.py did not stop within 30 s of SIGINT")
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    # Nothing is left: no httpd, no listener.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(httpd_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("httpd %d still runs after the demo stopped" % httpd_pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    assert not H.wait_for_port(port, timeout=0.5)
    assert not H.wait_for_port(int(urllib.parse.urlsplit(fake_base).port), timeout=0.5)
