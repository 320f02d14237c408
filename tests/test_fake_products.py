# SPDX-License-Identifier: Apache-2.0
"""The stand-in's product APIs (fake_products.py), without httpd: group
answers as Jira and Confluence give them, the token and scope checks,
Confluence paging, per-account memberships, the failure switches and the
call counters. (If the stand-in were lax, the module's group tests would
prove nothing.)"""

import http.client
import json
import socket
import ssl
import urllib.parse

import pytest

import atlharness as H
import fake_atlassian
import fake_products

ACME = fake_atlassian.DEFAULT_SITES[0]["id"]      # Jira scopes
GLOBEX = fake_atlassian.DEFAULT_SITES[1]["id"]    # Confluence scopes only
ACCOUNT = fake_atlassian.DEFAULT_PROFILE["account_id"]
ADMINS = {"name": "jira-admins", "groupId": "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5"}
JIRA_SCOPES = "read:me read:jira-user"
CONF_SCOPES = "read:me read:confluence-user"


def call(fake, certs, method, path, body=None, token=None, timeout=10):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    c = http.client.HTTPSConnection("127.0.0.1", fake.port, context=ctx, timeout=timeout)
    try:
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data
    finally:
        c.close()


def login(fake, certs, scope):
    """An access token the stand-in issued for this scope."""
    q = urllib.parse.urlencode({
        "audience": "api.atlassian.com", "client_id": H.CLIENT_ID, "scope": scope,
        "redirect_uri": "http://127.0.0.1:9/cb", "state": "s" * 43,
        "response_type": "code", "prompt": "consent"})
    s, h, _ = call(fake, certs, "GET", "/authorize?" + q)
    assert s == 302
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(h["Location"]).query)["code"][0]
    s, _, d = call(fake, certs, "POST", "/oauth/token", {
        "grant_type": "authorization_code", "client_id": H.CLIENT_ID,
        "client_secret": H.CLIENT_SECRET, "code": code,
        "redirect_uri": "http://127.0.0.1:9/cb"})
    assert s == 200
    return json.loads(d)["access_token"]


def control(fake, certs, cmd):
    s, _, d = call(fake, certs, "POST", "/_control", cmd)
    return s, json.loads(d)


def jira(fake, certs, token, cloud_id=ACME, expand=True):
    path = "/ex/jira/%s/rest/api/3/myself" % cloud_id
    if expand:
        path += "?expand=groups"
    s, h, d = call(fake, certs, "GET", path, token=token)
    return s, h, json.loads(d) if d else None


def memberof(fake, certs, token, cloud_id=GLOBEX, account=ACCOUNT, start=0, limit=200):
    q = urllib.parse.urlencode([(k, v) for k, v in (
        ("accountId", account), ("start", start), ("limit", limit)) if v is not None])
    s, h, d = call(fake, certs, "GET", "/ex/confluence/%s/wiki/rest/api/user/memberof?%s"
                   % (cloud_id, q), token=token)
    return s, h, json.loads(d) if d else None


def test_jira_groups(fake, certs):
    assert control(fake, certs, {"groups": {ACME: {"jira": [ADMINS, "no-id"]}}})[0] == 200
    token = login(fake, certs, JIRA_SCOPES)
    s, _, doc = jira(fake, certs, token)
    assert s == 200
    assert doc["accountId"] == ACCOUNT
    g = doc["groups"]
    assert g["size"] == 2
    # A plain name has no groupId at all, as in Jira's older answers.
    assert [(i["name"], i.get("groupId", "absent")) for i in g["items"]] == [
        ("jira-admins", ADMINS["groupId"]), ("no-id", "absent")]
    assert all(i["self"].startswith(fake.base + "/ex/jira/") for i in g["items"])
    # The members real answers carry.
    assert doc["emailAddress"] is None and doc["timeZone"] is None
    assert set(doc["avatarUrls"]) == {"48x48", "24x24", "16x16", "32x32"}
    assert doc["applicationRoles"]["size"] == 1 and doc["expand"]
    # Without the expansion: no items but the size, as Jira answers.
    s, _, doc = jira(fake, certs, token, expand=False)
    assert s == 200 and doc["groups"]["items"] == [] and doc["groups"]["size"] == 2
    assert fake_products.calls(fake, "jira", ACME) == 2
    assert fake_products.calls(fake, "confluence") == 0


