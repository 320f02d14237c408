# SPDX-License-Identifier: Apache-2.0
"""Require atlassian-group at login: Jira and Confluence-only sites, names
and ids, sites the user cannot reach, RequireAny/RequireAll, the 403 page
that names the group, ATLASSIAN_GROUPS, and every way the check can fail
(each with its own status and log line, never the user's 403)."""

import re
import time

import pytest

import fake_products as P
import groupkit as G

# mod_authz_core logs every refusal at error level (AH01631).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:")


@pytest.fixture
def gh(make_httpd, fake):
    return make_httpd(**G.options(fake))


def log_has(h, pattern, mark):
    text = h.wait_log(pattern, mark)
    assert re.search(pattern, text), text[-3000:]


def headers_of(r):
    return {k.lower(): v for k, v in r.json()["headers"]}


def assert_refused_403(r, *groups):
    assert r.status == 403, r
    assert r.location is None
    assert r.header("WWW-Authenticate") is None
    assert "authorized" not in r.text
    for g in groups:
        assert g in r.text, r.text


def test_member_by_name_on_jira_site(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS, "jira-users"])
    mark = gh.log_mark()
    b = gh.browser()
    r = G.login(b)
    assert r.status == 200 and r.text == "authorized\n", r
    # One call per configured site (by host and by cloud id: one site).
    assert P.calls(fake, "jira", G.ACME) == 1
    assert P.calls(fake, "confluence", G.GLOBEX) == 1
    # A name is matched by name, and the log tells its id.
    log_has(gh, r'ATL00301: account \S+ is in group "jira-admins" on site '
                r'acme\.atlassian\.net \(jira\), matched by name; its id is '
                + G.ADMINS_ID, mark)
    # Case is ignored for names (as Jira does), the first that matches grants.
    assert b.get(G.page("g-two")).status == 200
    # Nothing more was asked of Atlassian after the login.
    assert P.calls(fake, "jira") == 1 and P.calls(fake, "confluence") == 1


