# SPDX-License-Identifier: Apache-2.0
"""Require atlassian-group after the login: the membership is trusted for
AtlassianGroupCheckInterval (2 s here), then checked again with the user's
token, once for all concurrent requests of a login, and written back into
the session. A user removed from a group loses access within the interval;
a refused token means a new login; a failure fails closed."""

import concurrent.futures
import re
import time

import pytest

import atlharness as H
import fake_products as P
import groupkit as G

pytestmark = pytest.mark.allow_log_errors(r"AH01631:")

INTERVAL = 2


@pytest.fixture
def gh(make_httpd, fake):
    return make_httpd(**G.options(fake, interval=INTERVAL))


def member_logged_in(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = gh.browser()
    r = G.login(b)
    assert r.status == 200, r
    return b


def calls(fake):
    return P.calls(fake, "jira", G.ACME)


def resources_calls(fake):
    return len(fake.requests("/oauth/token/accessible-resources"))


def test_removed_member_loses_access_within_the_interval(gh, fake):
    b = member_logged_in(gh, fake)
    assert calls(fake) == 1
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    # Within the interval: the login's membership, nothing asked.
    assert b.get(G.page("g-name")).status == 200
    assert calls(fake) == 1
    time.sleep(INTERVAL + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == 403, r
    assert "acme.atlassian.net/jira-admins" in r.text
    assert calls(fake) == 2
    # The new membership is in the session: the next request asks nothing.
    assert b.get(G.page("g-name")).status == 403
    assert "ATLASSIAN_GROUPS" not in b.get("/protected/cgi/printenv.cgi").env()
    assert calls(fake) == 2


def test_added_member_gains_access_after_the_interval(gh, fake):
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = gh.browser()
    assert G.login(b).status == 403
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    assert b.get(G.page("g-name")).status == 403
    time.sleep(INTERVAL + 0.3)
    assert b.get(G.page("g-name")).status == 200
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert "acme.atlassian.net/jira-admins" in env["ATLASSIAN_GROUPS"].split(",")


def test_recheck_asks_accessible_resources_and_the_product(gh, fake):
    b = member_logged_in(gh, fake)
    before = resources_calls(fake)
    time.sleep(INTERVAL + 0.3)
    assert b.get(G.page("g-name")).status == 200
    assert resources_calls(fake) == before + 1
    assert calls(fake) == 2


def test_pages_without_group_lines_do_not_recheck(gh, fake):
    b = member_logged_in(gh, fake)
    time.sleep(INTERVAL + 0.3)
    assert b.get("/protected/cgi/printenv.cgi").status == 200
    assert calls(fake) == 1


def test_concurrent_requests_recheck_once(gh, fake):
    b = member_logged_in(gh, fake)
    assert calls(fake) == 1
    P.set_groups(fake, G.ACME, jira=[G.ADMINS, "new-group"])
    # The stand-in is slow to answer, so that the requests overlap.
    P.fail(fake, "jira", "stall", delay=1)
    time.sleep(INTERVAL + 0.3)
    cookies = dict(b.cookies)

    def one(_):
        c = H.Browser(gh)
        c.cookies = dict(cookies)
        return c.get(G.page("g-name")).status

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(8)))
    assert statuses == [200] * 8
    assert calls(fake) == 2