def test_token_and_scope_checks(fake, certs):
    fake_products.set_groups(fake, ACME, jira=[ADMINS])
    s, _, doc = jira(fake, certs, None)
    assert (s, doc) == (401, {"code": 401, "message": "Unauthorized"})
    s, _, doc = jira(fake, certs, "atl-at-made-up")
    assert (s, doc) == (401, {"code": 401, "message": "Unauthorized"})
    no_scope = login(fake, certs, "read:me read:jira-work")
    s, _, doc = jira(fake, certs, no_scope)
    assert (s, doc) == (401, fake_products.SCOPE_MISMATCH)
    s, _, doc = memberof(fake, certs, login(fake, certs, JIRA_SCOPES))
    assert (s, doc) == (401, fake_products.SCOPE_MISMATCH)
    # Part of the granular set is not enough; all of it is.
    s, _, _ = jira(fake, certs, login(fake, certs, "read:me read:user:jira read:group:jira"))
    assert s == 401
    granular = login(fake, certs, "read:me read:user:jira read:group:jira "
                     "read:application-role:jira read:avatar:jira")
    s, _, doc = jira(fake, certs, granular)
    assert s == 200 and doc["groups"]["items"][0]["name"] == "jira-admins"


def test_site_checks(fake, certs):
    both = login(fake, certs, JIRA_SCOPES + " read:confluence-user")
    assert jira(fake, certs, both, cloud_id="0000-not-mine")[0] == 404
    # Globex lists Confluence scopes only, acme Jira scopes only.
    assert jira(fake, certs, both, cloud_id=GLOBEX)[0] == 404
    assert memberof(fake, certs, both, cloud_id=ACME)[0] == 404
    assert call(fake, certs, "GET", "/ex/jira/%s/rest/api/3/user" % ACME, token=both)[0] == 404
    assert call(fake, certs, "GET", "/ex/bitbucket/%s/x" % ACME, token=both)[0] == 404
    assert call(fake, certs, "POST", "/ex/jira/%s/rest/api/3/myself" % ACME,
                body={}, token=both)[0] == 405


def user_groups(fake, certs, token, cloud_id=ACME, account=ACCOUNT):
    q = urllib.parse.urlencode({"accountId": account} if account else {})
    s, h, d = call(fake, certs, "GET", "/ex/jira/%s/rest/api/3/user/groups?%s"
                   % (cloud_id, q), token=token)
    return s, h, json.loads(d) if d else None


def test_jira_user_groups(fake, certs):
    # More groups than myself?expand=groups lists: user/groups has them all.
    groups = ["g%04d" % i for i in range(1003)] + [ADMINS]
    assert control(fake, certs, {"groups": {ACME: {"jira": groups}}})[0] == 200
    token = login(fake, certs, JIRA_SCOPES)
    s, _, doc = jira(fake, certs, token)
    assert doc["groups"]["size"] == 1004 and len(doc["groups"]["items"]) == 1000
    s, _, doc = user_groups(fake, certs, token)
    assert s == 200 and len(doc) == 1004
    assert doc[-1] == {"name": "jira-admins", "groupId": ADMINS["groupId"],
                       "self": doc[-1]["self"]}
    assert "groupId" not in doc[0]
    # Not a failure switch of myself; its own permission, scope and account.
    fake_products.fail(fake, "jira", "incomplete")
    assert user_groups(fake, certs, token)[0] == 200
    assert user_groups(fake, certs, token, account=None)[0] == 400
    assert user_groups(fake, certs, login(fake, certs, "read:me"))[0] == 401
    assert control(fake, certs, {"jira_browse_users": False})[0] == 200
    s, _, doc = user_groups(fake, certs, token)
    assert s == 403 and doc["errorMessages"]