def test_groups_variable_lists_configured_groups_the_user_is_in(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    P.set_groups(fake, G.GLOBEX, confluence=["wiki-editors"])
    b = gh.browser()
    G.login(b)
    env = b.get("/protected/cgi/printenv.cgi").env()
    assert env["ATLASSIAN_GROUPS"] == ",".join([
        # Site by site as configured, each site's groups as configured.
        "acme.atlassian.net/jira-admins", "acme.atlassian.net/JIRA-Admins",
        "%s/%s" % (G.ACME, G.ADMINS_ID), "globex.atlassian.net/wiki-editors"])
    info = b.get(gh.callback_path + "?info=json").json()
    assert info["groups"] == env["ATLASSIAN_GROUPS"]
    # Proxied applications get the header.
    r = b.get("/protected/app/x")
    assert headers_of(r).get("x-atlassian-groups") == env["ATLASSIAN_GROUPS"]


def test_client_cannot_plant_groups_header(gh, fake):
    P.set_groups(fake, G.ACME, jira=[])
    b = gh.browser()
    G.login(b, "/protected/cgi/printenv.cgi")
    r = b.get("/protected/app/x", headers={"X-Atlassian-Groups": "acme.atlassian.net/jira-admins"})
    assert "x-atlassian-groups" not in headers_of(r)
    assert_refused_403(b.get(G.page("g-name"), headers={
        "X-Atlassian-Groups": "acme.atlassian.net/jira-admins"}))


def test_id_matches_exactly(gh, fake):
    # Same name, another id: the name line grants, the id line does not.
    P.set_groups(fake, G.ACME, jira=[{"name": "jira-admins", "groupId": G.OTHER_ID}])
    b = gh.browser()
    assert G.login(b).status == 200
    assert_refused_403(b.get(G.page("g-id")), "%s/%s" % (G.ACME, G.ADMINS_ID))


def test_id_grants_whatever_the_name(gh, fake):
    P.set_groups(fake, G.ACME, jira=[{"name": "renamed-admins", "groupId": G.ADMINS_ID.upper()}])
    b = gh.browser()
    assert G.login(b, G.page("g-id")).status == 200
    assert_refused_403(b.get(G.page("g-name")), "acme.atlassian.net/jira-admins")


def test_not_a_member_gets_403_naming_the_group(gh, fake):
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = gh.browser()
    r = G.login(b)
    assert_refused_403(r, "acme.atlassian.net/jira-admins")
    # Never a new login.
    assert len(fake.requests("/authorize")) == 1
    r = b.get(G.page("g-two"))
    assert_refused_403(r, "acme.atlassian.net/site-admins,acme.atlassian.net/JIRA-Admins")


def test_403_page_escapes_the_group(gh, fake):
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = gh.browser()
    G.login(b, "/protected/cgi/printenv.cgi")
    r = b.get(G.page("g-html"))
    assert_refused_403(r, "acme.atlassian.net/&lt;b&gt;x&amp;y&lt;/b&gt;")
    assert "<b>x" not in r.text


def test_confluence_only_site(gh, fake):
    P.set_groups(fake, G.GLOBEX, confluence=["wiki-editors"], jira=["wiki-editors"])
    b = gh.browser()
    assert G.login(b, G.page("g-wiki")).status == 200
    assert P.calls(fake, "confluence", G.GLOBEX) == 1
    assert P.calls(fake, "jira", G.GLOBEX) == 0


def test_confluence_paging(gh, fake):
    fake.control({"groups_page_size": 2})
    P.set_groups(fake, G.GLOBEX, confluence=["a", "b", "c", "d", "wiki-editors"])
    b = gh.browser()
    assert G.login(b, G.page("g-wiki")).status == 200
    assert P.calls(fake, "confluence", G.GLOBEX) == 3


def test_confluence_paging_absolute_links(gh, fake):
    fake.control({"groups_page_size": 2, "groups_next": "absolute"})
    P.set_groups(fake, G.GLOBEX, confluence=["a", "b", "c", "d", "wiki-editors"])
    b = gh.browser()
    assert G.login(b, G.page("g-wiki")).status == 200
    assert P.calls(fake, "confluence", G.GLOBEX) == 3


def test_confluence_link_off_the_api_host_not_followed(gh, fake):
    fake.control({"groups_page_size": 2, "groups_next": "foreign"})
    P.set_groups(fake, G.GLOBEX, confluence=["a", "b", "wiki-editors"])
    mark = gh.log_mark()
    b = gh.browser()
    r = G.login(b, G.page("g-wiki"))
    assert r.status == 502, r
    log_has(gh, r"ATL00306: .*site globex\.atlassian\.net .*the next-page link is not "
                r"followed: it leaves the configured API host", mark)
    assert P.calls(fake, "confluence", G.GLOBEX) == 1


def many_jira_groups(fake):
    """More groups than Jira's expand=groups lists (1,000), jira-admins last."""
    P.set_groups(fake, G.ACME, jira=["Gruppe %04d" % i for i in range(1003)] + [G.ADMINS])


def test_jira_cut_list_read_whole(gh, fake):
    many_jira_groups(fake)
    b = gh.browser()
    r = G.login(b)
    assert r.status == 200 and r.text == "authorized\n", r
    assert b.get(G.page("g-id")).status == 200
    assert P.calls(fake, "jira", G.ACME) == 1
    assert fake.products.user_groups_calls == 1


def test_jira_cut_list_without_browse_permission(gh, fake):
    many_jira_groups(fake)
    fake.control({"jira_browse_users": False})
    mark = gh.log_mark()
    b = gh.browser()
    r = G.login(b)
    assert r.status == 502, r
    log_has(gh, r"ATL00306: .*site acme\.atlassian\.net are not complete .*holds 1000 "
                r"groups but the size is 1004 .*Browse users and groups.*answered 403", mark)


def test_utf8_group_names(make_httpd, fake):
    """Group names beyond ASCII, raw UTF-8 in the answers as in the
    configuration, match byte for byte and reach ATLASSIAN_GROUPS so."""
    import fake_data
    opts = G.options(fake)
    opts["tail_extra"] += ('<Location /protected/authz/g-utf8/>\n  Require atlassian-group '
                           '%s "Entwickler München" 開発チーム\n  Require atlassian-group %s '
                           'équipe-été\n</Location>\n' % (G.ACME_HOST, G.GLOBEX_HOST))
    h = make_httpd(**opts)
    P.set_groups(fake, G.ACME, jira=fake_data.UTF8_GROUPS[:1] + [G.ADMINS])
    P.set_groups(fake, G.GLOBEX, confluence=[{"name": g["name"], "id": "u%d" % i}
                                             for i, g in enumerate(fake_data.UTF8_GROUPS)])
    b = h.browser()
    r = G.login(b, G.page("g-utf8"))
    assert r.status == 200 and r.text == "authorized\n", r
    env = b.get("/protected/cgi/printenv.cgi").body.split(b"\n")
    line = [l for l in env if l.startswith(b"ATLASSIAN_GROUPS=")]
    assert line and "acme.atlassian.net/Entwickler München".encode() in line[0], env
    assert "globex.atlassian.net/équipe-été".encode() in line[0], line
    assert "開発チーム".encode() not in line[0], line


def test_site_not_in_accessible_resources_is_not_membership(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    mark = gh.log_mark()
    b = gh.browser()
    assert_refused_403(G.login(b, G.page("g-gone")), "gone.atlassian.net/jira-admins")
    log_has(gh, r"ATL00300: account \S+: accessible-resources does not list site "
                r"gone\.atlassian\.net: not a member of its groups", mark)


def test_require_any_and_all(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = gh.browser()
    G.login(b)
    # RequireAny: the email grants although the group does not.
    assert b.get(G.page("g-any")).status == 200
    # RequireAll: the group grants but the email does not.
    assert_refused_403(b.get(G.page("g-all")))


# mode -> (status, log line) of the request that needs the group.
FAILURES = {
    "unexpanded": (502, r"ATL00306: .*not complete"),
    "incomplete": (502, r"ATL00306: .*not complete.*incomplete list.*Browse users and groups"),
    "scope": (502, r"ATL00302: .*may not read groups on site acme\.atlassian\.net: "
                   r".*read:jira-user.*add the scope to AtlassianScope"),
    "forbidden": (502, r"ATL00303: .*refused to tell the groups .* \(HTTP 403\)"),
    "unauthorized": (502, r"ATL00303: .*refused to tell the groups .* \(HTTP 401\)"),
    "unavailable": (503, r"ATL00304: .*rate limiting .*\(HTTP 503, Retry-After 5 s\)"),
    "raw": (502, r"ATL00307: .*failed"),
}


@pytest.mark.parametrize("mode", sorted(FAILURES))
@pytest.mark.allow_log_errors(r"AH01631:")
def test_failure_at_login_fails_closed(gh, fake, mode):
    status, line = FAILURES[mode]
    P.set_groups(fake, G.ACME, jira=[G.ADMINS, "jira-users"])
    extra = {"status": 500, "body": "oops"} if mode == "raw" else {}
    P.fail(fake, "jira", mode, **extra)
    if mode == "incomplete":
        # The complete list cannot be read either (test_jira_cut_list_*).
        fake.control({"jira_browse_users": False})
    mark = gh.log_mark()
    b = gh.browser()
    r = G.login(b)
    assert r.status == status, r
    assert "authorized" not in r.text
    assert r.header("WWW-Authenticate") is None
    if status == 503:
        assert 1 <= int(r.header("Retry-After")) <= 5
    else:
        assert r.header("Retry-After") is None
    log_has(gh, line, mark)
    log_has(gh, r"ATL00315: Require atlassian-group acme\.atlassian\.net: the "
                r"membership of account \S+ is not known .*: not granted, %d" % status, mark)
    log_has(gh, r"ATL00317: user \S+ is logged in, but a group membership .* %d, "
                r"not 403" % status, mark)
    # A page that needs no group is served.
    assert b.get("/protected/cgi/printenv.cgi").status == 200


def test_timeout_is_504(make_httpd, fake):
    h = make_httpd(**G.options(fake, timeout=2))
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    P.fail(fake, "jira", "stall", delay=5)
    mark = h.log_mark()
    b = h.browser()
    t0 = time.time()
    r = G.login(b)
    assert r.status == 504, r
    assert time.time() - t0 < 8
    log_has(h, r"ATL00305: .*timed out \(raise AtlassianTimeout", mark)


def test_rate_limit_honours_retry_after(gh, fake):
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    P.fail(fake, "jira", "ratelimit", retry_after=3, times=1)
    mark = gh.log_mark()
    b = gh.browser()
    r = G.login(b)
    assert r.status == 503, r
    assert r.header("Retry-After") in ("2", "3")
    log_has(gh, r"ATL00304: .*\(HTTP 429, Retry-After 3 s\): not asked again", mark)
    assert P.calls(fake, "jira") == 1
    # Before Retry-After has passed: the same answer, Atlassian not asked.
    r = b.get(G.page("g-name"))
    assert r.status == 503 and int(r.header("Retry-After")) >= 1
    assert P.calls(fake, "jira") == 1
    time.sleep(3.2)
    r = b.get(G.page("g-name"))
    assert r.status == 200, r
    assert P.calls(fake, "jira") == 2
    # The new check is in the session: nothing more is asked.
    assert b.get(G.page("g-name")).status == 200
    assert P.calls(fake, "jira") == 2


def test_real_scope_mismatch_names_the_scope(make_httpd, fake):
    opts = G.options(fake)
    opts["server_extra"] = opts["server_extra"].replace(G.SCOPE, "read:me")
    h = make_httpd(**opts)
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    mark = h.log_mark()
    b = h.browser()
    r = b.login(G.page("g-name"), scope="read:me")
    assert r.status == 502, r
    log_has(h, r"ATL00302: .*read:jira-user", mark)


def test_config_errors(make_httpd, fake):
    for line, why in (
            ("Require atlassian-group acme.atlassian.net", "needs a site"),
            ("Require atlassian-group acme.atlassian.net a,b", "may not contain a comma"),
            ("Require atlassian-group acme/x g", "comma or a slash"),
            ("AtlassianGroupCheckInterval 0", "AtlassianGroupCheckInterval"),
            ("AtlassianGroupCheckInterval soon", "AtlassianGroupCheckInterval")):
        h = make_httpd(start=False, tail_extra="<Location /x>\n%s\n</Location>\n" % line)
        rc, out = h.config_test()
        assert rc != 0 and why in out, (line, out)
    h = make_httpd(start=False, server_extra="AtlassianAPIURL http://api.example.com\n")
    rc, out = h.config_test()
    assert rc != 0 and "AtlassianAPIURL" in out and "https://" in out, out


def test_no_group_lines_no_group_calls(make_httpd, fake):
    h = make_httpd()
    b = h.browser()
    r = b.login("/protected/cgi/printenv.cgi")
    assert "ATLASSIAN_GROUPS" not in r.env()
    assert "ATLASSIAN_SITES" not in r.env()
    assert not fake.requests("/oauth/token/accessible-resources")
    assert P.calls(fake, "jira") == 0 and P.calls(fake, "confluence") == 0


# -- Require not atlassian-group: fails closed too ----------------------------------

NOT_LOCATION = ('<Location /protected/authz/g-not/>\n  <RequireAll>\n'
                '    Require valid-user\n'
                '    Require not atlassian-group %s jira-admins\n'
                '  </RequireAll>\n</Location>\n'
                # The same negation, by <RequireNone>.
                '<Location /protected/authz/g-none/>\n  <RequireAll>\n'
                '    Require valid-user\n    <RequireNone>\n'
                '      Require atlassian-group %s jira-admins\n'
                '    </RequireNone>\n  </RequireAll>\n</Location>\n'
                % (G.ACME_HOST, G.ACME_HOST))
NEGATED = ["g-not", "g-none"]


@pytest.fixture
def gn(make_httpd, fake):
    o = G.options(fake)
    o["tail_extra"] += NOT_LOCATION
    return make_httpd(**o)


@pytest.mark.parametrize("loc", NEGATED)
def test_negated_group_grants_and_refuses(gn, fake, loc):
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = gn.browser()
    r = G.login(b, G.page(loc))
    assert r.status == 200 and r.text == "authorized\n", r
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    b = gn.browser()
    assert_refused_403(G.login(b, G.page(loc)))


@pytest.mark.parametrize("loc", NEGATED)
@pytest.mark.parametrize("mode", sorted(FAILURES))
def test_negated_group_failure_fails_closed(gn, fake, mode, loc):
    """When the membership cannot be read, "Require not atlassian-group"
    does not let the user in (httpd would make its denial neutral, and
    Require valid-user grant): the same status and log lines as the
    positive form."""
    status, line = FAILURES[mode]
    P.set_groups(fake, G.ACME, jira=["jira-users", "staff"])
    extra = {"status": 500, "body": "oops"} if mode == "raw" else {}
    P.fail(fake, "jira", mode, **extra)
    if mode == "incomplete":
        # The complete list cannot be read either (test_jira_cut_list_*).
        fake.control({"jira_browse_users": False})
    mark = gn.log_mark()
    b = gn.browser()
    r = G.login(b, G.page(loc))
    assert r.status == status, r
    assert "authorized" not in r.text
    assert r.header("WWW-Authenticate") is None
    assert "Group membership not available" in r.text, r.text
    if status == 503:
        assert 1 <= int(r.header("Retry-After")) <= 5
    else:
        assert r.header("Retry-After") is None
    log_has(gn, line, mark)
    log_has(gn, r"ATL00315: Require atlassian-group acme\.atlassian\.net: the "
                r"membership of account \S+ is not known .*: not granted, %d" % status, mark)
    log_has(gn, r"ATL00317: user \S+ is logged in, but a group membership .* %d, "
                r"not 403" % status, mark)
    # A page that needs no group is served.
    assert b.get("/protected/cgi/printenv.cgi").status == 200


def test_negated_group_timeout_is_504(make_httpd, fake):
    o = G.options(fake, timeout=2)
    o["tail_extra"] += NOT_LOCATION
    h = make_httpd(**o)
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    P.fail(fake, "jira", "stall", delay=5)
    b = h.browser()
    r = G.login(b, G.page("g-not"))
    assert r.status == 504, r
    assert "authorized" not in r.text


def test_negated_group_recheck_failure_fails_closed(make_httpd, fake):
    """The same when the membership is checked again after
    AtlassianGroupCheckInterval."""
    o = G.options(fake, interval=1)
    o["tail_extra"] += NOT_LOCATION
    h = make_httpd(**o)
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = h.browser()
    assert G.login(b, G.page("g-not")).status == 200
    P.fail(fake, "jira", "raw", status=500, body="oops")
    time.sleep(1.2)
    r = b.get(G.page("g-not"))
    assert r.status == 502, r
    assert "authorized" not in r.text
