# SPDX-License-Identifier: Apache-2.0
"""A PostgreSQL server as production runs it for AtlassianCache dbd: it
accepts TCP connections only over TLS (hostssl in pg_hba.conf, ssl=on, a
certificate from a CA of the test's own, made by fake_certs) and only with a
password (scram-sha-256), for the role and database "atl". The test itself
reaches it as the superuser over a Unix socket in the server's directory.
It can be stopped and started again on the same port and data."""

import glob
import os
import secrets
import shutil
import signal
import subprocess
import time

import atlharness as H
import fake_certs
import nodes as N

USER = "atl"
DBNAME = "atl"

HBA = """# TCP: TLS and a password only (no "host" line: clear text is refused).
local   all  postgres                 trust
hostssl all  all       127.0.0.1/32   scram-sha-256
"""


class PostgresTLS(N.Server):
    def start(self):
        bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        bindir = bindir[-1] if bindir else "/nonexistent"
        initdb = N._binary("initdb", [os.path.join(bindir, "initdb")])
        self.postgres = N._binary("postgres", [os.path.join(bindir, "postgres")])
        self.psql = N._binary("psql", [os.path.join(bindir, "psql")])
        self.password = secrets.token_urlsafe(18)
        self.dir = H.make_tmpdir("pgtls")
        self.certs = fake_certs.make_certs(os.path.join(self.dir, "certs"))
        os.chmod(self.certs["dir"], 0o755)
        self.data = os.path.join(self.dir, "data")
        os.mkdir(self.data, 0o700)
        # The server's own copy of its key: PostgreSQL wants it 0600, owned by it.
        self.key = os.path.join(self.dir, "server.key")
        shutil.copyfile(self.certs["key"], self.key)
        os.chmod(self.key, 0o600)
        if os.geteuid() == 0:
            for p in (self.dir, self.data, self.key):
                shutil.chown(p, "postgres", "postgres")
        subprocess.run(self._as_owner([initdb, "-D", self.data, "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       timeout=120)
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba, "w") as f:
            f.write(HBA)
        self.port = H.free_port()
        self._run()
        self.sql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (USER, self.password))
        self.sql("CREATE DATABASE %s OWNER %s" % (DBNAME, USER))
        self.sql("CREATE TABLE session (key VARCHAR(256) PRIMARY KEY, value TEXT, "
                 "expiry BIGINT)", db=DBNAME)
        self.sql("ALTER TABLE session OWNER TO %s" % USER, db=DBNAME)
        return self

    @staticmethod
    def _as_owner(argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self):
        argv = self._as_owner([self.postgres, "-D", self.data, "-p", str(self.port),
                               "-c", "listen_addresses=127.0.0.1",
                               "-c", "unix_socket_directories=" + self.dir,
                               "-c", "fsync=off", "-c", "ssl=on",
                               "-c", "ssl_cert_file=" + self.certs["cert"],
                               "-c", "ssl_key_file=" + self.key,
                               "-c", "password_encryption=scram-sha-256"])
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        if not H.wait_for_port(self.port, 20, self.proc):
            self.stop()
            raise RuntimeError("postgres did not start")
        # The port answers before the server accepts logins.
        deadline = time.monotonic() + 30
        while self.sql("SELECT 1", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("postgres does not accept connections")
            time.sleep(0.2)

    def sql(self, query, check=True, db="postgres"):
        """query as the superuser, over the Unix socket; -At output."""
        return subprocess.run([self.psql, "-h", self.dir, "-p", str(self.port),
                               "-U", "postgres", "-d", db, "-At", "-c", query],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30, check=check, text=True)

    def connect_tcp(self, conninfo):
        """psql over TCP with conninfo (as a client would): (returncode, output)."""
        p = subprocess.run([self.psql, "-At", "-c", "SELECT 1", conninfo],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
                           text=True, env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
        return p.returncode, p.stdout

    def conninfo(self, password=None, **extra):
        opts = {"host": "127.0.0.1", "port": str(self.port), "dbname": DBNAME,
                "user": USER, "password": password or self.password,
                "sslmode": "verify-full", "sslrootcert": self.certs["ca"],
                "connect_timeout": "5", "tcp_user_timeout": "5000",
                "options": "'-c statement_timeout=5000'"}
        opts.update(extra)
        return " ".join("%s=%s" % kv for kv in opts.items())

    @property
    def dbd_params(self):
        """libpq's conninfo for DBDParams: TLS with the server's name
        checked against the test CA, the password, and bounds on a slow
        or unreachable server (as the README shows)."""
        return self.conninfo()

    def dbd_include(self, directory):
        """The DBDriver/DBDParams lines in a file readable by root only,
        as the README shows (httpd reads it as root at startup); the line
        to Include it."""
        p = os.path.join(directory, "atlassian-dbd.conf")
        with open(p, "w") as f:
            f.write('DBDriver pgsql\nDBDParams "%s"\n' % self.dbd_params)
        os.chmod(p, 0o600)
        return 'Include "%s"\n' % p

    def cache_rows(self):
        """(id, value, expiry) of the module's table."""
        out = self.sql("SELECT id, value, expiry FROM atlassian_cache ORDER BY id",
                       db=DBNAME).stdout
        return [line.split("|") for line in out.splitlines() if line.count("|") == 2]

    def stop(self):
        N.stop_postmaster(self.proc, self.data)

    def restart(self):
        """Start again on the same port and data (after stop())."""
        self._run()
