# SPDX-License-Identifier: Apache-2.0
"""One Cache-Control header on the module's own answers: mod_session_cookie
adds "Cache-Control: no-cache, private" whenever it loads a session, the
module sends "no-store" on its redirects, 401s, error pages and ?info=json;
a response that carries both leaves a cache to pick one. Only no-store
remains. Each request here carries a session cookie, so that
mod_session_cookie has loaded a session."""

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"


def only_no_store(r):
    values = r.header_all("Cache-Control")
    assert values == ["no-store"], (r.status, r.headers)


def test_login_redirect_has_one_cache_control(httpd, fake):
    b = httpd.browser()
    b.start_login(CGI)
    assert H.COOKIE in b.cookies
    r = b.get(CGI)
    assert r.status == 302, r
    only_no_store(r)


def test_401_has_one_cache_control(httpd, fake):
    b = httpd.browser()
    b.start_login(CGI)
    r = b.get(CGI, headers={"Accept": "application/json"})
    assert r.status == 401, r
    only_no_store(r)
    r = b.get("/protected/api401/printenv.cgi")
    assert r.status == 401, r
    only_no_store(r)


def test_error_page_has_one_cache_control(httpd, fake):
    b = httpd.browser()
    q = b.start_login(CGI)
    # A callback whose state matches no pending login of this session: 400.
    r = b.get(H.CALLBACK + "?code=abc&state=" + "Z" * 43)
    assert r.status == 400, r
    only_no_store(r)
    assert q["state"] != "Z" * 43


def test_callback_redirect_and_info_have_one_cache_control(httpd, fake):
    b = httpd.browser()
    q = b.start_login(CGI)
    cb = b.authorize(q["_location"])
    r = b.get(cb)
    assert r.status == 302, r
    only_no_store(r)
    r = b.get(H.CALLBACK + "?info=json")
    assert r.status == 200, r
    only_no_store(r)
