# SPDX-License-Identifier: Apache-2.0
"""Sessions: lifetime, tampered cookies, other secrets, key rotation,
mod_session_dbd with SQLite; sessions edited by hand (swapped, mangled,
duplicated or huge values) are never a login and never break the server."""

import base64
import json
import sqlite3
import time
import urllib.parse

import pytest

import atlharness as H
import fake_atlassian
import sharedkit
from sharedkit import assert_logged

CGI = "/protected/cgi/printenv.cgi"


# The httpd fixture reads this: sharedkit's locations, a short AtlassianTimeout
# and allowed logout targets.
HTTPD_OPTIONS = sharedkit.HTTPD_OPTIONS


def assert_login_required(b, fake):
    r = b.get(CGI)
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?"), r.location


def test_cookie_is_sealed(browser, fake):
    browser.login()
    value = browser.cookies[H.COOKIE]
    # Needles long enough never to turn up in random base64url by chance.
    for clear in ("mia@example.com", "example.com", H.DEFAULT_ACCOUNT_ID, "Krystof",
                  "Designer", "Sydney", "active"):
        assert clear.lower() not in value.lower(), clear
    for t in fake.tokens_issued:
        assert t not in value


def test_login_cookie_is_compact(browser, fake):
    """httpd's work on every request grows with the session cookie (about
    130 instructions a byte): Atlassian's documented profile, sealed, takes
    "atl=" and 204 characters (136 bytes stored, docs/storage-format.md,
    and 17 of AES-256-SIV, in base64url)."""
    browser.login()
    value = browser.cookies[H.COOKIE]
    assert value.startswith("atl=") and "&" not in value, value
    assert len(value) <= 208, (len(value), value)


def test_session_lifetime(make_httpd, fake):
    h = make_httpd(protected_extra="AtlassianSessionLifetime 2")
    b = h.browser()
    b.login()
    assert b.get(CGI).status == 200
    time.sleep(3.2)
    assert_login_required(b, fake)
    # A new login works again.
    b.login()


def _flip_middle(value):
    """Change one character in the middle of the longest base64url run."""
    import re
    runs = list(re.finditer(r"[A-Za-z0-9_-]{20,}", value))
    assert runs, value
    m = max(runs, key=lambda m: len(m.group(0)))
    i = m.start() + len(m.group(0)) // 2
    c = value[i]
    new = "A" if c != "A" else "B"
    return value[:i] + new + value[i + 1:]


