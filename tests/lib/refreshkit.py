# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the refresh tests (test_refresh.py, test_nodes.py):
a login that keeps the refresh token, concurrent requests with one
session, what the proxied backend received."""

import concurrent.futures
import urllib.parse

import atlharness as H

SCOPE = "read:me offline_access"
# Sub-locations of /protected inherit these: every login keeps its tokens.
REFRESH_EXTRA = "AtlassianRefresh On\n    AtlassianPassAccessToken On"
SERVER_EXTRA = 'AtlassianScope "%s"\n' % SCOPE
APP = "/protected/app/r"


def login(browser, path=APP):
    """A whole login without the final visit of path (that visit would
    already refresh a token that expires at once)."""
    q = browser.start_login(path, scope=SCOPE)
    cb = browser.authorize(q["_location"])
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(cb).query)["state"] == [q["state"]]
    browser.finish_login(cb, path)


def token_seen(resp):
    """The X-Atlassian-Access-Token header the backend received, or None."""
    assert resp.status == 200, resp
    for k, v in resp.json()["headers"]:
        if k.lower() == "x-atlassian-access-token":
            return v
    return None


def burst(httpd, cookies, n=16, path=APP, bases=None):
    """n concurrent GETs carrying the same cookies (spread over bases, the
    URLs of several httpd, when given); the responses in order."""
    def one(i):
        b = H.Browser(httpd)
        b.cookies = dict(cookies)
        url = (bases[i % len(bases)] + path) if bases else path
        return b.get(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(one, range(n)))


def refreshes(fake):
    return fake.refresh_calls()
