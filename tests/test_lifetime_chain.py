# SPDX-License-Identifier: Apache-2.0
"""AtlassianSessionLifetime holds every request to the lifetime of the
location it runs in, also when httpd gets there by an ErrorDocument, an SSI
include or a per-directory rewrite (an internal redirect) from a location
whose lifetime is longer: the login is not handed on past its time."""

import time

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"
SHORT = 2  # seconds: the lifetime of /protected/short


def _load(*names):
    return "".join('LoadModule %s_module "%s/mod_%s.so"\n' % (n, H.MODULES_DIR, n)
                   for n in names)


@pytest.fixture
def lh(make_httpd, fake):
    h = make_httpd(start=False)
    H.write_doc(h, "ssi/page.shtml", 'before\n<!--#include virtual="/protected/short/printenv.cgi" -->\n'
           'after\n')
    H.write_doc(h, "rw/placeholder.txt", "x\n")
    h.rewrite_config(
        server_extra=_load("rewrite", "include"),
        protected_extra="ErrorDocument 404 /protected/short/printenv.cgi",
        tail_extra="""
ScriptAlias /protected/short/ "%(d)s/cgi-bin/"
<Location /protected/short>
    AtlassianSessionLifetime %(short)d
</Location>
Alias /protected/ssi/ "%(d)s/htdocs/ssi/"
<Location /protected/ssi>
    Options +Includes
    SetOutputFilter INCLUDES
</Location>
Alias /protected/rw/ "%(d)s/htdocs/rw/"
<Directory "%(d)s/htdocs/rw">
    RewriteEngine On
    RewriteRule ^go$ /protected/short/printenv.cgi?via=rw [PT,QSA]
</Directory>
""" % {"d": h.dir, "short": SHORT})
    h.start()
    return h


def _logged_in_past_short(h):
    """A browser whose login is valid in /protected but, after the wait,
    older than the lifetime of /protected/short."""
    b = h.browser()
    b.login()
    # Within the short lifetime, each way in carries the login.
    assert b.get("/protected/short/printenv.cgi").env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert H.DEFAULT_ACCOUNT_ID in b.get("/protected/ssi/page.shtml").text
    time.sleep(SHORT + 1.2)
    # Still a login where the lifetime is long; a new one needed directly
    # (which the browser does not follow: it keeps its login).
    assert b.get(CGI).status == 200
    r = b.get("/protected/short/printenv.cgi", cookies=False,
              headers={"Cookie": b.cookie_header()})
    assert r.status == 302, r
    return b


@pytest.mark.allow_log_errors(r"AH01264:")
def test_error_document_held_to_its_lifetime(lh, fake):
    b = _logged_in_past_short(lh)
    r = b.get("/protected/cgi/no-such.cgi")
    assert r.status == 404, r
    assert H.DEFAULT_ACCOUNT_ID not in r.text, r.text
    assert "REMOTE_USER" not in r.text, r.text


@pytest.mark.allow_log_errors(r"unable to include \"/protected/short/printenv.cgi\"")
def test_ssi_include_held_to_its_lifetime(lh, fake):
    b = _logged_in_past_short(lh)
    r = b.get("/protected/ssi/page.shtml")
    assert r.status == 200, r
    assert "before" in r.text and "after" in r.text
    assert H.DEFAULT_ACCOUNT_ID not in r.text, r.text
    assert "REMOTE_USER" not in r.text, r.text


def test_rewrite_held_to_its_lifetime(lh, fake):
    b = _logged_in_past_short(lh)
    r = b.get("/protected/rw/go")
    # A new login, back to the URL the browser asked for.
    assert r.status == 302, r
    assert r.location.startswith(lh.fake.urls()["authorize"] + "?"), r.location
    assert H.DEFAULT_ACCOUNT_ID not in r.text