def test_refused_token_means_a_new_login(gh, fake):
    b = member_logged_in(gh, fake)
    P.fail(fake, "jira", "unauthorized")
    mark = gh.log_mark()
    time.sleep(INTERVAL + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?")
    text = gh.wait_log(r"ATL00310:", mark)
    assert re.search(r"ATL00310: account \S+: Atlassian refused the token when checking "
                     r"groups on site acme\.atlassian\.net again .*a new one is needed", text)
    # The login is gone from the session.
    r = b.get("/protected/cgi/printenv.cgi")
    assert r.status == 302


def test_revoked_token_means_a_new_login(gh, fake):
    b = member_logged_in(gh, fake)
    fake.control({"expire_access_tokens": True})
    mark = gh.log_mark()
    time.sleep(INTERVAL + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?")
    text = gh.wait_log(r"ATL00902:", mark)
    assert re.search(r"ATL00902: account \S+: Atlassian refused the token when checking "
                     r"groups again \(accessible-resources answered 401\)", text)


def test_expired_token_without_refresh_means_a_new_login(gh, fake):
    fake.control({"expires_in": 3})
    b = member_logged_in(gh, fake)
    mark = gh.log_mark()
    time.sleep(3.2)
    r = b.get(G.page("g-name"))
    assert r.status == 302, r
    assert P.calls(fake, "jira") == 1
    text = gh.wait_log(r"ATL00311:", mark)
    assert "keeps no valid access token" in text


@pytest.mark.parametrize("mode,status", [("ratelimit", 503), ("incomplete", 502),
                                         ("forbidden", 502)])
def test_failed_recheck_does_not_grant_on_old_membership(gh, fake, mode, status):
    b = member_logged_in(gh, fake)
    P.fail(fake, "jira", mode, retry_after=30)
    # A cut list whose complete form cannot be read either.
    fake.control({"jira_browse_users": False})
    time.sleep(INTERVAL + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == status, r
    assert "authorized" not in r.text
    if status == 503:
        assert 28 <= int(r.header("Retry-After")) <= 30
    n = calls(fake)
    # The failure is shared a while: the next request does not ask again.
    assert b.get(G.page("g-name")).status == status
    assert calls(fake) == n
    # A page that needs no group still works; the login stays.
    assert b.get("/protected/cgi/printenv.cgi").status == 200


def test_recheck_after_failure_recovers(gh, fake):
    b = member_logged_in(gh, fake)
    P.fail(fake, "jira", "forbidden", times=1)
    time.sleep(INTERVAL + 0.3)
    assert b.get(G.page("g-name")).status == 502
    time.sleep(5.2)  # the failure is shared for 5 s
    assert b.get(G.page("g-name")).status == 200
    n = calls(fake)
    assert b.get(G.page("g-name")).status == 200
    assert calls(fake) == n


REFRESH_SCOPE = G.SCOPE + " offline_access"


@pytest.fixture
def rh(make_httpd, fake):
    return make_httpd(**G.options(fake, interval=INTERVAL, scope=REFRESH_SCOPE,
                                  extra="AtlassianRefresh On"))


def test_recheck_uses_the_refreshed_token(rh, fake):
    # Due for a refresh (within 60 s of expiry) once the interval is over.
    fake.control({"expires_in": 60 + INTERVAL})
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = rh.browser()
    assert G.login(b, scope=REFRESH_SCOPE).status == 200
    time.sleep(INTERVAL + 0.3)
    # The login's token stops working: only the refreshed one does.
    fake.control({"expire_access_tokens": True})
    r = b.get(G.page("g-name"))
    assert r.status == 200, r
    assert len(fake.refresh_calls()) == 1
    assert calls(fake) == 2


def test_token_that_cannot_be_refreshed_means_a_new_login(rh, fake):
    fake.control({"expires_in": 60 + INTERVAL})
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = rh.browser()
    assert G.login(b, scope=REFRESH_SCOPE).status == 200
    fake.control({"refresh_invalid_grant": ["*"]})
    time.sleep(INTERVAL + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?")
    assert calls(fake) == 1


def test_internal_redirect_into_a_group_location_checks_again(make_httpd, fake):
    # /protected itself has no group line: its requests never check; an
    # ErrorDocument that leads into a group location does.
    opts = G.options(fake, interval=INTERVAL,
                     extra="ErrorDocument 404 /protected/authz/g-name/ok.txt")
    h = make_httpd(**opts)
    b = member_logged_in(h, fake)
    r = b.get("/protected/no-such-page")
    assert r.status == 404 and r.text == "authorized\n", r
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    time.sleep(INTERVAL + 0.3)
    r = b.get("/protected/no-such-page")
    assert "authorized" not in r.text, r
    assert calls(fake) == 2