@pytest.mark.parametrize("style,prefix", [
    ("absolute", "{base}/ex/confluence/{site}/wiki/rest/api/user/memberof?"),
    ("foreign", "https://evil.example/wiki/rest/api/user/memberof?")])
def test_confluence_next_styles(fake, certs, style, prefix):
    groups = ["g%d" % i for i in range(3)]
    assert control(fake, certs, {"groups": {GLOBEX: {"confluence": groups}},
                                 "groups_page_size": 2, "groups_next": style})[0] == 200
    s, _, doc = memberof(fake, certs, login(fake, certs, CONF_SCOPES))
    assert doc["_links"]["next"].startswith(prefix.format(base=fake.base, site=GLOBEX))
    assert control(fake, certs, {"groups_next": "sideways"})[0] == 400


def test_confluence_paging(fake, certs):
    groups = [{"name": "g%d" % i, "id": "id-%d" % i} for i in range(5)]
    assert control(fake, certs, {"groups": {GLOBEX: {"confluence": groups}},
                                 "groups_page_size": 2})[0] == 200
    token = login(fake, certs, CONF_SCOPES)
    seen, start, pages = [], 0, 0
    while True:
        s, _, doc = memberof(fake, certs, token, start=start)
        assert s == 200
        pages += 1
        assert doc["start"] == start and doc["limit"] == 2
        assert doc["size"] == len(doc["results"])
        assert all(r["type"] == "group" for r in doc["results"])
        assert all(r["_links"]["self"].startswith(fake.base + "/ex/confluence/")
                   for r in doc["results"])
        assert doc["totalSize"] == 5
        seen += [(r["name"], r["id"]) for r in doc["results"]]
        nxt = doc["_links"].get("next")
        if nxt is None:
            break
        assert nxt.startswith("/rest/api/user/memberof?")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
        assert q["accountId"] == [ACCOUNT]
        start = int(q["start"][0])
    assert pages == 3
    assert seen == [("g%d" % i, "id-%d" % i) for i in range(5)]
    assert doc["_links"]["base"] == "https://globex.atlassian.net/wiki"
    assert fake_products.calls(fake, "confluence", GLOBEX) == 3
    # accountId is required.
    assert memberof(fake, certs, token, account=None)[0] == 400
    assert memberof(fake, certs, token, start="x")[0] == 400


def test_account_groups(fake, certs):
    cmd = {"groups": {ACME: {"jira": ["everyone"]}, GLOBEX: {"confluence": ["everyone"]}},
           "account_groups": {ACCOUNT: {ACME: {"jira": [ADMINS]}},
                              "someone-else": {GLOBEX: {"confluence": ["theirs"]}}}}
    assert control(fake, certs, cmd)[0] == 200
    token = login(fake, certs, JIRA_SCOPES + " read:confluence-user")
    assert [i["name"] for i in jira(fake, certs, token)[2]["groups"]["items"]] == [
        "jira-admins"]
    # Confluence answers for the account asked about.
    assert [r["name"] for r in memberof(fake, certs, token)[2]["results"]] == ["everyone"]
    assert [r["name"] for r in memberof(fake, certs, token, account="someone-else")[2][
        "results"]] == ["theirs"]
    # "groups" replaces the memberships of every user; the account's stay.
    assert control(fake, certs, {"groups": {}})[0] == 200
    assert jira(fake, certs, token)[2]["groups"]["items"][0]["name"] == "jira-admins"
    assert memberof(fake, certs, token)[2]["results"] == []


