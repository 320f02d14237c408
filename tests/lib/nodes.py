# SPDX-License-Identifier: Apache-2.0
"""Many httpd nodes for the tests: real memcached, redis-server and
PostgreSQL servers on 127.0.0.1 (free ports, stopped by PID), and a
cluster of httpd nodes sharing AtlassianSessionSecret behind a fourth
httpd with mod_proxy_balancer (round robin, no stickiness).

A missing server binary fails the test that needs it (CI installs them:
see the PACKAGES of ./dev)."""

import glob
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

import atlharness as H


def _binary(name, candidates=()):
    for c in list(candidates) + [shutil.which(name) or ""]:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    pytest.fail("%s is not installed (Debian package: see ./dev PACKAGES)" % name)


def _stop_pid(proc, sig=signal.SIGTERM, wait=15):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def stop_postmaster(proc, data):
    """PostgreSQL's fast shutdown (SIGINT) sent to the postmaster itself,
    its PID from postmaster.pid (runuser, our child when root, does not
    pass SIGINT on), then our child is waited for."""
    if proc is None or proc.poll() is not None:
        return
    try:
        with open(os.path.join(data, "postmaster.pid")) as f:
            os.kill(int(f.readline()), signal.SIGINT)
    except (OSError, ValueError):
        pass
    _stop_pid(proc, signal.SIGINT, 30)


class Server:
    """A server process started by a test; stop() by its PID."""
    proc = None

    def _start(self, argv, **kw):
        self.port = H.free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, **kw)
        if not H.wait_for_port(self.port, 20, self.proc):
            self.stop()
            raise RuntimeError("%s did not start" % argv[0])
        return self

    def stop(self):
        _stop_pid(self.proc)


