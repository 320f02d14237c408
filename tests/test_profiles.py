# SPDX-License-Identifier: Apache-2.0
"""Profile and site values an attacker controls: account_status, control
characters, wrong JSON types, malformed emails, sites, escaping in
?info=json, and a session cookie that stays under 4 KB. (What the callback
answers when Atlassian fails or answers malformed JSON: test_callback.py.)"""

import json
import re

import pytest

import atlharness as H
import fake_atlassian
import sharedkit
from sharedkit import (CGI, assert_callback_headers, assert_logged, atl_like, backend_headers,
                        cookie_sizes, login_with_profile, pending)

# The httpd fixture reads this.
HTTPD_OPTIONS = sharedkit.HTTPD_OPTIONS

# mod_authz_core logs every refusal at error level (AH01631).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:")


# -- identity values ---------------------------------------------------------


@pytest.mark.parametrize("status", [None, "", "Active", "ACTIVE", "active ", "inactive",
                                    "closed", True, 1, ["active"], {"s": "active"}])
def test_account_status_not_active_refused(httpd, fake, status):
    prof = dict(fake_atlassian.DEFAULT_PROFILE)
    if status is None:
        prof.pop("account_status")
    else:
        prof["account_status"] = status
    mark = httpd.log_mark()
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 403, (status, r)
    assert r.location is None
    assert_logged(httpd, mark, "ATL00043")
    assert_callback_headers(r)
    assert b.get(CGI).status == 302


def test_control_chars_in_every_field(httpd, fake):
    evil = "A\r\nX-Injected: 1\x00\x01\x1b[31m\x7f\tB"
    prof = {"account_id": "ctl-acct", "account_status": "active",
            "email": "ctl@example.com", "name": evil, "nickname": evil,
            "picture": "https://x.example/" + evil, "account_type": evil, "locale": evil,
            "zoneinfo": evil, "extended_profile": {"job_title": evil, "department": evil,
                                                   "organization": evil, "location": evil}}
    fake.set_profile(json.dumps(prof))
    b, q, cb = pending(httpd, "/protected/app/ctl")
    r = b.get(cb)
    assert r.status == 302, r
    r = b.get("/protected/app/ctl")
    got = backend_headers(r)
    assert "x-injected" not in [k.lower() for k, v in got]
    for k, v in got:
        if atl_like(k):
            assert not re.search(r"[\x00-\x1f\x7f]", v), (k, v)
    info = b.get(H.CALLBACK + "?info=json")
    assert info.status == 200
    for k, v in info.json().items():
        if isinstance(v, str):
            assert not re.search(r"[\x00-\x1f\x7f]", v), (k, v)
    env = b.get(CGI).env()
    # printenv prints one variable per line: a CR/LF would split them.
    assert "X-Injected" not in "".join(k for k in env)
    for k in ("ATLASSIAN_NAME", "ATLASSIAN_LOCALE", "ATLASSIAN_JOB_TITLE"):
        assert "\r" not in env.get(k, "") and "\x1b" not in env.get(k, ""), k


def test_wrong_json_types(httpd, fake):
    """With a good account_id and account_status, fields of the wrong JSON
    type do not refuse the login: it completes (302) and they set nothing."""
    prof = {"account_id": "types-2", "account_status": "active",
            "email": ["a@example.com"], "name": 12, "nickname": {"n": 1},
            "picture": True, "account_type": None, "locale": 1.5, "zoneinfo": [],
            "email_verified": "true", "extended_profile": "Designer"}
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    env = b.get(CGI).env()
    assert env["ATLASSIAN_ACCOUNT_ID"] == "types-2"
    for k in ("ATLASSIAN_EMAIL", "ATLASSIAN_NAME", "ATLASSIAN_NICKNAME", "ATLASSIAN_PICTURE",
              "ATLASSIAN_ACCOUNT_TYPE", "ATLASSIAN_LOCALE", "ATLASSIAN_ZONEINFO",
              "ATLASSIAN_EMAIL_VERIFIED", "ATLASSIAN_JOB_TITLE", "ATLASSIAN_DEPARTMENT",
              "ATLASSIAN_ORGANIZATION", "ATLASSIAN_LOCATION"):
        assert k not in env, (k, env.get(k))
    info = b.get(H.CALLBACK + "?info=json").json()
    for k, v in info.items():
        assert not isinstance(v, (list, dict)), (k, v)


def test_extended_profile_wrong_member_types(httpd, fake):
    prof = dict(fake_atlassian.DEFAULT_PROFILE)
    prof["extended_profile"] = {"job_title": ["x"], "department": 3, "organization": None,
                                "location": {"city": "Sydney"}}
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    env = b.get(CGI).env()
    for k in ("ATLASSIAN_JOB_TITLE", "ATLASSIAN_DEPARTMENT", "ATLASSIAN_ORGANIZATION",
              "ATLASSIAN_LOCATION"):
        assert k not in env, (k, env.get(k))


@pytest.mark.parametrize("email", ["mia@example.com@evil.org", "mia\u0000@example.com",
                                   "evil.org\u0000mia@example.com", " mia@example.com",
                                   "mia@example.com\n", "@example.com", "mia@"])
