# SPDX-License-Identifier: Apache-2.0
"""The callback: refused accounts, bad or foreign states, replays, errors from
Atlassian, malformed answers, timeouts, TLS, odd parameters, error pages."""

import json
import re
import time
import urllib.parse

import pytest

import atlharness as H
import sharedkit
from sharedkit import assert_callback_headers, assert_logged

CGI = "/protected/cgi/printenv.cgi"

# The module-wide httpd of this file: sharedkit's options, among them a short
# AtlassianTimeout (see the timeout test).
HTTPD_OPTIONS = sharedkit.HTTPD_OPTIONS



pending = H.pending
cb_parts = H.cb_parts


def assert_error_page(r, status, fake=None, secrets=()):
    assert r.status == status, r
    assert r.location is None, r
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert (r.header("Referrer-Policy") or "").lower() == "no-referrer", r.headers
    assert (r.header("Content-Type") or "").startswith("text/html"), r.headers
    text = r.text
    for s in (H.CLIENT_SECRET, H.SESSION_SECRET) + tuple(secrets):
        assert s not in text, s
    if fake is not None:
        for t in fake.tokens_issued + fake.codes_issued:
            assert t not in text


def warn_line(httpd, mark, pattern):
    text = httpd.wait_log(pattern, mark)
    lines = [l for l in text.splitlines()
             if re.search(r"\[auth_atlassian:(warn|error|crit)\]", l) and re.search(pattern, l)]
    assert lines, "no warn-or-worse line matching %r in:\n%s" % (pattern, text)
    return lines


def info_line(httpd, mark, pattern):
    text = httpd.wait_log(pattern, mark)
    lines = [l for l in text.splitlines()
             if re.search(r"\[auth_atlassian:(info|notice|warn|error)\]", l)
             and re.search(pattern, l)]
    assert lines, "no info-or-worse line matching %r in:\n%s" % (pattern, text)
    return lines


def assert_not_logged_in(b, fake):
    r = b.get(CGI)
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?")


# -- refused accounts and consent ------------------------------------------------


@pytest.mark.parametrize("status", ["closed", "inactive"])
def test_inactive_account_refused(httpd, fake, status):
    prof = dict(json.loads(json.dumps(__import__("fake_atlassian").DEFAULT_PROFILE)))
    prof["account_status"] = status
    fake.set_profile(prof)
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(cb)
    assert_error_page(r, 403, fake)
    info_line(httpd, mark, r"ATL\d+:.*%s" % status)
    assert_not_logged_in(b, fake)