class Memcached(Server):
    def start(self):
        argv = [_binary("memcached"), "-l", "127.0.0.1", "-p", "{port}", "-U", "0"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        return self._start(argv)

    @property
    def spec(self):
        return "memcache:127.0.0.1:%d" % self.port


class Redis(Server):
    def start(self):
        self.dir = H.make_tmpdir("redis")
        return self._start([_binary("redis-server"), "--port", "{port}", "--bind",
                            "127.0.0.1", "--save", "", "--appendonly", "no",
                            "--dir", self.dir])

    @property
    def spec(self):
        return "redis:127.0.0.1:%d" % self.port


class Postgres(Server):
    """A throwaway cluster: initdb into a temporary directory (as the
    postgres user when run as root), pg_ctl-free start so the PID is ours,
    the session table of mod_session_dbd."""

    def _as_owner(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def start(self):
        bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        bindir = bindir[-1] if bindir else "/nonexistent"
        initdb = _binary("initdb", [os.path.join(bindir, "initdb")])
        postgres = _binary("postgres", [os.path.join(bindir, "postgres")])
        self.psql = _binary("psql", [os.path.join(bindir, "psql")])
        self.dir = H.make_tmpdir("pg")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        os.mkdir(self.data, 0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
        subprocess.run(self._as_owner([initdb, "-D", self.data, "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       timeout=120)
        self._start(self._as_owner([postgres, "-D", self.data, "-p", "{port}",
                                    "-c", "listen_addresses=127.0.0.1",
                                    "-c", "unix_socket_directories=" + self.dir,
                                    "-c", "fsync=off"]))
        # The port answers before the server accepts logins.
        deadline = time.monotonic() + 30
        while self.sql("SELECT 1", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("postgres does not accept connections")
            time.sleep(0.2)
        self.sql("CREATE TABLE session (key VARCHAR(256) PRIMARY KEY, "
                 "value TEXT, expiry BIGINT)")
        return self

    def sql(self, query, check=True):
        return subprocess.run([self.psql, "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "postgres", "-d", "postgres", "-At", "-c", query],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30, check=check, text=True)

    def rows(self):
        out = self.sql("SELECT key, value FROM session ORDER BY key").stdout
        return [line.split("|", 1) for line in out.splitlines() if "|" in line]

    @property
    def dbd_params(self):
        return ("host=127.0.0.1 port=%d user=postgres dbname=postgres" % self.port)

    def stop(self):
        stop_postmaster(self.proc, self.data)


class Balancer(H.Httpd):
    """The fourth httpd: mod_proxy_balancer in front of the nodes."""

    def _prepare_tree(self):
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        os.chmod(os.path.join(self.dir, "run"), 0o755)
        H.chown_to_run_user(os.path.join(self.dir, "run"))

    def render_config(self):
        d = self.dir
        user, group = H.run_user()
        mods = [("mpm_event_module", "mod_mpm_event.so"),
                ("authz_core_module", "mod_authz_core.so"),
                ("slotmem_shm_module", "mod_slotmem_shm.so"),
                ("proxy_module", "mod_proxy.so"),
                ("proxy_http_module", "mod_proxy_http.so"),
                ("proxy_balancer_module", "mod_proxy_balancer.so"),
                ("lbmethod_byrequests_module", "mod_lbmethod_byrequests.so")]
        members = "\n".join("    BalancerMember http://127.0.0.1:%d" % p
                            for p in self.opts["members"])
        return "\n".join(
            ['ServerRoot "%s"' % d, "Listen 127.0.0.1:%d" % self.port,
             "ServerName 127.0.0.1:%d" % self.port]
            + ['LoadModule %s "%s/%s"' % (n, H.MODULES_DIR, so) for n, so in mods]
            + ["User %s" % user, "Group %s" % group,
               'PidFile "%s/run/httpd.pid"' % d, 'ErrorLog "%s"' % self.error_log,
               'DefaultRuntimeDir "%s/run"' % d, "Mutex file:%s/run default" % d,
               "LogLevel info", "StartServers 1", "ServerLimit 2",
               "ThreadsPerChild 25", "MaxRequestWorkers 50", "MinSpareThreads 10",
               "MaxSpareThreads 50", "Timeout 30",
               "GracefulShutdownTimeout 5",
               '<Proxy "balancer://nodes">', members,
               "    ProxySet lbmethod=byrequests", "</Proxy>",
               "ProxyPreserveHost On",
               'ProxyPass "/" "balancer://nodes/"',
               'ProxyPassReverse "/" "balancer://nodes/"', ""])


class Cluster:
    """n httpd nodes with the same AtlassianSessionSecret (the harness's
    default), their callback on the balancer's URL, behind a Balancer."""

    def __init__(self, fake, backend, certs, n=3, cache=None, loads=(), **opts):
        port = H.free_port()
        base = "http://127.0.0.1:%d" % port
        extra = "".join('LoadModule %s_module "%s/mod_%s.so"\n' % (m, H.MODULES_DIR, m)
                        for m in loads)
        if cache:
            extra += "AtlassianCache %s\n" % cache
        opts["server_extra"] = extra + opts.get("server_extra", "")
        opts.setdefault("redirect_uri", base + H.CALLBACK)
        self.nodes = [H.Httpd(fake, backend, certs, **opts) for _ in range(n)]
        self.balancer = Balancer(fake, backend, certs, port=port,
                                 members=[h.port for h in self.nodes])
        self.balancer.redirect_uri = opts["redirect_uri"]

    def start(self):
        for h in self.nodes + [self.balancer]:
            h.start()
        return self

    def stop(self):
        self.balancer.stop()
        # In parallel: each graceful stop may wait for its children.
        threads = [threading.Thread(target=h.stop) for h in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for h in self.nodes:
            crashed = H.crash_lines(h.read_log())
            assert not crashed, "httpd child crashed:\n" + "\n".join(crashed)

    def browser(self):
        return self.balancer.browser()

    def served(self, mark, total=0):
        """How many requests each node logged since mark; waits (a little)
        until they add up to total, as httpd logs after it answers."""
        deadline = time.monotonic() + 5
        while True:
            out = [len(self._access(h)[m:].splitlines()) for h, m in zip(self.nodes, mark)]
            if sum(out) >= total or time.monotonic() > deadline:
                return out
            time.sleep(0.05)

    def access_mark(self):
        return [len(self._access(h)) for h in self.nodes]

    @staticmethod
    def _access(h):
        try:
            with open(os.path.join(h.dir, "access.log")) as f:
                return f.read()
        except OSError:
            return ""
