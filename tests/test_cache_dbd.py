# SPDX-License-Identifier: Apache-2.0
"""AtlassianCache dbd: the shared cache in a table of mod_dbd's database.

Three httpd nodes behind mod_proxy_balancer share a real PostgreSQL that
accepts connections only over TLS, with a password (pgkit.py); DBDParams
checks the server's certificate against the test's own CA (verify-full).
The module creates its table; spending a state and taking the refresh lock
are single statements, so the sharing is exact across nodes. The database
stopped and started again loses no login. SQLite through DBDriver sqlite3
serves one machine."""

import os
import re
import sqlite3
import subprocess
import threading
import time

import pytest

import atlharness as H
import fake_products as P
import groupkit as G
import nodes as N
import pgkit
import refreshkit as K
from atlharness import cb_parts

REFRESH = {"server_extra": K.SERVER_EXTRA, "protected_extra": K.REFRESH_EXTRA}
CGI = "/protected/cgi/printenv.cgi"
# mod_dbd's own lines while PostgreSQL is down: it cannot connect (AH00629,
# AH00639), a pooled connection fails its check (AH00632), none can be had
# (AH00633, AH02655).
DB_DOWN = (r"AH00629:", r"AH00632:", r"AH00633:", r"AH00639:", r"AH02655:")


@pytest.fixture(scope="module")
def pg():
    p = pgkit.PostgresTLS().start()
    # The server is what the tests claim: clear text and a wrong password
    # are refused over TCP, TLS with the password and the CA gets in.
    rc, out = p.connect_tcp(p.conninfo(sslmode="disable"))
    assert rc != 0 and "no encryption" in out, out
    rc, out = p.connect_tcp(p.conninfo(password="wrong"))
    assert rc != 0 and "password authentication failed" in out, out
    rc, out = p.connect_tcp(p.conninfo())
    assert rc == 0 and out.strip() == "1", out
    # libpq in httpd's children (www-data) looks for a client certificate
    # under $HOME/.postgresql; the tests' HOME (root's) is not readable by
    # them. A client certificate file that does not exist means none.
    saved = {k: os.environ.get(k) for k in ("PGSSLCERT", "PGSSLKEY")}
    os.environ["PGSSLCERT"] = os.path.join(p.dir, "no-client-cert.pem")
    os.environ["PGSSLKEY"] = os.path.join(p.dir, "no-client-cert.key")
    yield p
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    p.stop()


def dbd_cluster(factory, pg, extra=""):
    """Three nodes with AtlassianCache dbd on pg, sessions in cookies,
    DBDParams from a root-only file."""
    inc = pg.dbd_include(H.make_tmpdir("dbdconf"))
    return factory(cache="dbd", loads=["dbd"],
                   server_extra=inc + K.SERVER_EXTRA + extra,
                   protected_extra=K.REFRESH_EXTRA)


def token_calls(fake):
    return len(fake.requests("/oauth/token"))


def harvest(c):
    """A pending login through the balancer: (its cookies before the
    callback, the state, the code)."""
    b = c.browser()
    q = b.start_login(CGI, scope=K.SCOPE)
    cb = b.authorize(q["_location"])
    return dict(b.cookies), q["state"], cb_parts(cb)[1]


