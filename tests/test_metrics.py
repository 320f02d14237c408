# SPDX-License-Identifier: Apache-2.0
"""The module's metrics: counters shared by every httpd child, shown as
Prometheus text by the handler "atlassian-metrics" and on mod_status's page.

Each test reads the counters, makes logins happen or fail against the fake
Atlassian, and reads them again: the difference is exactly what happened.
The Prometheus text is parsed by a small parser of the text exposition
format below (HELP/TYPE lines, samples with labels, histogram series). The
counters survive a graceful restart (SIGUSR1 to the parent).
"""

import os
import re
import secrets
import signal
import time
import urllib.parse

import pytest

import atlharness as H
import fake_atlassian

METRICS_CONF = """
LoadModule status_module "{mods}/mod_status.so"
LoadModule authz_host_module "{mods}/mod_authz_host.so"
ExtendedStatus On
AtlassianTimeout 1
<Location /metrics>
    SetHandler atlassian-metrics
    Require ip 127.0.0.1
</Location>
<Location /metrics-elsewhere>
    SetHandler atlassian-metrics
    Require ip 192.0.2.1
</Location>
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
""".format(mods=H.MODULES_DIR)

HTTPD_OPTIONS = {"server_extra": METRICS_CONF}

CGI = "/protected/cgi/printenv.cgi"
STARTED = ("atlassian_logins_started_total", ())
COMPLETED = ("atlassian_logins_completed_total", ())
REASONS = ("state", "consent", "authorize", "token", "profile", "sites", "groups",
           "timeout", "refused")
ENDPOINTS = ("token", "profile", "resources", "groups")
LE = ("0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")


def failed(reason):
    return ("atlassian_logins_failed_total", (("reason", reason),))


def requests_(auth):
    return ("atlassian_requests_total", (("auth", auth),))


def upstream(series, endpoint, le=None):
    labels = (("endpoint", endpoint),) + ((("le", le),) if le else ())
    return ("atlassian_upstream_seconds_" + series, labels)


# --------------------------------------------------------------------------
# A parser of Prometheus' text exposition format (version 0.0.4), strict
# enough that a malformed line fails the test.

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"(%s)(?:\{((?:%s)(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))


def parse_prometheus(text):
    """{(name, sorted label tuples): float}; asserts the format's rules."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    types, helps, samples = {}, set(), {}
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            assert len(parts) == 4 and parts[3] in ("counter", "gauge", "histogram",
                                                    "summary", "untyped"), line
            assert parts[2] not in types, "TYPE given twice: " + line
            types[parts[2]] = parts[3]
            continue
        assert not line.startswith("#") and line, "unexpected line %r" % line
        m = SAMPLE.match(line)
        assert m, "not a sample: %r" % line
        name, labeltext, value = m.group(1), m.group(2), m.group(m.lastindex)
        labels = tuple(sorted(re.findall(LABEL, labeltext or "")))
        family = name
        if name not in types:
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert types.get(family) == "histogram", "sample of no TYPE: " + line
        if types[family] == "counter":
            assert name.endswith("_total"), line
        key = (name, labels)
        assert key not in samples, "sample given twice: " + line
        samples[key] = float(value)
    for family, kind in types.items():
        if kind != "histogram":
            continue
        groups = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                rest = tuple(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                groups.setdefault(rest, []).append((float(le), v))
        for rest, buckets in groups.items():
            buckets.sort()
            values = [v for _, v in buckets]
            assert values == sorted(values), ("buckets not cumulative", family, rest)
            assert buckets[-1][0] == float("inf"), ("no +Inf bucket", family, rest)
            assert samples[(family + "_count", rest)] == values[-1], (family, rest)
    return samples


def key(name, labels):
    return (name, tuple(sorted(labels)))


def scrape(httpd):
    r = H.Browser(httpd).get("/metrics", accept="text/plain")
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return parse_prometheus(r.text)


def value(samples, name, labels=()):
    return samples[key(name, labels)]


def scrape_served(httpd, before, auth):
    """A scrape once the request just answered is counted: httpd counts a
    request when it logs it, right after the answer went out."""
    deadline = time.monotonic() + 5
    while True:
        s = scrape(httpd)
        if value(s, *requests_(auth)) > value(before, *requests_(auth)) or \
                time.monotonic() > deadline:
            return s
        time.sleep(0.05)


def delta(before, after):
    """What changed between two scrapes, zero changes left out."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def expect(before, after, *changes, **kw):
    """Exactly these series changed, by one each, plus the latency series of
    the endpoints named in calls (one call each, in its buckets)."""
    d = delta(before, after)
    want = {key(*c): 1 for c in changes}
    for ep in kw.get("calls", ()):
        for k in list(d):
            if k[0].startswith("atlassian_upstream_seconds_") and \
                    ("endpoint", ep) in k[1]:
                if k[0].endswith("_sum"):
                    assert d.pop(k) > 0
                elif k[0].endswith("_count") or ("le", "+Inf") in k[1]:
                    assert d.pop(k) == 1, k
                else:
                    assert d.pop(k) == 1, k    # a bucket at or above the time taken
    assert d == want, d