def test_access_denied_by_user(httpd, fake):
    fake.auto_approve = False
    b = httpd.browser()
    q = b.start_login(CGI)
    page = b.get(q["_location"])
    assert page.status == 200 and "Allow" in page.text and "read:me" in page.text
    rid = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    r = b.post(fake.base + "/authorize/decide",
               body=urllib.parse.urlencode({"request": rid, "decision": "deny"}),
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 302
    assert "error=access_denied" in r.location
    mark = httpd.log_mark()
    r = b.get(r.location)
    assert_error_page(r, 403, fake)
    info_line(httpd, mark, r"ATL\d+:.*access_denied")
    assert fake.requests("/oauth/token") == []
    assert_not_logged_in(b, fake)


def test_consent_page_allow(httpd, fake):
    fake.auto_approve = False
    b = httpd.browser()
    q = b.start_login(CGI + "?via=page")
    page = b.get(q["_location"])
    rid = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    r = b.post(fake.base + "/authorize/decide",
               body=urllib.parse.urlencode({"request": rid, "decision": "allow"}),
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 302
    b.finish_login(r.location, CGI + "?via=page")
    assert b.get(CGI).env()["ATLASSIAN_EMAIL"] == "mia@example.com"


def test_other_oauth_error_is_502(httpd, fake):
    b, q, cb = pending(httpd)
    r = b.get(H.CALLBACK + "?error=invalid_scope&error_description=bad&state=" + q["state"])
    assert_error_page(r, 502, fake)


# -- states ----------------------------------------------------------------------


def test_state_mismatch(httpd, fake):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    other = ("A" if state[0] != "A" else "B") + state[1:]
    mark = httpd.log_mark()
    r = b.get(path + "?" + urllib.parse.urlencode({"code": code, "state": other}))
    assert_error_page(r, 400, fake, secrets=(code,))
    info_line(httpd, mark, r"ATL\d+:")
    assert fake.requests("/oauth/token") == []
    # The real pending login is still there.
    b.finish_login(cb, CGI)


def test_callback_without_pending_login(httpd, fake):
    b, q, cb = pending(httpd)
    fresh = httpd.browser()
    r = fresh.get(cb)
    assert_error_page(r, 400, fake)
    assert fake.requests("/oauth/token") == []
    # Without any cookie at all, and with a made-up state.
    r = fresh.get(H.CALLBACK + "?code=abc&state=" + "A" * 43)
    assert_error_page(r, 400, fake)


def test_login_csrf_state_of_another_browser(httpd, fake):
    victim, vq, vcb = pending(httpd, CGI + "?who=victim")
    attacker, aq, acb = pending(httpd, CGI + "?who=attacker")
    # The attacker makes the victim's browser open the attacker's callback.
    r = victim.get(acb)
    assert_error_page(r, 400, fake)
    assert fake.requests("/oauth/token") == []
    # The victim's own pending login still completes, as the victim.
    victim.finish_login(vcb, CGI + "?who=victim")
    assert victim.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    # And the attacker's is untouched too.
    attacker.finish_login(acb, CGI + "?who=attacker")


def test_replayed_callback(httpd, fake):
    b, q, cb = pending(httpd)
    b.finish_login(cb, CGI)
    r = b.get(cb)
    assert_error_page(r, 400, fake)
    assert_callback_headers(r)
    assert len(fake.requests("/oauth/token")) == 1
    # Still logged in from the first use.
    assert b.get(CGI).status == 200
    # Replayed in another browser (stolen URL): refused as well.
    r = httpd.browser().get(cb)
    assert r.status == 400
    assert len(fake.requests("/oauth/token")) == 1


# -- Atlassian failures ------------------------------------------------------------


def test_token_endpoint_401(httpd, fake):
    fake.fail("/oauth/token", 401, '{"error":"access_denied","error_description":"Unauthorized"}')
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(cb)
    assert_error_page(r, 502, fake, secrets=(cb_parts(cb)[1],))
    lines = warn_line(httpd, mark, r"ATL\d+:.*401")
    assert not any(cb_parts(cb)[1] in l for l in lines)
    assert_not_logged_in(b, fake)


def test_token_endpoint_wrong_client_secret(make_httpd, fake):
    h = make_httpd(client_secret="not-the-right-secret")
    b, q, cb = pending(h)
    mark = h.log_mark()
    r = b.get(cb)
    assert_error_page(r, 502, fake, secrets=("not-the-right-secret",))
    lines = warn_line(h, mark, r"ATL\d+:.*401")
    assert not any("not-the-right-secret" in l for l in lines)


def test_token_invalid_grant_is_a_bad_callback(httpd, fake):
    # A junk or replayed code from the browser: 400 at info, not an
    # Atlassian failure (no warn line).
    fake.fail("/oauth/token", 403, '{"error":"invalid_grant","error_description":"Unknown or invalid authorization code."}')
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    assert_error_page(b.get(cb), 400, fake)
    lines = info_line(httpd, mark, r"ATL00052:.*invalid_grant")
    assert all("[auth_atlassian:info]" in l for l in lines), lines
    assert "ATL00040" not in httpd.read_log(mark)
    assert_not_logged_in(b, fake)


@pytest.mark.parametrize("body", [
    "{}", '{"access_token": ""}', '{"access_token": 12}', "not json",
    '{"access_token": "x", "token_type": "mac"}', "[]"])
def test_token_answer_malformed(httpd, fake, body):
    fake.fail("/oauth/token", 200, body)
    b, q, cb = pending(httpd)
    assert_error_page(b.get(cb), 502, fake)
    assert_not_logged_in(b, fake)


def test_profile_500(httpd, fake):
    fake.fail("/me", 500, '{"error":"internal"}')
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(cb)
    assert_error_page(r, 502, fake)
    warn_line(httpd, mark, r"ATL\d+:.*500")
    assert_not_logged_in(b, fake)


def test_profile_401(httpd, fake):
    fake.fail("/me", 401, '{"code":401,"message":"Unauthorized"}')
    b, q, cb = pending(httpd)
    assert_error_page(b.get(cb), 502, fake)


@pytest.mark.parametrize("profile", [
    '{"account_id": "abc", "email": ',                       # truncated
    "<html>not json</html>",
    '["account_id", "abc"]',
    '"just a string"',
    '{"email": "mia@example.com", "account_status": "active"}',   # no account_id
    '{"account_id": "", "account_status": "active"}',
    '{"account_id": 12345, "account_status": "active"}',
    '{"account_id": null, "account_status": "active"}',
    '{"account_id": ["a"], "account_status": "active"}',
    '{"account_id": {"id": "a"}, "account_status": "active"}',
])
def test_profile_malformed(httpd, fake, profile):
    fake.set_profile(profile)
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(cb)
    assert_error_page(r, 502, fake)
    warn_line(httpd, mark, r"ATL\d+:")
    assert_not_logged_in(b, fake)


def test_profile_oversized(httpd, fake):
    fake.set_profile('{"account_id": "big", "account_status": "active", "pad": "'
                     + "a" * (4 * 1024 * 1024) + '"}')
    b, q, cb = pending(httpd)
    r = b.get(cb)
    assert_error_page(r, 502, fake)
    assert_not_logged_in(b, fake)


def test_profile_wrong_types_never_stringified(httpd, fake):
    fake.set_profile({"account_id": "types-1", "account_status": "active",
                      "email": ["mia@example.com"], "name": {"first": "Mia"},
                      "nickname": 42, "email_verified": "yes", "locale": None,
                      "extended_profile": "Designer"})
    b, q, cb = pending(httpd)
    r = b.get(cb)
    # A good account_id and account_status: the login completes, and the
    # fields of the wrong type set nothing.
    assert r.status == 302, r
    env = b.get(CGI).env()
    assert env["ATLASSIAN_ACCOUNT_ID"] == "types-1"
    for k in ("ATLASSIAN_EMAIL", "ATLASSIAN_NAME", "ATLASSIAN_NICKNAME",
              "ATLASSIAN_EMAIL_VERIFIED", "ATLASSIAN_LOCALE", "ATLASSIAN_JOB_TITLE"):
        assert k not in env, (k, env.get(k))
    for k, v in env.items():
        if "ATLASSIAN" in k:
            assert not v.startswith("[") and not v.startswith("{"), (k, v)


def test_profile_oversized_values_keep_cookie_small(httpd, fake):
    fake.set_profile({"account_id": "long-1", "account_status": "active",
                      "email": "long@example.com", "name": "N" * 3000,
                      "picture": "https://x.example/" + "p" * 3000,
                      "nickname": "k" * 3000,
                      "extended_profile": {"job_title": "j" * 3000, "department": "d" * 3000,
                                           "organization": "o" * 3000, "location": "l" * 3000}})
    b, q, cb = pending(httpd)
    r = b.get(cb)
    assert r.status == 302, r
    for v in r.header_all("Set-Cookie"):
        assert len(v) < 4096, len(v)
    env = b.get(CGI).env()
    assert env["ATLASSIAN_ACCOUNT_ID"] == "long-1"
    assert len(env.get("ATLASSIAN_NAME", "")) < 3000


def test_sites_failure_is_502(httpd, fake):
    fake.fail("/oauth/token/accessible-resources", 500, "{}")
    b, q, cb = pending(httpd, "/protected/cgi-sites/printenv.cgi")
    assert_error_page(b.get(cb), 502, fake)


def test_timeout(httpd, fake):
    fake.fail("/oauth/token", delay=6)
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    t0 = time.monotonic()
    r = b.get(cb)
    elapsed = time.monotonic() - t0
    assert_error_page(r, 504, fake)
    assert elapsed < 5, elapsed
    warn_line(httpd, mark, r"ATL\d+:")
    # The server still serves, and a new login works.
    fake.clear_failure()
    assert b.get("/public/ok.txt").status == 200
    b2 = httpd.browser()
    b2.login()


def test_profile_timeout(httpd, fake):
    fake.fail("/me", delay=6)
    b, q, cb = pending(httpd)
    t0 = time.monotonic()
    r = b.get(cb)
    assert time.monotonic() - t0 < 5
    assert_error_page(r, 504, fake)


def test_tls_wrong_ca(make_httpd, fake, certs):
    h = make_httpd(ca_file=certs["wrong_ca"])
    b, q, cb = pending(h)
    mark = h.log_mark()
    r = b.get(cb)
    assert_error_page(r, 502, fake)
    warn_line(h, mark, r"ATL\d+:")
    # Nothing reached the token endpoint (the handshake failed).
    assert fake.requests("/oauth/token") == []


def test_token_endpoint_unreachable(make_httpd, fake):
    port = H.free_port()
    h = make_httpd(urls={"token": "https://127.0.0.1:%d/oauth/token" % port})
    b, q, cb = pending(h)
    assert_error_page(b.get(cb), 502, fake)


# -- odd parameters --------------------------------------------------------------------


def _bad_queries(code, state):
    long = "A" * 5000
    return [
        "code=%s&code=%s&state=%s" % (code, code, state),
        "code=%s&state=%s&state=%s" % (code, state, state),
        "code=&state=%s" % state,
        "code=%s&state=" % code,
        "code&state=%s" % state,
        "code=%s" % code,
        "state=%s" % state,
        "code=%s&state=%s" % (long, state),
        "code=%s&state=%s" % (code, state + long),
        "code=%s%%01x&state=%s" % (code, state),
        "code=%s%%00&state=%s" % (code, state),
        "code=%s&state=%s%%00" % (code, state),
        "code=%s&state=%s%%0d%%0aSet-Cookie:%%20x=1" % (code, state),
        "code=%s%%0a&state=%s" % (code, state),
        "error=access_denied&error=access_denied&state=%s" % state,
        "error=&state=%s" % state,
        "error=%s&state=%s" % (long, state),
        "code=%s&state=%s&code=%s" % (code, state, code),
        "code=%s&state=%%ZZ%s" % (code, state),
    ]


@pytest.mark.parametrize("index", range(19))
def test_bad_callback_parameters(httpd, fake, index):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    query = _bad_queries(code, state)[index]
    r = b.get(path + "?" + query)
    assert_error_page(r, 400, fake, secrets=(code,))
    assert "Set-Cookie: x" not in str(r.headers)
    assert fake.requests("/oauth/token") == []


def test_error_page_does_not_echo_input(httpd, fake):
    evil = urllib.parse.quote("<script>alert(1)</script>")
    # Each query against a fresh pending login, with its one answer: a state
    # that matches nothing (400), an unknown error= for a real state (an
    # Atlassian failure, 502), a denied consent (403), a bad ?info= or
    # ?logout= value (400).
    for tmpl, status in (("code=%s&state=%s" % (evil, evil), 400),
                         ("code=%s&state={bad}" % urllib.parse.quote("<img src=x onerror=alert(1)>"),
                          400),
                         ("error=%s&state={s}" % evil, 502),
                         ("error=access_denied&error_description=%s&state={s}" % evil, 403),
                         ("info=%s" % evil, 400),
                         ("logout=%s" % urllib.parse.quote("https://evil.com/<script>"), 400)):
        b, q, cb = pending(httpd)
        path, code, state = cb_parts(cb)
        query = tmpl.replace("{s}", state).replace("{bad}", state[:-1] + "Z")
        r = b.get(path + "?" + query)
        assert r.status == status, (query, r)
        assert "<script>" not in r.text and "<img" not in r.text, (query, r.text)
        assert code not in r.text
        assert "no-store" in (r.header("Cache-Control") or "")


def test_error_page_never_shows_code_or_token(httpd, fake):
    fake.fail("/me", 500, '{"error":"boom"}')
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    r = b.get(cb)
    assert_error_page(r, 502, fake, secrets=(code, state))
    assert fake.tokens_issued, "the token step should have run"
    for t in fake.tokens_issued:
        assert t not in r.text


# -- every answer's headers, error= with any state, methods, ?info= -------------


def test_cache_and_referrer_headers_on_every_callback_answer(httpd, fake):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    answers = {}
    answers["400 bad"] = b.get(path + "?code=&state=" + state)
    answers["400 nomatch"] = b.get(path + "?code=x&state=" + "Q" * 43)
    answers["400 denied nomatch"] = b.get(path + "?error=access_denied&state=" + "Q" * 43)
    answers["400 error nomatch"] = b.get(path + "?error=server_error&state=" + "Q" * 43)
    b4, q4, cb4 = pending(httpd)
    answers["403 denied"] = b4.get(H.CALLBACK + "?error=access_denied&state=" + q4["state"])
    b5, q5, cb5 = pending(httpd)
    answers["502 error"] = b5.get(H.CALLBACK + "?error=server_error&state=" + q5["state"])
    answers["405 post"] = b.post(path + "?code=x&state=y", body=b"")
    answers["405 put"] = b.request("PUT", path, body=b"x")
    answers["401 info"] = httpd.browser().get(path + "?info=json")
    answers["400 info"] = b.get(path + "?info=foo")
    answers["400 logout"] = b.get(path + "?logout=//evil.com")
    answers["302 logout"] = httpd.browser().get(path + "?logout=/")
    answers["302 login"] = b.get(cb)
    answers["200 info"] = b.get(path + "?info=json")
    answers["400 nothing"] = b.get(path)
    answers["200 head"] = b.request("HEAD", path + "?info=json")
    fake.fail("/oauth/token", delay=4)
    b2, q2, cb2 = pending(httpd)
    answers["504 timeout"] = b2.get(cb2)
    fake.clear_failure()
    fake.fail("/oauth/token", 500, "{}")
    b3, q3, cb3 = pending(httpd)
    answers["502 token"] = b3.get(cb3)
    fake.clear_failure()
    for what, r in answers.items():
        assert r.status == int(what.split()[0]), (what, r)
        assert_callback_headers(r, what)
    assert answers["401 info"].header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM


def test_error_access_denied_without_state(httpd, fake):
    """An error= without a state matches no pending login: a bad callback
    (400, logged at info), not a denied consent."""
    b, q, cb = pending(httpd)
    mark = httpd.log_mark()
    r = b.get(H.CALLBACK + "?error=access_denied")
    assert r.status == 400, r
    assert r.location is None
    assert_callback_headers(r)
    assert_logged(httpd, mark, "ATL00041")
    # The real pending login is untouched.
    b.finish_login(cb, CGI)


def test_error_with_other_browsers_state_keeps_victims_pending(httpd, fake):
    victim, vq, vcb = pending(httpd, CGI + "?who=victim")
    attacker, aq, acb = pending(httpd, CGI + "?who=attacker")
    # The state is checked first: another browser's state matches nothing
    # here, so both are bad callbacks (400), not a denial or a failure.
    mark = httpd.log_mark()
    r = victim.get(H.CALLBACK + "?error=access_denied&state=" + aq["state"])
    assert r.status == 400, r
    r = victim.get(H.CALLBACK + "?error=server_error&state=" + aq["state"])
    assert r.status == 400, r
    assert len(assert_logged(httpd, mark, "ATL00042")) == 2
    victim.finish_login(vcb, CGI + "?who=victim")
    attacker.finish_login(acb, CGI + "?who=attacker")


def test_error_with_own_state_ends_that_pending_login(httpd, fake):
    b, q, cb = pending(httpd)
    r = b.get(H.CALLBACK + "?error=access_denied&state=" + q["state"])
    assert r.status == 403, r
    r = b.get(cb)
    assert r.status == 400, r
    assert fake.requests("/oauth/token") == []


@pytest.mark.parametrize("query_tmpl", [
    "error=access%0Ddenied&state={s}",
    "error=access_denied%00&state={s}",
    "error=%1B%5B31m&state={s}",
    "error=access_denied&state={s}&error=x",
    "error=" + "E" * 3000 + "&state={s}",
    "code={c}&state={s}&state=",
    "code=&code={c}&state={s}",
    "code={c}&state=%00{s}",
    "code=" + "C" * 3000 + "&state={s}",
    "code={c}&state=" + "S" * 3000,
    "code={c}%7F&state={s}",
    "code={c}&state={s}%09",
    "code=%0a{c}&state={s}",
], ids=lambda q: "%s..%d" % (q[:30], len(q)))
def test_bad_callback_parameters_more(httpd, fake, query_tmpl):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    query = query_tmpl.replace("{c}", code).replace("{s}", state)
    r = b.get(path + "?" + query)
    assert r.status == 400, (query[:80], r)
    assert_callback_headers(r)
    assert code not in r.text and state not in r.text
    assert fake.requests("/oauth/token") == []


def test_callback_head_and_other_methods(httpd, fake):
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    # A POST carries the real code and state as a form, as a form_post
    # response mode would: still 405, nothing spent.
    r = b.request("POST", path, body=urllib.parse.urlencode({"code": code, "state": state}),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 405, r
    assert "GET" in (r.header("Allow") or ""), r.headers
    assert_callback_headers(r, "POST form")
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = b.request(m, cb, body=b"" if m in ("POST", "PUT", "PATCH") else None)
        assert r.status == 405, (m, r)
        assert "GET" in (r.header("Allow") or ""), (m, r.headers)
        assert_callback_headers(r, m)
    assert fake.requests("/oauth/token") == []
    b.finish_login(cb, CGI)


def test_info_json_logged_out_and_bad_values(httpd, fake):
    b = httpd.browser()
    r = b.get(H.CALLBACK + "?info=json")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
    assert r.location is None
    assert_callback_headers(r)
    for v in ("foo", "JSON", "json%20", "json%00"):
        r = b.get(H.CALLBACK + "?info=" + v)
        assert r.status == 400, (v, r)
        assert_callback_headers(r, v)


# -- absurd queries, raw requests, path aliases -----------------------------------


@pytest.mark.parametrize("query", [
    "&&&", "=", "code", "state", "error", "logout", "info", "==&==", "code=&state=",
    "&".join("p%d=1" % i for i in range(700)),
    "&".join("code%d=x" % i for i in range(500)),
    "a=" + "%" * 100, "%zz=1", "logout=" + "/a" * 3000, "error_description=" + "x" * 5000,
    "state=" + "A" * 43 + "&code=" + "%FF" * 100,
], ids=lambda q: "%s..%d" % (q[:30], len(q)))
def test_absurd_callback_queries(httpd, fake, query):
    b = httpd.browser()
    r = b.get(H.CALLBACK + "?" + query)
    assert r.status == 400, (query[:60], r)
    assert r.location is None
    assert_callback_headers(r, query[:60])
    assert httpd.alive()


# Each raw request and its one answer: (status, answered by the callback).
# Answers from httpd itself: "GET *" (400) and "OPTIONS *" (200) from its
# core, an encoded NUL in the path (404). Paths that only look like the
# callback ("/oauth2callback/", ";x", another case) are protected pages:
# a login (302). Requests that cannot follow a login redirect get 401.
RAW_ANSWERS = {
    b"GET /protected/cgi/printenv.cgi?&&& HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback?= HTTP/1.1\r\nHost: x\r\n\r\n":
        (400, True),
    b"GET /protected/oauth2callback HTTP/1.0\r\n\r\n":
        (400, True),
    b"GET /protected/oauth2callback?info=json HTTP/1.1\r\nHost: x\r\nCookie: =; ==; atlassian_session\r\n\r\n":
        (401, True),
    b"POST /protected/oauth2callback HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde":
        (405, True),
    b"POST /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n":
        (401, False),
    b"BREW /protected/oauth2callback?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n":
        (405, True),
    b"GET * HTTP/1.1\r\nHost: x\r\n\r\n":
        (400, False),
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n":
        (200, False),
    b"GET http://127.0.0.1/protected/oauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET http://evil.com/protected/cgi/printenv.cgi HTTP/1.1\r\nHost: evil.com\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback/ HTTP/1.1\r\nHost: x\r\n\r\n":
        (302, False),
    b"GET /protected/oauth2callback%00 HTTP/1.1\r\nHost: x\r\n\r\n":
        (404, False),
    b"GET /protected/OAUTH2CALLBACK?code=a&state=b HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n":
        (302, False),
    b"GET /protected/./oauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET /protected/oauth2callback;x?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (302, False),
    b"GET /protected/%6fauth2callback?info=json HTTP/1.1\r\nHost: x\r\n\r\n":
        (401, True),
    b"GET /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nAccept:\r\nX-Requested-With:\r\n\r\n":
        (401, False),
    b"GET /protected/cgi/printenv.cgi HTTP/1.1\r\nHost: x\r\nX-Atlassian-Email:\r\n\r\n":
        (302, False),
}


@pytest.mark.parametrize("raw", list(RAW_ANSWERS))
def test_raw_odd_requests(httpd, fake, raw):
    expected, by_callback = RAW_ANSWERS[raw]
    sent = raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1) \
        if b"HTTP/1.1" in raw.split(b"\r\n")[0] else raw
    status, out = H.raw_request(httpd.port, sent)
    assert status == expected, (raw[:80], out[:300])
    head = out.split(b"\r\n\r\n", 1)[0].lower()
    if by_callback:
        assert b"no-store" in head and b"referrer-policy: no-referrer" in head, out[:400]
    if status == 401:
        assert b"www-authenticate: atlassian realm=" in head, out[:400]
    assert httpd.alive()


def test_callback_alias_paths_never_bypass(httpd, fake):
    """Variants of the callback path that httpd normalizes reach the
    callback: ?info=json without a login is 401, never the app anonymously."""
    b, q, cb = pending(httpd)
    path, code, state = cb_parts(cb)
    for variant in ("/protected/./oauth2callback", "/protected//oauth2callback",
                    "/protected/%6fauth2callback", "/protected/cgi/../oauth2callback"):
        r = b.get(variant + "?info=json")
        assert r.status == 401, (variant, r)
        assert r.header("WWW-Authenticate") == 'Atlassian realm="%s"' % H.REALM
        assert_callback_headers(r, variant)
    b.finish_login(cb, CGI)


def test_server_alive_at_end(httpd, fake):
    b = httpd.browser()
    b.login()
    assert b.get(CGI).status == 200
