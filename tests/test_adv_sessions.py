"""Session cookies edited by hand: swapped, mangled, duplicated or huge
values are never a login and never break the server."""

import base64
import urllib.parse

import pytest

import atlharness as H
import fake_atlassian

import advhelpers
from advhelpers import CGI, assert_logged

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# Sessions edited by hand


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
