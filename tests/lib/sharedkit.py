# SPDX-License-Identifier: Apache-2.0
"""What several topic files share (test_authz, test_callback, test_login,
test_profiles, test_robustness, test_sessions): the httpd they run against
(extra Require locations, a short AtlassianTimeout, allowed logout targets)
and small assertions."""

import re

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"

ALLOWED = "https://app.example.com/"
ALLOWED2 = "https://intranet.example.org"

TAIL = r"""
<Location /protected/authz/rv-any-user-email>
    <RequireAny>
        Require user nobody-at-all
        Require atlassian-email *@example.com
    </RequireAny>
</Location>
<Location /protected/authz/rv-all-user-acct>
    <RequireAll>
        Require user 112233aa-bb11-cc22-33dd-445566abcabc
        Require atlassian-account-id 112233aa-bb11-cc22-33dd-445566abcabc
    </RequireAll>
</Location>
<Location /protected/authz/rv-all-no>
    <RequireAll>
        Require valid-user
        Require atlassian-email *@other.org
    </RequireAll>
</Location>
<Location /protected/authz/rv-any-no>
    <RequireAny>
        Require user nobody
        Require atlassian-account-id nobody
        Require atlassian-email nobody@example.com
    </RequireAny>
</Location>
<Location /protected/authz/rv-pass-email>
    AtlassianUnauthAction pass
    Require atlassian-email *@example.com
</Location>
"""
HTTPD_OPTIONS = {
    "server_extra": "AtlassianTimeout 2\nAtlassianLogoutRedirectAllowed %s %s\n"
                    % (ALLOWED, ALLOWED2),
    "tail_extra": TAIL,
}


pending = H.pending
cb_parts = H.cb_parts


def assert_callback_headers(r, what=""):
    assert "no-store" in (r.header("Cache-Control") or ""), (what, r.status, r.headers)
    assert (r.header("Referrer-Policy") or "").lower() == "no-referrer", (what, r.status,
                                                                        r.headers)


def backend_headers(resp):
    assert resp.status == 200, resp
    return [tuple(h) for h in resp.json()["headers"]]


def atl_like(name):
    return name.lower().replace("_", "-").startswith("x-atlassian")


def login_with_profile(httpd, fake, profile, path=CGI):
    fake.set_profile(profile)
    b, q, cb = pending(httpd, path)
    r = b.get(cb)
    return b, r


def cookie_sizes(r):
    return [len(v) for v in r.header_all("Set-Cookie")]


def assert_logged(httpd, mark, tag, levels="info|notice|warn|error|crit"):
    """The module logged `tag` (e.g. "ATL00043") at one of `levels` since mark."""
    text = httpd.wait_log(tag + ":", mark)
    lines = [l for l in text.splitlines()
             if tag + ":" in l and re.search(r"\[auth_atlassian:(%s)\]" % levels, l)]
    assert lines, "no %s line at %s in:\n%s" % (tag, levels, text[-2000:])
    return lines