def test_malformed_email_never_matches(httpd, fake, email):
    """The login completes (302); the email that is not one address never
    matches Require atlassian-email (403)."""
    prof = dict(fake_atlassian.DEFAULT_PROFILE)
    prof["email"] = email
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    r = b.get("/protected/authz/email-wild/ok.txt")
    assert r.status == 403, (email, r)


def test_cookie_small_with_many_10k_fields(httpd, fake):
    big = "x" * 10240
    prof = {"account_id": "big-" + "a" * 200, "account_status": "active",
            "email": "a" * 200 + "@example.com", "name": big, "nickname": big,
            "picture": "https://x.example/" + big, "account_type": big, "locale": big,
            "zoneinfo": big, "email_verified": True, "last_updated": big, "other": big,
            "extended_profile": {"job_title": big, "department": big,
                                 "organization": big, "location": big, "x": big}}
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    for n in cookie_sizes(r):
        assert n < 4096, "Set-Cookie of %d bytes after login" % n
    assert b.get(CGI).status == 200


def test_cookie_small_with_every_field_just_under_the_cut(httpd, fake):
    """Every profile string at 255 characters: none is cut, all are kept, and
    the sealed login no longer fits a 4 KB cookie unless the module drops or
    cuts something."""
    v = "v" * 255
    prof = {"account_id": "a" * 255, "account_status": "active",
            "email": "e" * 240 + "@example.com", "name": v, "nickname": v,
            "picture": "https://x.example/" + "p" * 480, "account_type": v, "locale": v,
            "zoneinfo": v, "email_verified": True,
            "extended_profile": {"job_title": v, "department": v,
                                 "organization": v, "location": v}}
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    sizes = cookie_sizes(r)
    assert sizes and all(n < 4096 for n in sizes), "Set-Cookie sizes %r" % sizes
    assert b.get(CGI).status == 200


def test_cookie_small_with_many_long_sites(httpd, fake):
    sites = [{"id": "%02d-" % i + "i" * 200, "name": "n" * 250,
              "url": "https://" + "h" * 200 + "%02d.atlassian.net" % i,
              "scopes": ["read:jira-work"]} for i in range(30)]
    fake.set_sites(sites)
    b, r = login_with_profile(httpd, fake, dict(fake_atlassian.DEFAULT_PROFILE),
                               "/protected/cgi-sites/printenv.cgi")
    assert r.status == 302, r
    sizes = cookie_sizes(r)
    assert sizes and all(n < 4096 for n in sizes), "Set-Cookie sizes %r" % sizes
    assert b.get("/protected/cgi-sites/printenv.cgi").status == 200


def test_cookie_small_with_access_token_and_tabs(make_httpd, fake):
    """A long access token (Atlassian's are JWTs of about 1-2 KB) with
    AtlassianPassAccessToken On, and pending logins of other tabs."""
    h = make_httpd(protected_extra="AtlassianPassAccessToken On")
    b = h.browser()
    qs = [b.start_login(CGI + "?tab=%d" % i) for i in range(3)]
    cbs = [b.authorize(q["_location"]) for q in qs]
    r = b.get(cbs[0])
    assert r.status == 302, r
    sizes = cookie_sizes(r)
    assert sizes and all(n < 4096 for n in sizes), sizes
    assert len(b.cookie_header()) < 4096


@pytest.mark.parametrize("site,where", [
    ({"id": "x-1", "name": "ac\u0000me", "url": "https://other1.atlassian.net"}, "site-name"),
    ({"id": "x-2", "name": "ac\u0001me", "url": "https://other2.atlassian.net"}, "site-name"),
    ({"id": "x-3", "name": "acme\n", "url": "https://other3.atlassian.net"}, "site-name"),
    ({"id": "x-4", "name": "other", "url": "https://globex\u0001.atlassian.net"}, "site-host"),
    ({"id": "1324a887-45db-1bf4-1e99-ef0ff456d421\u0000", "name": "other",
      "url": "https://other5.atlassian.net"}, "site-id"),
])
def test_site_values_cleaned_into_a_match(httpd, fake, site, where):
    """A site value that is not exactly the configured one (here: with a
    control character) must not be cleaned into a match, as the module
    already does for email, nickname and account_status."""
    fake.set_sites(json.dumps([site]))
    b, r = login_with_profile(httpd, fake, dict(fake_atlassian.DEFAULT_PROFILE),
                               "/protected/authz/fsite-name/ok.txt")
    assert r.status == 302, r
    r = b.get("/protected/authz/%s/ok.txt" % where)
    assert r.status == 403, (site, r)


def test_info_json_escapes_values(httpd, fake):
    prof = dict(fake_atlassian.DEFAULT_PROFILE)
    prof["name"] = "Mia \"Q\" \\ </script> \u00e9\u4e2d \U0001F600"
    prof["nickname"] = "n\"k\\"
    b, r = login_with_profile(httpd, fake, prof)
    assert r.status == 302, r
    r = b.get(H.CALLBACK + "?info=json")
    assert r.status == 200, r
    info = r.json()
    assert info["name"] == prof["name"], (info["name"], prof["name"])
    assert info["nickname"] == prof["nickname"]
    assert "</script>" not in r.text or r.header("Content-Type").startswith("application/json")