# --------------------------------------------------------------------------


def test_exposition_has_every_series_and_parses(httpd):
    r = H.Browser(httpd).get("/metrics", accept="text/plain")
    s = parse_prometheus(r.text)
    assert "no-store" in r.header("Cache-Control")
    for k in (STARTED, COMPLETED, requests_("logged_in"), requests_("anonymous"),
              ("atlassian_refreshes_total", (("result", "done"),)),
              ("atlassian_refreshes_total", (("result", "failed"),))):
        assert key(*k) in s, k
    for reason in REASONS:
        assert key(*failed(reason)) in s, reason
    for ep in ENDPOINTS:
        for le in LE:
            assert key(*upstream("bucket", ep, le)) in s, (ep, le)
        assert key(*upstream("sum", ep)) in s
        assert key(*upstream("count", ep)) in s
    assert "# TYPE atlassian_upstream_seconds histogram\n" in r.text
    assert "# TYPE atlassian_logins_failed_total counter\n" in r.text
    # The metrics requests themselves are no login and no protected request.
    assert delta(s, scrape(httpd)) == {}


def test_a_login_counts_started_completed_served_and_two_calls(httpd, fake):
    before = scrape(httpd)
    H.Browser(httpd).login(CGI + "?m=1")
    after = scrape_served(httpd, before, "logged_in")
    expect(before, after, STARTED, COMPLETED, requests_("logged_in"),
           calls=("token", "profile"))
    # Against the fake on loopback, each call takes well under 0.5 s.
    for ep in ("token", "profile"):
        assert value(after, *upstream("bucket", ep, "0.5")) - \
            value(before, *upstream("bucket", ep, "0.5")) == 1


def test_anonymous_request_in_pass_location(httpd, fake):
    before = scrape(httpd)
    r = H.Browser(httpd).get("/protected/cgi-pass/printenv.cgi")
    assert r.status == 200 and r.env()["REMOTE_USER"] == ""
    expect(before, scrape_served(httpd, before, "anonymous"), requests_("anonymous"))


def _to_callback(browser, path=CGI):
    q = browser.start_login(path)
    return q, browser.authorize(q["_location"])


def test_state_failure(httpd, fake):
    b = H.Browser(httpd)
    b.start_login(CGI)
    before = scrape(httpd)
    r = b.get("%s?code=abc&state=%s" % (H.CALLBACK, secrets.token_urlsafe(32)))
    assert r.status == 400
    expect(before, scrape(httpd), failed("state"))


def test_consent_denied(httpd, fake):
    b = H.Browser(httpd)
    q = b.start_login(CGI)
    before = scrape(httpd)
    r = b.get("%s?error=access_denied&state=%s" % (H.CALLBACK, q["state"]))
    assert r.status == 403
    expect(before, scrape(httpd), failed("consent"))


def test_other_authorize_error(httpd, fake):
    b = H.Browser(httpd)
    q = b.start_login(CGI)
    before = scrape(httpd)
    r = b.get("%s?error=unauthorized_client&state=%s" % (H.CALLBACK, q["state"]))
    assert r.status == 502
    expect(before, scrape(httpd), failed("authorize"))


@pytest.mark.parametrize("path,status,reason,calls", [
    ("/oauth/token", 500, "token", ("token",)),
    ("/me", 500, "profile", ("token", "profile")),
])
def test_upstream_failure(httpd, fake, path, status, reason, calls):
    b = H.Browser(httpd)
    _, cb = _to_callback(b)
    fake.fail(path, status=status, body=b'{"error":"server_error"}')
    before = scrape(httpd)
    assert b.get(cb).status == 502
    expect(before, scrape(httpd), failed(reason), calls=calls)


def test_invalid_grant_is_a_token_failure(httpd, fake):
    b = H.Browser(httpd)
    _, cb = _to_callback(b)
    fake.fail("/oauth/token", status=400, body=b'{"error":"invalid_grant"}')
    before = scrape(httpd)
    assert b.get(cb).status == 400
    expect(before, scrape(httpd), failed("token"), calls=("token",))