def test_tampered_cookie_is_not_a_login(browser, fake, httpd):
    browser.login()
    good = browser.cookies[H.COOKIE]
    browser.cookies[H.COOKIE] = _flip_middle(good)
    assert_login_required(browser, fake)
    # Truncated.
    browser.cookies[H.COOKIE] = good[: len(good) // 2]
    assert_login_required(browser, fake)
    # Replaced as a whole.
    for v in ("garbage", "", "atl=1", "a%3Db%26c%3Dd", good[::-1]):
        browser.cookies[H.COOKIE] = v
        assert_login_required(browser, fake)
    # The original still works (nothing was invalidated server-side).
    browser.cookies[H.COOKIE] = good
    assert browser.get(CGI).status == 200


def test_cookie_from_other_secret_refused_and_rotation(make_httpd, fake):
    a = make_httpd(session_secret=[H.SESSION_SECRET])
    b_only = make_httpd(session_secret=[H.SESSION_SECRET_B])
    rotated = make_httpd(session_secret=[H.SESSION_SECRET_B, H.SESSION_SECRET])
    ba = a.browser()
    ba.login()
    cookie = ba.cookies[H.COOKIE]

    other = b_only.browser()
    other.cookies[H.COOKIE] = cookie
    assert_login_required(other, fake)

    rot = rotated.browser()
    rot.cookies[H.COOKIE] = cookie
    r = rot.get(CGI)
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID

    # A login on the rotated server seals with B: B alone reads it, A does not.
    rot2 = rotated.browser()
    rot2.login()
    new_cookie = rot2.cookies[H.COOKIE]
    other2 = b_only.browser()
    other2.cookies[H.COOKIE] = new_cookie
    assert other2.get(CGI).status == 200
    back = a.browser()
    back.cookies[H.COOKIE] = new_cookie
    assert_login_required(back, fake)


def test_session_secret_from_file(make_httpd, fake):
    h = make_httpd(start=False)
    path = h.write_secret_file("session.key", H.SESSION_SECRET + "\n")
    h.rewrite_config(session_secret=["file:" + path])
    h.start()
    b = h.browser()
    b.login()
    # Same key material as the literal secret: cookies are interchangeable.
    lit = make_httpd(session_secret=[H.SESSION_SECRET])
    b2 = lit.browser()
    b2.cookies[H.COOKIE] = b.cookies[H.COOKIE]
    assert b2.get(CGI).status == 200


def test_two_logins_seal_differently(httpd, fake):
    """Sealing is deterministic (AES-256-SIV): two logins differ by what
    they hold, the login time to the second among it. Logins a second
    apart, or of another profile, never share a cookie value."""
    b1 = httpd.browser()
    b1.login()
    time.sleep(1.1)
    b2 = httpd.browser()
    b2.login()
    assert b1.cookies[H.COOKIE] != b2.cookies[H.COOKIE]
    fake.set_profile(dict(fake_atlassian.DEFAULT_PROFILE, email="other@example.com"))
    b3 = httpd.browser()
    b3.login()
    assert b3.cookies[H.COOKIE] not in (b1.cookies[H.COOKIE], b2.cookies[H.COOKIE])
    for b in (b1, b2):
        assert b.get(CGI).env()["ATLASSIAN_EMAIL"] == "mia@example.com"
    assert b3.get(CGI).env()["ATLASSIAN_EMAIL"] == "other@example.com"


def test_login_under_another_key_is_not_a_login(browser, fake):
    """The login is read from the key "atl" only: the same sealed value
    under any other key (such as "atlassian-login", a name used during
    development and never released) is no login, and a new login is stored
    under "atl"."""
    browser.login()
    value = browser.cookies[H.COOKIE]
    assert value.startswith("atl="), value
    assert browser.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    browser.cookies[H.COOKIE] = "atlassian-login=" + value[len("atl="):]
    assert_login_required(browser, fake)
    browser.login()
    value = browser.cookies[H.COOKIE]
    assert value.startswith("atl=") or "&atl=" in value, value
    assert browser.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


def test_other_modules_session_values_kept(make_httpd, fake):
    """A value another module put in the same session survives a login."""
    h = make_httpd(protected_extra='SessionEnv On')
    b = h.browser()
    # A session with a foreign key, set by the client (mod_session_cookie
    # accepts unencrypted sessions): it must survive the login.
    b.cookies[H.COOKIE] = "otherapp=keepme"
    q = b.start_login(CGI)
    assert "otherapp=keepme" in b.cookies[H.COOKIE]
    b.finish_login(b.authorize(q["_location"]), CGI)
    assert "otherapp=keepme" in b.cookies[H.COOKIE]
    env = b.get(CGI).env()
    assert "otherapp=keepme" in env.get("HTTP_SESSION", "")
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


def test_session_dbd_sqlite(make_httpd, fake):
    h = make_httpd(session_store="dbd")
    b = h.browser()
    q = b.start_login(CGI + "?dbd=1")
    assert "atlassian_sid" in b.cookies
    cb = b.authorize(q["_location"])
    b.finish_login(cb, CGI + "?dbd=1")
    r = b.get(CGI)
    assert r.status == 200, r
    env = r.env()
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert env["ATLASSIAN_EMAIL"] == "mia@example.com"
    con = sqlite3.connect(h.db)
    rows = con.execute("SELECT key, value FROM session").fetchall()
    con.close()
    assert rows, "no session row in SQLite"
    for key, value in rows:
        assert "mia@example.com" not in (value or "")
        for t in fake.tokens_issued:
            assert t not in (value or "")
    # Logout clears the login.
    r = b.get(H.CALLBACK + "?logout=/public/ok.txt")
    assert r.status == 302
    assert_login_required(b, fake)
    # A made-up session id is no login.
    other = h.browser()
    other.cookies["atlassian_sid"] = "0000-made-up"
    assert_login_required(other, fake)


def test_session_cookie_remove(make_httpd, fake):
    """SessionCookieRemove On (the README's recommendation): logins work and
    the session cookie reaches neither CGI nor the backend."""
    h = make_httpd(protected_extra="SessionCookieRemove On")
    b = h.browser()
    env = b.login().env()
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert H.COOKIE not in env.get("HTTP_COOKIE", "")
    r = b.get("/protected/app/x", headers={"Cookie": b.cookie_header() + "; other=1"},
              cookies=False)
    sent = [v for k, v in r.json()["headers"] if k.lower() == "cookie"]
    assert all(H.COOKIE not in v for v in sent), sent
    # The callback reads the session once: ?info=json still sees the login.
    info = b.get(H.CALLBACK + "?info=json")
    assert info.status == 200, info
    assert info.json()["account_id"] == H.DEFAULT_ACCOUNT_ID
    # Logout clears the session for good.
    assert b.get(H.CALLBACK + "?logout=/").status == 302
    assert b.get(CGI).status == 302


# One child process (and cgid): every request meets the same per-process
# memo of verified logins.
ONE_PROCESS = ("ServerLimit 1\nStartServers 1\nMaxRequestWorkers 25\n"
               "MinSpareThreads 1\nMaxSpareThreads 50\n")


def _change_at(value, i):
    c = value[i]
    return value[:i] + ("A" if c != "A" else "B") + value[i + 1:]


def test_login_memo_checks_lifetime_and_tag(make_httpd, fake):
    """A login served from the process's memo of verified logins: a value
    that differs from the remembered one in its tag (the same memo slot,
    chosen by the last characters) or elsewhere is not that login, and a
    remembered login past AtlassianSessionLifetime is refused."""
    h = make_httpd(protected_extra="AtlassianSessionLifetime 3", tail_extra=ONE_PROCESS)
    b = h.browser()
    b.login()
    good = b.cookies[H.COOKIE]
    assert good.startswith("atl=") and len(good) > 60, good
    for _ in range(3):
        assert b.get(CGI).status == 200     # remembered after the first
    # The tag's characters start 22 from the end; the slot is chosen by
    # the last 8, so -15 changes the tag and keeps the slot.
    for bad in (_change_at(good, -15), _change_at(good, -5), _flip_middle(good)):
        other = h.browser()
        other.cookies[H.COOKIE] = bad
        assert_login_required(other, fake)
    assert b.get(CGI).status == 200
    time.sleep(3.2)
    assert_login_required(b, fake)


# -- sessions edited by hand: swapped keys, mangled values, a second cookie ---


def _session_pairs(cookie_value):
    # mod_session's encoding: k=v&k=v, each part %-escaped.
    return urllib.parse.parse_qsl(cookie_value, keep_blank_values=True)


def _session_value(pairs):
    return "&".join("%s=%s" % (urllib.parse.quote(k, safe=""), urllib.parse.quote(v, safe=""))
                    for k, v in pairs)


def test_session_keys_swapped(httpd, fake):
    b = httpd.browser()
    q = b.start_login(CGI + "?swap=1")
    pending_cookie = b.cookies[H.COOKIE]
    cb = b.authorize(q["_location"])
    b.finish_login(cb, CGI + "?swap=1")
    login_cookie = b.cookies[H.COOKIE]
    lp = dict(_session_pairs(login_cookie))
    pp = dict(_session_pairs(pending_cookie))
    login_keys = [k for k in lp if k not in ("expiry",)]
    pending_keys = [k for k in pp if k not in ("expiry",)]
    assert login_keys and pending_keys, (lp.keys(), pp.keys())
    lk = [k for k in login_keys if k not in pp] or login_keys
    pk = pending_keys
    # The login value under the pending key(s), the pending value under the login key.
    swapped = []
    for k in pk:
        swapped.append((k, lp[lk[0]]))
    for k in lk:
        swapped.append((k, pp[pk[0]]))
    c = httpd.browser()
    c.cookies[H.COOKIE] = _session_value(swapped)
    r = c.get(CGI)
    assert r.status == 302, r
    r = c.get(H.CALLBACK + "?info=json")
    assert r.status == 401, r
    # Values of other modules and odd keys around the real login value: the
    # login still works and nothing breaks.
    extra = list(lp.items()) + [("otherapp", "x"), ("atlassian", "y"), ("", "z")]
    d = httpd.browser()
    d.cookies[H.COOKIE] = _session_value(extra)
    r = d.get(CGI)
    assert r.status == 200, r


@pytest.mark.parametrize("mangle", ["truncate1", "truncate_half", "b64junk", "double",
                                    "pad", "prefix", "lower", "expiry_past"])
def test_session_value_mangled(httpd, fake, mangle):
    b = httpd.browser()
    b.login()
    good = b.cookies[H.COOKIE]
    pairs = _session_pairs(good)
    out = []
    for k, v in pairs:
        if k == "expiry":
            out.append((k, "1" if mangle == "expiry_past" else v))
            continue
        if mangle == "truncate1":
            v = v[:-1]
        elif mangle == "truncate_half":
            v = v[: len(v) // 2]
        elif mangle == "b64junk":
            v = base64.urlsafe_b64encode(b"\x00" * 300).decode()
        elif mangle == "double":
            v = v + v
        elif mangle == "pad":
            v = v + "=="
        elif mangle == "prefix":
            v = "A" + v
        elif mangle == "lower":
            v = v.lower()
        out.append((k, v))
    if mangle == "expiry_past" and not any(k == "expiry" for k, _ in pairs):
        out.append(("expiry", "1"))
    c = httpd.browser()
    c.cookies[H.COOKIE] = _session_value(out)
    r = c.get(CGI)
    assert r.status == 302, (mangle, r)
    assert httpd.alive()


@pytest.mark.allow_log_errors(r"AH00011:")  # httpd: a cookie sent twice
def test_duplicated_session_cookie_garbage_is_ignored(httpd, fake):
    """A session cookie planted beside the real one (from a sibling host or
    over http, "cookie tossing"), whose value does not unseal, is ignored,
    before or after the real one, for as long as it stays: the login goes
    on (logged at info as ATL00622). The same cookie sent twice is one
    login."""
    b = httpd.browser()
    b.login()
    good = b.cookies[H.COOKIE]
    c = httpd.browser()
    for cookie in ("%s=garbage; %s=%s" % (H.COOKIE, H.COOKIE, good),
                   "%s=%s; %s=garbage" % (H.COOKIE, good, H.COOKIE),
                   "%s=%s; %s=atl=forged" % (H.COOKIE, good, H.COOKIE),
                   "%s=%s; %s=%s" % (H.COOKIE, good, H.COOKIE, good)):
        mark = httpd.log_mark()
        for _ in range(2):
            r = c.get(CGI, headers={"Cookie": cookie}, cookies=False)
            assert r.status == 200, (cookie, r)
            assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
            assert not r.header_all("Set-Cookie"), r.headers
        if "garbage" in cookie or "forged" in cookie:
            assert_logged(httpd, mark, "ATL00622", "info")
    assert httpd.alive()


def _login_as(httpd, fake, account_id):
    profile = dict(fake_atlassian.DEFAULT_PROFILE, account_id=account_id)
    fake.set_profile(profile)
    b = httpd.browser()
    q = b.start_login(CGI)
    b.finish_login(b.authorize(q["_location"]), CGI)
    fake.set_profile(fake_atlassian.DEFAULT_PROFILE)
    return b.cookies[H.COOKIE]


@pytest.mark.allow_log_errors(r"AH00011:")  # httpd: a cookie sent twice
def test_duplicated_session_cookie_two_accounts_is_400(httpd, fake):
    """Two values that both unseal as logins, of different accounts (an
    attacker's own session planted beside the user's): which one is the
    user's cannot be told, so no login is used and none is started (400,
    ATL00100); two logins of the same account are one login (the newest)."""
    mine = _login_as(httpd, fake, H.DEFAULT_ACCOUNT_ID)
    theirs = _login_as(httpd, fake, "557058:0000aaaa-1111-2222-3333-444455556666")
    mine_again = _login_as(httpd, fake, H.DEFAULT_ACCOUNT_ID)
    c = httpd.browser()
    mark = httpd.log_mark()
    r = c.get(CGI, headers={"Cookie": "%s=%s; %s=%s" % (H.COOKIE, mine, H.COOKIE, theirs)},
              cookies=False)
    assert r.status == 400, r
    assert r.location is None
    assert not r.header_all("Set-Cookie"), r.headers
    assert_logged(httpd, mark, "ATL00623", "info")
    assert_logged(httpd, mark, "ATL00100", "warn")
    r = c.get(CGI, headers={"Cookie": "%s=%s; %s=%s" % (H.COOKIE, mine, H.COOKIE, mine_again)},
              cookies=False)
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


OTHER_APP = "tracking=atl=1; tracking=atl=2; prefs=a, b"


@pytest.mark.parametrize("cookie_name", [H.COOKIE, "__Host-atlassian_session"])
def test_other_application_cookies_never_count(make_httpd, fake, cookie_name):
    """Another application's cookies, duplicated or not, and whatever they
    hold, change nothing: the login starts, the callback completes, the
    login is used."""
    h = make_httpd(session_directives="Session On\n    SessionCookieName %s "
                   "path=/;HttpOnly;Secure;SameSite=Lax" % cookie_name)
    b = h.browser()
    r = b.get(CGI, headers={"Cookie": OTHER_APP})
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?"), r.location
    cb = b.authorize(r.location)
    r = b.get(cb, headers={"Cookie": OTHER_APP + "; " + b.cookie_header()})
    assert r.status == 302, r
    assert b.local(r.location) == CGI
    r = b.get(CGI, headers={"Cookie": OTHER_APP + "; " + b.cookie_header()})
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


def test_huge_session_cookie(httpd, fake):
    b = httpd.browser()
    for n in (4000, 7900):
        r = b.get(CGI, headers={"Cookie": "%s=%s" % (H.COOKIE, "atl=" + "A" * n)},
                  cookies=False)
        assert r.status == 302, (n, r)
        assert r.location.startswith(fake.urls()["authorize"] + "?"), r.location
    assert httpd.alive()


@pytest.mark.allow_log_errors(r"AH00011:")  # httpd: a cookie sent twice
def test_duplicated_session_cookie_removed_from_the_request(make_httpd, fake):
    """SessionCookieRemove On: mod_session_cookie leaves a cookie that came
    twice in the request; the module takes both values out, so that neither
    reaches the CGI program (the other cookies do)."""
    h = make_httpd(protected_extra="SessionCookieRemove On")
    b = h.browser()
    b.login()
    good = b.cookies[H.COOKIE]
    r = b.get(CGI, cookies=False,
              headers={"Cookie": "a=1; %s=garbage; b=2, %s=%s" % (H.COOKIE, H.COOKIE, good)})
    assert r.status == 200, r
    env = r.env()
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert H.COOKIE not in env.get("HTTP_COOKIE", ""), env
    assert "a=1" in env.get("HTTP_COOKIE", "") and "b=2" in env["HTTP_COOKIE"], env