def callbacks_at_once(hosts, cookies, state, code):
    """The same callback sent to each of hosts at the same moment; the
    statuses, sorted."""
    statuses = []
    go = threading.Barrier(len(hosts))

    def one(h):
        b = h.browser()
        b.cookies = dict(cookies)
        go.wait()
        statuses.append(b.get("%s?code=%s&state=%s" % (H.CALLBACK, code, state)).status)

    threads = [threading.Thread(target=one, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(statuses)


def expiring_login(c, fake):
    """A login through the balancer whose access token is due for refresh;
    the next tokens last an hour."""
    b = c.browser()
    fake.control({"expires_in": 30})
    K.login(b)
    fake.control({"expires_in": 3600})
    return b


def assert_one_refresh(c, fake, b):
    mark = c.access_mark()
    before = len(K.refreshes(fake))
    answers = K.burst(c.balancer, b.cookies, n=16)
    calls = K.refreshes(fake)[before:]
    assert len(calls) == 1, calls
    assert calls[0]["status"] == 200 and not calls[0]["reuse"], calls
    assert {K.token_seen(r) for r in answers} == {fake.tokens_issued[-2]}
    served = c.served(mark, 16)
    assert all(n >= 3 for n in served), served
    return answers


# -- three nodes on PostgreSQL over TLS ---------------------------------------


def test_sessions_and_cache_on_one_postgres_one_refresh(cluster, fake, pg):
    """The documented deployment: mod_session_dbd and AtlassianCache dbd on
    the same PostgreSQL. Sixteen concurrent requests over three nodes after
    the access token expired: one refresh; the module made its table, and
    what it keeps there is sealed."""
    c = cluster(cache="dbd", session_store="pgsql", dbd_params=pg.dbd_params, **REFRESH)
    b = expiring_login(c, fake)
    answers = assert_one_refresh(c, fake, b)
    rows = pg.cache_rows()
    ids = [r[0] for r in rows]
    assert any(i.startswith("atl:lock:spent:") for i in ids), ids
    # The refresh's outcome, for the requests that waited for it (its lock
    # was released).
    assert any(i.startswith("atl:refresh:") for i in ids), ids
    everything = "".join("|".join(r) for r in rows)
    for t in fake.tokens_issued:
        assert t not in everything
    # The new tokens went back into the session row, and stay in use.
    sid = [H.parse_set_cookie(v)[1] for r in answers for v in r.header_all("Set-Cookie")
           if v.startswith("atlassian_sid=")][-1]
    b.cookies["atlassian_sid"] = sid
    assert K.token_seen(b.get(K.APP)) == fake.tokens_issued[-2]
    assert len(K.refreshes(fake)) == 1


def test_simultaneous_callbacks_over_three_nodes_one_token_call(cluster, fake, pg):
    """The same callback (cookie, state, code) sent three times to each of
    the three nodes at once: the state is spent by one INSERT, so exactly
    one goes on to Atlassian, every other one is refused."""
    c = dbd_cluster(cluster, pg)
    for _ in range(2):
        cookies, state, code = harvest(c)
        before = token_calls(fake)
        statuses = callbacks_at_once(c.nodes * 3, cookies, state, code)
        assert statuses == [302] + [400] * 8, statuses
        assert token_calls(fake) == before + 1
    logs = "".join(h.read_log() for h in c.nodes)
    assert "ATL00206:" not in logs and "ATL00661:" not in logs


def test_database_stopped_and_started_loses_no_login(cluster, fake, pg, log_guard):
    """PostgreSQL stops in the middle: logins and refreshes go on, each
    node on its own (its shmcb stands in, a warning says so), no 500. It
    starts again: the nodes share again without a restart of httpd."""
    log_guard.allow(*DB_DOWN)
    c = dbd_cluster(cluster, pg)
    # Atlassian accepts a rotated refresh token again for 10 minutes: what
    # a refresh per node relies on while nothing is shared.
    fake.control({"refresh_reuse_window": 600})
    b = expiring_login(c, fake)
    pg.stop()
    try:
        mark = c.access_mark()
        b2 = c.browser()
        b2.login(CGI, scope=K.SCOPE)
        assert b2.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
        answers = K.burst(c.balancer, b.cookies, n=12)
        assert all(K.token_seen(r) for r in answers)
        calls = K.refreshes(fake)
        assert 1 <= len(calls) <= 3 and all(e["status"] == 200 for e in calls), calls
        # Each node warns once (the warning is rate-limited).
        for h in c.nodes:
            log = h.read_log()
            assert re.search(r"\[auth_atlassian:warn\].*ATL00206: AtlassianCache dbd "
                             r"failed to \w+", log), log[-2000:]
        assert all(n > 0 for n in c.served(mark))
    finally:
        pg.restart()
    # Back: a state is spent for every node again, and one refresh serves
    # sixteen requests. Each node first replaces the connections that the
    # stop broke (mod_dbd notices one per request), so give it a few logins.
    fake.reset()
    fake.control({"expires_in": 30})
    for _ in range(6):
        c.browser().login(CGI, scope=K.SCOPE)
    cookies, state, code = harvest(c)
    before = token_calls(fake)
    assert callbacks_at_once(c.nodes * 2, cookies, state, code) == [302] + [400] * 5
    assert token_calls(fake) == before + 1
    assert_one_refresh(c, fake, expiring_login(c, fake))


@pytest.mark.allow_log_errors(r"AH01631:")
def test_group_recheck_once_over_three_nodes(cluster, fake, pg):
    """After AtlassianGroupCheckInterval, nine concurrent requests of one
    login over three nodes check the membership once (the re-check's lock
    and outcome are in the database), and all nine get in."""
    opts = G.options(fake, interval=2)
    opts["server_extra"] = pg.dbd_include(H.make_tmpdir("dbdconf")) + opts["server_extra"]
    c = cluster(cache="dbd", loads=["dbd"], **opts)
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = c.browser()
    assert G.login(b).status == 200
    before = P.calls(fake, "jira", G.ACME)
    # The stand-in answers slowly, so that the requests overlap.
    P.fail(fake, "jira", "stall", delay=1)
    time.sleep(2.3)
    mark = c.access_mark()
    answers = K.burst(c.balancer, b.cookies, n=9, path=G.page("g-name"))
    assert [r.status for r in answers] == [200] * 9
    assert P.calls(fake, "jira", G.ACME) == before + 1
    assert all(n >= 3 for n in c.served(mark, 9))
    assert any(r[0].startswith("atl:groups:") for r in pg.cache_rows()), pg.cache_rows()


# While a request waits 5 s, the balancer's idle keep-alive connections to
# the nodes reach the nodes' KeepAliveTimeout (5 s); reusing one as the node
# closes it is mod_proxy's known race (it retries the GET).
@pytest.mark.allow_log_errors(r"AH01102:", r"AH00898:")
def test_slow_database_does_not_hold_the_login(cluster, fake, pg):
    """The module's table is locked by another session: its statements
    wait until statement_timeout (DBDParams: 5 s), then the login goes on
    with this node's cache, and the warning says what the database said."""
    c = dbd_cluster(cluster, pg)
    c.browser().login(CGI, scope=K.SCOPE)     # the table exists
    locker = subprocess.Popen([pg.psql, "-h", pg.dir, "-p", str(pg.port), "-U", "postgres",
                               "-d", pgkit.DBNAME, "-q"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        locker.stdin.write("BEGIN;\nLOCK TABLE atlassian_cache IN ACCESS EXCLUSIVE MODE;\n")
        locker.stdin.flush()
        deadline = time.monotonic() + 10
        while "AccessExclusiveLock" not in pg.sql(
                "SELECT mode FROM pg_locks WHERE granted", db=pgkit.DBNAME).stdout:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        b = c.browser()
        start = time.monotonic()
        b.login(CGI, scope=K.SCOPE)
        assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
        assert 4 < time.monotonic() - start < 20
    finally:
        locker.stdin.close()
        locker.wait(30)
    logs = "".join(h.read_log() for h in c.nodes)
    assert re.search(r"ATL00661: AtlassianCache dbd: the database refused to add a key "
                     r"\(table atlassian_cache\): .*statement timeout", logs), logs[-2000:]
    assert "ATL00206: AtlassianCache dbd failed to store a lock" in logs


# -- configuration --------------------------------------------------------------


def test_dbd_without_mod_dbd_is_refused_at_startup(make_httpd):
    h = make_httpd(start=False, server_extra="AtlassianCache dbd\n")
    rc, out = h.config_test()
    assert rc != 0, out
    assert re.search(r"ATL00660: AtlassianCache dbd needs mod_dbd.*a2enmod dbd", out), out


def test_dbd_takes_no_arguments(make_httpd):
    h = make_httpd(start=False, server_extra='LoadModule dbd_module "%s/mod_dbd.so"\n'
                   "AtlassianCache dbd:other\n" % H.MODULES_DIR)
    rc, out = h.config_test()
    assert rc != 0 and "ATL00662: AtlassianCache dbd takes no arguments" in out, out


# -- SQLite on one machine ------------------------------------------------------


def sqlite_extra(path):
    return ('LoadModule dbd_module "%s/mod_dbd.so"\nAtlassianCache dbd\n'
            'DBDriver sqlite3\nDBDParams "%s"\n' % (H.MODULES_DIR, path))


def sqlite_db():
    """A directory httpd's children may write (SQLite's journal lives
    there) and the database's path in it."""
    d = H.make_tmpdir("sqlite")
    H.chown_to_run_user(d)
    return os.path.join(d, "cache.db")


def test_sqlite_concurrent_callbacks_one_token_call(make_httpd, fake):
    """Two child processes, one SQLite file: ten copies of one callback at
    once make one token call; the table is the module's own creation."""
    db = sqlite_db()
    h = make_httpd(server_extra=sqlite_extra(db) + "StartServers 2\nMinSpareThreads 50\n")
    b = h.browser()
    q = b.start_login(CGI)
    cb = b.authorize(q["_location"])
    before = token_calls(fake)
    statuses = callbacks_at_once([h] * 10, b.cookies, q["state"], cb_parts(cb)[1])
    assert statuses == [302] + [400] * 9, statuses
    assert token_calls(fake) == before + 1
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT id FROM atlassian_cache")]
    con.close()
    assert len(ids) == 1 and ids[0].startswith("atl:lock:spent:"), ids
    assert q["state"] not in ids[0]
    assert "ATL00206:" not in h.read_log()


def test_sqlite_schema_changed_by_another_process(make_httpd, fake):
    """Statements a connection prepared fail in SQLite once another process
    changed the schema (as several processes create the table and its
    index at first use): they are prepared again, and the cache keeps
    working, without a warning."""
    db = sqlite_db()
    h = make_httpd(server_extra=sqlite_extra(db) + "StartServers 1\nServerLimit 1\n"
                   "MaxRequestWorkers 25\nMinSpareThreads 1\nMaxSpareThreads 25\n"
                   "DBDMin 1\nDBDKeep 1\nDBDMax 1\n")
    h.browser().login(CGI)
    con = sqlite3.connect(db)
    con.execute("CREATE INDEX other_process ON atlassian_cache (value)")
    con.commit()
    con.close()
    mark = h.log_mark()
    b = h.browser()
    b.login(CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    log = h.read_log(mark)
    assert "ATL00661:" not in log and "ATL00206:" not in log, log
    con = sqlite3.connect(db)
    spent = [r[0] for r in con.execute("SELECT id FROM atlassian_cache")]
    con.close()
    assert len(spent) == 2, spent


def test_sqlite_existing_table_and_expired_rows_removed(make_httpd, fake):
    """A table made beforehand is used as it is; rows past their expiry
    are never read and are deleted as the module writes."""
    db = sqlite_db()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE atlassian_cache (id VARCHAR(128) PRIMARY KEY, "
                "value TEXT NOT NULL, expiry BIGINT NOT NULL)")
    past = int((time.time() - 60) * 1e6)
    con.executemany("INSERT INTO atlassian_cache VALUES (?, ?, ?)",
                    [("atl:old%d" % i, "x", past) for i in range(5)])
    con.commit()
    con.close()
    H.chown_to_run_user(db)
    h = make_httpd(server_extra=sqlite_extra(db))
    b = h.browser()
    b.login(CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT id FROM atlassian_cache")]
    con.close()
    assert len(ids) == 1 and ids[0].startswith("atl:lock:spent:"), ids


@pytest.mark.allow_log_errors(r"AH00629:", r"AH00633:", r"AH00636:")
def test_unusable_database_does_not_fail_the_login(make_httpd, fake):
    """The database cannot be opened (a directory that does not exist):
    the login goes on, the warning names the cache, no 500."""
    h = make_httpd(server_extra=sqlite_extra("/nonexistent/dir/cache.db"))
    b = h.browser()
    mark = h.log_mark()
    b.login(CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    text = h.wait_log(r"ATL00206:", mark)
    assert re.search(r"\[auth_atlassian:warn\].*ATL00206: AtlassianCache dbd failed to "
                     r"store a lock: this machine's cache stands in", text), text[-2000:]


def test_refusing_database_does_not_fail_the_login(make_httpd, fake):
    """A table of that name that is not the module's (no value column):
    the database refuses the statements; the login goes on, the warnings
    say what the database said and that the cache is down, no 500."""
    db = sqlite_db()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE atlassian_cache (id VARCHAR(128) PRIMARY KEY, other TEXT)")
    con.commit()
    con.close()
    H.chown_to_run_user(db)
    h = make_httpd(server_extra=sqlite_extra(db))
    b = h.browser()
    mark = h.log_mark()
    b.login(CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    text = h.wait_log(r"ATL00206:", mark)
    assert re.search(r"\[auth_atlassian:warn\].*ATL00661: AtlassianCache dbd: the database "
                     r"refused to prepare its statements \(table atlassian_cache\): "
                     r".*no such column: value", text), text[-2000:]
    assert "ATL00206: AtlassianCache dbd failed to store a lock" in text
