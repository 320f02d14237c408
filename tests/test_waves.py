# SPDX-License-Identifier: Apache-2.0
"""The callback's calls to Atlassian in waves: /me and accessible-resources
together, then every configured site's group call together. Each call
here is slowed down by the stand-in, so a callback that makes its calls
one after the other takes the sum of the delays, and one that makes them
in waves one delay per wave."""

import re
import time

import pytest

import fake_products as P
import groupkit as G

# mod_authz_core logs every refusal at error level (AH01631).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:")

DELAY = 0.8
ME = "/me"
RESOURCES = "/oauth/token/accessible-resources"
JIRA = "/ex/jira/%s/rest/api/3/myself" % G.ACME
CONFLUENCE = "/ex/confluence/%s/wiki/rest/api/user/memberof" % G.GLOBEX


def timed_callback(b, path, scope="read:me"):
    """Start a login at path and authorize it; returns the callback's
    answer and its wall time in seconds."""
    q = b.start_login(path, scope=scope)
    callback = b.authorize(q["_location"])
    t0 = time.monotonic()
    r = b.get(callback)
    return r, time.monotonic() - t0


def slow(fake, *paths):
    for p in paths:
        fake.fail(p, delay=DELAY)


def test_me_and_sites_in_one_wave(make_httpd, fake):
    h = make_httpd()
    slow(fake, ME, RESOURCES)
    b = h.browser()
    path = "/protected/cgi-sites/printenv.cgi"
    r, seconds = timed_callback(b, path)
    assert r.status == 302 and b.local(r.location) == path, r
    # One after the other: two delays; in one wave: one.
    assert DELAY <= seconds < 1.6 * DELAY, seconds
    env = b.get(path).text
    assert "acme.atlassian.net" in env, env
    assert len(fake.requests(ME)) == 1 and len(fake.requests(RESOURCES)) == 1


def test_group_calls_in_one_wave(make_httpd, fake):
    h = make_httpd(**G.options(fake))
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    P.set_groups(fake, G.GLOBEX, confluence=["wiki-editors"])
    slow(fake, ME, RESOURCES, JIRA, CONFLUENCE)
    mark = h.log_mark()
    b = h.browser()
    r, seconds = timed_callback(b, G.page("g-name"), scope=G.SCOPE)
    assert r.status == 302, r
    # Four delays one after the other; two waves: /me with the sites, then
    # both sites' groups.
    assert 2 * DELAY <= seconds < 3 * DELAY, seconds
    # Each site asked once (acme is configured by host and by cloud id).
    assert P.calls(fake, "jira", G.ACME) == 1
    assert P.calls(fake, "confluence", G.GLOBEX) == 1
    assert b.get(G.page("g-name")).status == 200
    assert b.get(G.page("g-wiki")).status == 200
    text = h.wait_log(r"ATL00046:", mark)
    assert re.search(r"ATL00300: account \S+: accessible-resources does not list "
                     r"site gone\.atlassian\.net", text), text[-3000:]


def test_confluence_pages_follow_one_by_one(make_httpd, fake):
    h = make_httpd(**G.options(fake))
    P.set_groups(fake, G.GLOBEX, confluence=["a", "b", "c", "wiki-editors", "e"])
    fake.control({"groups_page_size": 2})
    b = h.browser()
    r = G.login(b, G.page("g-wiki"))
    assert r.status == 200, r
    # Three pages, each asked once: the first in the wave, the others after.
    starts = sorted(int(re.search(r"start=(\d+)", q["query"]).group(1))
                    for q in fake.requests(CONFLUENCE))
    assert starts == [0, 2, 4], starts


def test_no_group_call_when_me_fails(make_httpd, fake):
    h = make_httpd(**G.options(fake))
    fake.fail(ME, status=500, body=b'{"message":"down"}')
    mark = h.log_mark()
    b = h.browser()
    r, _ = timed_callback(b, G.page("g-name"), scope=G.SCOPE)
    assert r.status == 502, r
    text = h.wait_log(r"ATL00040:", mark)
    assert "login failed at the profile step" in text, text[-3000:]
    # The group wave needs /me: it never started.
    assert P.calls(fake, "jira") == 0 and P.calls(fake, "confluence") == 0


def test_timeout_bounds_the_wave(make_httpd, fake):
    # Both calls of the wave stall beyond AtlassianTimeout: the callback
    # ends after one timeout, not two, with the profile's timeout page.
    h = make_httpd(server_extra="AtlassianTimeout 2\n")
    fake.fail(ME, delay=5)
    fake.fail(RESOURCES, delay=5)
    mark = h.log_mark()
    b = h.browser()
    r, seconds = timed_callback(b, "/protected/cgi-sites/printenv.cgi")
    assert r.status == 504, r
    assert 2 <= seconds < 3.5, seconds
    text = h.wait_log(r"ATL00040:", mark)
    assert re.search(r"login failed at the profile step: .*timeout after 2000 ms", text), \
        text[-3000:]


def jira_by_cloud_id(make_httpd, fake, cloud_id):
    """An httpd whose only group line names a site by its cloud id, and a
    token with Jira's scope only."""
    server = 'AtlassianAPIURL "%s"\nAtlassianScope "read:me read:jira-user"\n' % fake.base
    tail = ("<Location /protected/authz/by-id/>\n  Require atlassian-group %s jira-admins\n"
            "</Location>\n" % cloud_id)
    return make_httpd(server_extra=server, tail_extra=tail)


def test_jira_by_cloud_id_in_the_wave_of_me(make_httpd, fake):
    h = jira_by_cloud_id(make_httpd, fake, G.ACME)
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    slow(fake, ME, RESOURCES, JIRA)
    b = h.browser()
    path = G.page("by-id")
    r, seconds = timed_callback(b, path, scope="read:me read:jira-user")
    assert r.status == 302 and b.local(r.location) == path, r
    # Three delays one after the other, two waves after the sites; one
    # wave when the Jira call needs nothing but the token and the cloud id.
    assert DELAY <= seconds < 1.6 * DELAY, seconds
    assert P.calls(fake, "jira", G.ACME) == 1
    assert b.get(path).status == 200


def test_jira_by_cloud_id_of_a_site_not_listed(make_httpd, fake):
    other = "0b1c2d3e-4f50-4617-8283-949596979899"
    h = jira_by_cloud_id(make_httpd, fake, other)
    mark = h.log_mark()
    b = h.browser()
    path = G.page("by-id")
    r, _ = timed_callback(b, path, scope="read:me read:jira-user")
    # The answer of the call made with /me is not used: the site is not
    # the user's, as accessible-resources then says.
    assert r.status == 302, r
    text = h.wait_log(r"ATL00300:", mark)
    assert re.search(r"ATL00300: account \S+: accessible-resources does not list site "
                     + other, text), text[-3000:]
    assert b.get(path).status == 403