def test_sites_failure(httpd, fake):
    b = H.Browser(httpd)
    _, cb = _to_callback(b, "/protected/cgi-sites/printenv.cgi")
    fake.fail("/oauth/token/accessible-resources", status=503, body=b"{}")
    before = scrape(httpd)
    assert b.get(cb).status == 502
    expect(before, scrape(httpd), failed("sites"),
           calls=("token", "profile", "resources"))


def test_refused_account(httpd, fake):
    fake.set_profile(dict(fake_atlassian.DEFAULT_PROFILE, account_status="inactive"))
    b = H.Browser(httpd)
    _, cb = _to_callback(b)
    before = scrape(httpd)
    assert b.get(cb).status == 403
    expect(before, scrape(httpd), failed("refused"), calls=("token", "profile"))


def test_timeout_lands_in_the_slow_buckets(httpd, fake):
    b = H.Browser(httpd)
    _, cb = _to_callback(b)
    fake.fail("/oauth/token", delay=3)     # AtlassianTimeout 1
    before = scrape(httpd)
    assert b.get(cb).status == 504
    after = scrape(httpd)
    expect(before, after, failed("timeout"), calls=("token",))
    d = delta(before, after)
    assert key(*upstream("bucket", "token", "0.5")) not in d
    assert d[key(*upstream("bucket", "token", "2.5"))] == 1
    assert 1.0 <= d[key(*upstream("sum", "token"))] < 2.5


@pytest.mark.allow_log_errors(r"AH01630: client denied by server configuration: .*/metrics-elsewhere")
def test_the_handler_location_is_restricted_like_any_other(httpd):
    b = H.Browser(httpd)
    r = b.get("/metrics-elsewhere", accept="text/plain")
    assert r.status == 403
    assert "atlassian_" not in r.text
    r = b.post("/metrics", body=b"x", accept="text/plain")
    assert r.status == 405


def _status_auto(httpd):
    r = H.Browser(httpd).get("/server-status?auto", accept="text/plain")
    assert r.status == 200
    out = {}
    for line in r.text.splitlines():
        if line.startswith("atlassian_"):
            name, _, v = line.rpartition(": ")
            out[name] = float(v)
    return out


def test_mod_status_shows_them(httpd, fake):
    H.Browser(httpd).login(CGI + "?status=1")
    time.sleep(0.2)  # the request of the login is counted as it is logged
    prom = scrape(httpd)
    auto = _status_auto(httpd)
    assert auto["atlassian_logins_started_total"] == value(prom, *STARTED) >= 1
    assert auto['atlassian_logins_failed_total{reason="token"}'] == \
        value(prom, *failed("token"))
    assert auto['atlassian_upstream_seconds_count{endpoint="profile"}'] == \
        value(prom, *upstream("count", "profile")) >= 1
    r = H.Browser(httpd).get("/server-status")
    assert r.status == 200
    assert "<h2>mod_auth_atlassian</h2>" in r.text
    assert ("<td>atlassian_logins_completed_total</td><td>%d</td>"
            % value(prom, *COMPLETED)) in r.text
    assert "{reason=&quot;consent&quot;}" in r.text


def test_mod_status_without_extended_status_shows_none(make_httpd, fake):
    h = make_httpd(server_extra=METRICS_CONF.replace("ExtendedStatus On",
                                                     "ExtendedStatus Off"))
    assert _status_auto(h) == {}
    assert "mod_auth_atlassian" not in H.Browser(h).get("/server-status").text
    assert value(scrape(h), *STARTED) == 0


def _generation(httpd):
    r = H.Browser(httpd).get("/server-status?auto", accept="text/plain")
    m = re.search(r"^ParentServerConfigGeneration: (\d+)$", r.text, re.M)
    return int(m.group(1))