@pytest.mark.parametrize("mode,status,check", [
    ("unexpanded", 200, lambda d, h: d["groups"]["items"] == [] and d["groups"]["size"] == 3),
    ("incomplete", 200, lambda d, h: len(d["groups"]["items"]) == 1
     and d["groups"]["size"] == 2),
    ("scope", 401, lambda d, h: d == fake_products.SCOPE_MISMATCH),
    ("unauthorized", 401, lambda d, h: d == {"code": 401, "message": "Unauthorized"}),
    ("forbidden", 403, lambda d, h: d["errorMessages"]),
    ("ratelimit", 429, lambda d, h: h["Retry-After"] == "7"
     and h["X-RateLimit-Remaining"] == "0"),
    ("unavailable", 503, lambda d, h: h["Retry-After"] == "7"),
])
def test_jira_failures(fake, certs, mode, status, check):
    fake_products.set_groups(fake, ACME, jira=[ADMINS, "two"])
    token = login(fake, certs, JIRA_SCOPES)
    assert control(fake, certs, {"groups_fail": {"jira": {
        "mode": mode, "times": 1, "retry_after": 7}}})[0] == 200
    s, h, doc = jira(fake, certs, token)
    assert s == status and check(doc, h)
    # Once only: then the normal answer.
    s, _, doc = jira(fake, certs, token)
    assert s == 200 and len(doc["groups"]["items"]) == 2


def test_confluence_failures_by_page_and_site(fake, certs):
    groups = ["a", "b", "c"]
    fake_products.set_groups(fake, GLOBEX, confluence=groups)
    token = login(fake, certs, CONF_SCOPES)
    control(fake, certs, {"groups_page_size": 2, "groups_fail": {"confluence": {
        "mode": "incomplete", "start": 2}}})
    s, _, doc = memberof(fake, certs, token)
    assert s == 200 and doc["size"] == 2 and len(doc["results"]) == 2
    s, _, doc = memberof(fake, certs, token, start=2)
    assert s == 200 and doc["results"] == [] and doc["size"] == 1
    fake_products.fail(fake, "confluence", "unexpanded")
    s, _, doc = memberof(fake, certs, token)
    assert doc["results"] == [] and doc["size"] == 3
    # A switch for another site leaves this one alone.
    fake_products.fail(fake, "confluence", "forbidden", site="other-site")
    assert memberof(fake, certs, token)[0] == 200
    fake_products.fail(fake, "confluence", "raw", status=200, body="not json")
    s, _, _ = call(fake, certs, "GET", "/ex/confluence/%s/wiki/rest/api/user/memberof"
                   "?accountId=x" % GLOBEX, token=token)
    assert s == 200
    assert control(fake, certs, {"groups_fail": {"confluence": None}})[0] == 200
    assert memberof(fake, certs, token)[2]["size"] == 2


def test_stall(fake, certs):
    token = login(fake, certs, JIRA_SCOPES)
    fake_products.fail(fake, "jira", "stall", delay=2, times=1)
    with pytest.raises((socket.timeout, TimeoutError)):
        call(fake, certs, "GET", "/ex/jira/%s/rest/api/3/myself?expand=groups" % ACME,
             token=token, timeout=0.5)
    assert fake_products.calls(fake, "jira", ACME) == 1


def test_control_api(fake, certs):
    for bad in ({"groups": []}, {"groups": {ACME: {"bitbucket": []}}},
                {"groups": {ACME: {"jira": "x"}}}, {"account_groups": []},
                {"groups_page_size": 0}, {"groups_fail": {"jira": {"mode": "nope"}}},
                {"groups_fail": {"jira": {}}}, {"groups_fail": {"wiki": {"mode": "scope"}}}):
        assert control(fake, certs, bad)[0] == 400, bad
    token = login(fake, certs, JIRA_SCOPES)
    jira(fake, certs, token)
    s, _, d = call(fake, certs, "GET", "/_control/products")
    doc = json.loads(d)
    assert s == 200 and doc["calls"] == {"jira": {ACME: 1}, "confluence": {}}
    assert doc["page_size"] == 200
    # Counted requests are recorded like every other one; control calls are not.
    assert len(fake.requests("/ex/jira/%s/rest/api/3/myself" % ACME)) == 1
    assert control(fake, certs, {"reset": True, "groups_page_size": 5})[0] == 200
    doc = json.loads(call(fake, certs, "GET", "/_control/products")[2])
    assert doc["calls"] == {"jira": {}, "confluence": {}} and doc["page_size"] == 5
