"""Spoofed identity: X-Atlassian-* request headers in any spelling, on CGI
and proxied locations and through SSI subrequests, never reach the
application."""


import pytest

import atlharness as H

import advhelpers
from advhelpers import atl_like, backend_headers

# The httpd fixture reads this.
HTTPD_OPTIONS = advhelpers.HTTPD_OPTIONS

# httpd's own complaints: a refused user (AH01631), a cookie sent twice (AH00011).
pytestmark = pytest.mark.allow_log_errors(r"AH01631:", r"AH01629:", r"AH00011:")


# ---------------------------------------------------------------------------
# Header spoofing


SPOOF_ODD = [
    ("X-ATLASSIAN-EMAIL", "evil1@evil.com"),
    ("x_atlassian_account_id", "evil-acct-1"),
    ("X_ATLASSIAN_EMAIL", "evil2@evil.com"),
    ("X-Atlassian_Email", "evil3@evil.com"),
    ("X_Atlassian-Name", "evil-name"),
    ("X-Atlassian-Email", "evil4@evil.com"),
    ("X-Atlassian-Email", "evil5@evil.com"),          # duplicated
    ("X-Atlassian-Email-Verified", "evil-true"),
    ("X-Atlassian-Sites", "evil.atlassian.net"),
    ("X-Atlassian-Site-Ids", "evil-site-id"),
    ("X-Atlassian-Access-Token", "evil-token"),
    ("X-Atlassian-Login-Time", "1-evil"),
    ("X-Atlassian-Job-Title", "evil-job"),
    ("X-Atlassian-", "evil-empty-suffix"),
    ("X-Atlassian-Nickname", ""),
    ("X-Atlassian-Zoneinfo", "evil-zone"),
    ("ATLASSIAN_EMAIL", "evil-bare@evil.com"),
    ("Atlassian-Email", "evil-bare2@evil.com"),
]


def _no_evil_env(env):
    for k, v in env.items():
        if k.startswith("ATLASSIAN_") or k.startswith("HTTP_X_ATLASSIAN") \
                or k in ("REMOTE_USER", "AUTH_TYPE"):
            assert "evil" not in v, (k, v)
    # A header can never become one of the module's own variables.
    assert "ATLASSIAN_EMAIL" not in env or "evil" not in env["ATLASSIAN_EMAIL"]


@pytest.mark.parametrize("path,logged_in", [
    ("/protected/cgi/printenv.cgi", True),
    ("/protected/cgi-none/printenv.cgi", True),
    ("/protected/cgi-headers/printenv.cgi", True),
    ("/protected/cgi-pass/printenv.cgi", False),
    ("/protected/cgi-pass/printenv.cgi", True),
    ("/protected/cgi-email/printenv.cgi", True),
])
def test_spoof_odd_spellings_cgi(httpd, fake, path, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
    r = b.get(path, headers=SPOOF_ODD)
    assert r.status == 200, r
    env = r.env()
    _no_evil_env(env)
    for k, v in env.items():
        if k.startswith("HTTP_X_ATLASSIAN"):
            assert "evil" not in v, (k, v)
    if not logged_in:
        assert not [k for k in env if k.startswith("ATLASSIAN_")
                    or k.startswith("HTTP_X_ATLASSIAN")], env


@pytest.mark.parametrize("path,logged_in", [
    ("/protected/app/spoof", True),
    ("/protected/app-env/spoof", True),
    ("/protected/app-none/spoof", True),
    ("/protected/app-pass/spoof", False),
    ("/protected/app-pass/spoof", True),
])
def test_spoof_odd_spellings_backend(httpd, fake, path, logged_in):
    b = httpd.browser()
    if logged_in:
        b.login()
    r = b.get(path, headers=SPOOF_ODD)
    got = backend_headers(r)
    for k, v in got:
        if atl_like(k):
            assert "evil" not in v, (k, v)
    # Exactly one value per identity header, the module's own.
    names = [k.lower() for k, v in got if atl_like(k)]
    assert len(names) == len(set(names)), names
    if "app-env" in path or "app-none" in path or not logged_in:
        assert [k for k, v in got if atl_like(k)] == [], got


def test_spoof_via_ssi_subrequests(make_httpd, fake):
    """Two SSI includes of protected locations from an unprotected page:
    each subrequest is a request in a location with AuthType Atlassian, so
    the client's X-Atlassian-* headers must never reach either."""
    h = make_httpd(start=False)
    page = "<!--#include virtual=\"/protected/cgi/printenv.cgi\" -->\n" \
           "==SPLIT==\n" \
           "<!--#include virtual=\"/protected/cgi-none/printenv.cgi\" -->\n" \
           "==SPLIT==\n" \
           "<!--#include virtual=\"/protected/cgi/printenv.cgi\" -->\n"
    import os
    p = os.path.join(h.dir, "htdocs", "files", "page.shtml")
    with open(p, "w") as f:
        f.write(page)
    os.chmod(p, 0o644)
    h.rewrite_config(server_extra='LoadModule include_module "%s/mod_include.so"\n'
                     % H.MODULES_DIR,
                     tail_extra='<Location /public>\n    Options +Includes\n'
                                '    SetOutputFilter INCLUDES\n</Location>\n')
    h.start()
    b = h.browser()
    b.login()
    r = b.get("/public/page.shtml", headers=[("X-Atlassian-Email", "evil@evil.com"),
                                              ("X-Atlassian-Other", "evil-other"),
                                              ("X-Atlassian-Access-Token", "evil-token")])
    assert r.status == 200, r
    parts = r.text.split("==SPLIT==")
    assert len(parts) == 3, r.text[:2000]
    for i, part in enumerate(parts):
        assert "REMOTE_USER=" + H.DEFAULT_ACCOUNT_ID in part, (i, part[:1500])
        for line in part.splitlines():
            if "ATLASSIAN" in line:
                assert "evil" not in line, (i, line)