def test_counters_survive_a_graceful_restart(make_httpd, fake):
    h = make_httpd(server_extra=METRICS_CONF)
    H.Browser(h).login(CGI + "?before=1")
    before = scrape_served(h, {key(*requests_("logged_in")): 0}, "logged_in")
    assert value(before, *requests_("logged_in")) == 1
    assert value(before, *COMPLETED) == 1
    gen = _generation(h)
    os.kill(h.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 20
    while _generation(h) == gen:
        assert time.monotonic() < deadline, "no new generation after SIGUSR1"
        time.sleep(0.1)
    assert scrape(h) == before
    # ... and go on counting from there in the new generation.
    H.Browser(h).login(CGI + "?after=1")
    after = scrape_served(h, before, "logged_in")
    assert value(after, *requests_("logged_in")) == 2
    assert value(after, *COMPLETED) == 2
    assert value(after, *STARTED) == 2
    assert value(after, *upstream("count", "token")) == 2


def test_counters_start_at_zero_in_a_new_server(make_httpd):
    s = scrape(make_httpd(server_extra=METRICS_CONF))
    # Every counter, that is: the build-info gauge is a constant 1.
    build_info = [k for k in s if k[0] == "atlassian_build_info"]
    assert len(build_info) == 1 and s.pop(build_info[0]) == 1.0
    assert set(s.values()) == {0.0}


# Three child processes of one thread each: concurrent logins land in
# different processes, and any one of them reads the others' counts.
SMALL_CHILDREN = """
StartServers 3
ServerLimit 4
ThreadsPerChild 1
ThreadLimit 1
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
KeepAlive Off
"""


def test_counters_are_shared_by_all_children(make_httpd, fake):
    import concurrent.futures
    h = make_httpd(server_extra=METRICS_CONF + SMALL_CHILDREN)
    n = 0

    def one(i):
        H.Browser(h).login(CGI + "?child=%d" % i)

    # Each callback holds its child's one thread while /me answers, so
    # concurrent callbacks must go to other children (without the delay,
    # one child may take them all, one after the other); and rounds of
    # logins, a bounded number, until two children have served one.
    fake.fail("/me", delay=0.3)
    for _ in range(5):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            list(ex.map(one, range(n, n + 8)))
        n += 8
        pids = set(re.findall(r"\[pid (\d+):tid \d+\].*ATL00046", h.read_log()))
        if len(pids) >= 2:
            break
    assert len(pids) >= 2, "the logins did not spread over processes: %s" % pids
    deadline = time.monotonic() + 5
    while True:
        s = scrape(h)
        if value(s, *requests_("logged_in")) == n or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert value(s, *STARTED) == n
    assert value(s, *COMPLETED) == n
    assert value(s, *requests_("logged_in")) == n
    assert value(s, *upstream("count", "token")) == n
    assert value(s, *upstream("count", "profile")) == n


def test_refreshes_done_and_failed(make_httpd, fake):
    import refreshkit as K
    h = make_httpd(server_extra=METRICS_CONF + K.SERVER_EXTRA,
                   protected_extra=K.REFRESH_EXTRA)
    done = ("atlassian_refreshes_total", (("result", "done"),))
    fail = ("atlassian_refreshes_total", (("result", "failed"),))

    def short_login():
        """A login whose access token is due for refresh at once."""
        b = H.Browser(h)
        fake.control({"expires_in": 30})
        K.login(b)
        return b

    b = short_login()
    fake.control({"expires_in": 3600})
    before = scrape(h)
    assert K.token_seen(b.get(K.APP)) is not None
    after = scrape_served(h, before, "logged_in")
    expect(before, after, done, requests_("logged_in"), calls=("token",))

    # A failure of Atlassian keeps the login (and counts a failed refresh).
    b = short_login()
    fake.control({"refresh_fail": {"mode": "status", "status": 503}})
    before = scrape(h)
    assert b.get(K.APP).status == 200
    expect(before, scrape_served(h, before, "logged_in"), fail, requests_("logged_in"),
           calls=("token",))

    # A refused refresh token ends the login: failed, no request served, and
    # the browser is sent to a new login.
    fake.control({"refresh_fail": None, "refresh_invalid_grant": ["*"]})
    before = scrape(h)
    r = b.get(K.APP)
    assert r.status == 302
    time.sleep(0.2)
    expect(before, scrape(h), fail, STARTED, calls=("token",))


@pytest.mark.allow_log_errors(r"AH01631:")
def test_group_check_failure_at_login(make_httpd, fake):
    """A group check that cannot be done at login (the product API refuses)
    counts one reason="groups" failure, and no other reason."""
    import fake_products as P
    import groupkit as G
    opts = G.options(fake)
    opts["server_extra"] = METRICS_CONF + opts["server_extra"]
    h = make_httpd(**opts)
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    P.fail(fake, "jira", "forbidden")
    before = scrape(h)
    r = G.login(H.Browser(h))
    assert r.status == 502, r
    d = delta(before, scrape(h))
    assert d.get(key(*failed("groups"))) == 1, d
    for reason in REASONS:
        if reason != "groups":
            assert key(*failed(reason)) not in d, (reason, d)
    # A login whose groups are known counts none.
    P.fail(fake, "jira", None)
    before = scrape(h)
    assert G.login(H.Browser(h)).status == 200
    assert key(*failed("groups")) not in delta(before, scrape(h))
