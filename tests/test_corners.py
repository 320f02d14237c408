# SPDX-License-Identifier: Apache-2.0
"""httpd's corners: the identity follows the request wherever httpd takes it
(mod_dir's DirectoryIndex and FallbackResource, ErrorDocument, per-directory
rewrites, subrequests granted without a login), and nothing a client or
another module planted under the module's names reaches the application."""

import os
import shutil

import pytest

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"
FORGED = [("X-Atlassian-Email", "evil@evil.com"),
          ("X-Atlassian-Account-Id", "evil-account"),
          ("X_Atlassian_Sites", "evil.atlassian.net")]


def load(*names):
    return "".join('LoadModule %s_module "%s/mod_%s.so"\n' % (n, H.MODULES_DIR, n)
                   for n in names)


def cgi_copy(h, *parts):
    d = os.path.join(h.dir, "htdocs", *parts[:-1])
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    p = os.path.join(d, parts[-1])
    shutil.copyfile(os.path.join(H.HERE, "apps", "printenv.cgi"), p)
    os.chmod(p, 0o755)
    return p


SESSION = "Session On\n    SessionCookieName %s path=/;HttpOnly\n    SessionCookieRemove On" % H.COOKIE


def assert_true_identity(env):
    assert env.get("REMOTE_USER") == H.DEFAULT_ACCOUNT_ID, env
    assert env.get("AUTH_TYPE") == "Atlassian", env
    assert env.get("ATLASSIAN_EMAIL") == H.DEFAULT_EMAIL, env
    assert env.get("ATLASSIAN_ACCOUNT_ID") == H.DEFAULT_ACCOUNT_ID, env
    assert env.get("HTTP_X_ATLASSIAN_EMAIL") == H.DEFAULT_EMAIL, env
    assert env.get("HTTP_X_ATLASSIAN_ACCOUNT_ID") == H.DEFAULT_ACCOUNT_ID, env
    for k, v in env.items():
        assert "evil" not in v, (k, v)
    # SessionCookieRemove On: the session cookie never reaches the CGI.
    assert H.COOKIE not in env.get("HTTP_COOKIE", ""), env


# -- mod_dir ---------------------------------------------------------------------


@pytest.fixture
def dir_httpd(make_httpd, fake):
    h = make_httpd(start=False)
    cgi_copy(h, "idx", "idx.cgi")
    h.rewrite_config(
        server_extra=load("dir", "rewrite"),
        protected_extra="SessionCookieRemove On",
        tail_extra="""
Alias /idx/ "%(d)s/htdocs/idx/"
<Directory "%(d)s/htdocs/idx">
    Options +ExecCGI
    AddHandler cgi-script .cgi
    DirectoryIndex idx.cgi
    <Files idx.cgi>
        AuthType Atlassian
        AuthName "Test"
        %(s)s
        Require valid-user
    </Files>
</Directory>
Alias /fb/ "%(d)s/htdocs/files/"
<Location /fb/>
    FallbackResource /protected/app/front
</Location>
""" % {"d": h.dir, "s": SESSION})
    h.start()
    return h


def test_directory_index_gets_the_true_identity(dir_httpd, fake):
    b = dir_httpd.browser()
    b.login()
    r = b.get("/idx/", headers=FORGED)
    assert r.status == 200, r
    assert_true_identity(r.env())


def test_directory_index_starts_a_login_for_anonymous(dir_httpd, fake):
    b = dir_httpd.browser()
    q = b.start_login("/idx/?a=1")
    cb = b.authorize(q["_location"])
    b.finish_login(cb, "/idx/?a=1")
    r = b.get("/idx/?a=1", headers=FORGED)
    assert r.status == 200, r
    assert_true_identity(r.env())


def test_fallback_resource_into_a_protected_app(dir_httpd, fake, backend):
    b = dir_httpd.browser()
    b.login()
    r = b.get("/fb/no-such-page", headers=FORGED)
    assert r.status == 200, r
    got = r.json()
    assert got["path"] == "/app/front"
    headers = {}
    for k, v in got["headers"]:
        headers.setdefault(k.lower(), []).append(v)
    assert headers.get("x-atlassian-email") == [H.DEFAULT_EMAIL], got
    assert headers.get("x-atlassian-account-id") == [H.DEFAULT_ACCOUNT_ID], got
    assert "x_atlassian_sites" not in headers and "x-atlassian-sites" not in headers, got
    assert H.COOKIE not in " ".join(headers.get("cookie", [])), got


def test_fallback_resource_starts_a_login_for_anonymous(dir_httpd, fake):
    b = dir_httpd.browser()
    q = b.start_login("/fb/deep/page?x=2")
    assert q["state"]


# -- server-level sessions and internal redirects --------------------------------


@pytest.fixture
def server_session_httpd(make_httpd, fake):
    h = make_httpd(start=False)
    cgi_copy(h, "rw", "dummy.cgi")
    h.rewrite_config(
        server_extra=load("rewrite") + SESSION.replace("\n    ", "\n") + "\n"
        + "ErrorDocument 404 /protected/cgi/printenv.cgi\n",
        tail_extra="""
Alias /rw/ "%(d)s/htdocs/rw/"
<Directory "%(d)s/htdocs/rw">
    RewriteEngine On
    RewriteRule ^go$ /protected/cgi/printenv.cgi?via=rw [PT,QSA]
</Directory>
""" % {"d": h.dir})
    h.start()
    return h


def test_error_document_into_protected_keeps_the_login(server_session_httpd, fake):
    h = server_session_httpd
    b = h.browser()
    b.login()
    r = b.get("/no/such/page", headers=FORGED)
    assert r.status == 404, r
    env = r.env()
    assert_true_identity(env)
    # The session was not overwritten by a new login.
    assert b.get(CGI).status == 200


def test_error_document_never_starts_a_login(server_session_httpd, fake):
    h = server_session_httpd
    b = h.browser()
    r = b.get("/no/such/page")
    assert r.status == 404, r
    assert r.location is None, r
    assert not any(c == H.COOKIE for c in b.cookies), b.cookies


def test_rewrite_into_protected_keeps_the_login(server_session_httpd, fake):
    h = server_session_httpd
    b = h.browser()
    b.login()
    r = b.get("/rw/go?x=1", headers=FORGED)
    assert r.status == 200, r
    env = r.env()
    assert_true_identity(env)
    assert "via=rw" in env.get("QUERY_STRING", "")
    assert b.get(CGI).status == 200


def test_login_after_a_rewrite_returns_to_the_first_url(server_session_httpd, fake):
    h = server_session_httpd
    b = h.browser()
    q = b.start_login("/rw/go?orig=1")
    cb = b.authorize(q["_location"])
    b.finish_login(cb, "/rw/go?orig=1")


@pytest.mark.allow_log_errors(r"AH01264")
def test_error_document_in_the_same_configuration_gets_the_variables(make_httpd, fake):
    h = make_httpd(protected_extra="ErrorDocument 404 /protected/cgi/printenv.cgi\n"
                   "    SessionCookieRemove On")
    b = h.browser()
    b.login()
    r = b.get("/protected/cgi/nothing-here.cgi")
    assert r.status == 404, r
    assert_true_identity(r.env())


# -- planted variables and forged headers ----------------------------------------


PLANT = """
<Location /protected/cgi>
    SetEnv ATLASSIAN_ACCOUNT_ID planted-account
    SetEnv ATLASSIAN_SITES evil.atlassian.net
    SetEnv ATLASSIAN_ACCESS_TOKEN evil-token
    RewriteEngine On
    RewriteRule ^ - [E=ATLASSIAN_EMAIL:evil@evil.com,E=ATLASSIAN_GROUPS:evil/admins]
</Location>
<Location /protected/cgi-pass>
    SetEnv ATLASSIAN_EMAIL evil@evil.com
</Location>
<Location /open>
    AuthType Atlassian
    AuthName "Test"
    %(s)s
    Require all granted
</Location>
"""


@pytest.fixture
def plant_httpd(make_httpd, fake):
    h = make_httpd(start=False)
    H.write_doc(h, "files/page.shtml",
          '<!--#set var="ATLASSIAN_ACCOUNT_ID" value="evil-ssi" -->'
          '<!--#include virtual="/open/printenv.cgi" -->')
    h.rewrite_config(
        server_extra=load("rewrite", "include"),
        protected_extra="SessionCookieRemove On",
        tail_extra=(PLANT % {"s": SESSION})
        + 'ScriptAlias /open/ "%s/cgi-bin/"\n' % h.dir
        + '<Location /public>\n    Options +Includes\n    SetOutputFilter INCLUDES\n</Location>\n')
    h.start()
    return h


def test_planted_variables_never_reach_the_cgi(plant_httpd, fake):
    b = plant_httpd.browser()
    b.login()
    r = b.get(CGI, headers=FORGED)
    assert r.status == 200, r
    env = r.env()
    assert_true_identity(env)
    assert "ATLASSIAN_SITES" not in env and "ATLASSIAN_ACCESS_TOKEN" not in env, env
    assert "ATLASSIAN_GROUPS" not in env, env


def test_planted_variables_gone_for_anonymous_pass(plant_httpd, fake):
    b = plant_httpd.browser()
    r = b.get("/protected/cgi-pass/printenv.cgi", headers=FORGED)
    assert r.status == 200, r
    env = r.env()
    assert [k for k in env if "ATLASSIAN" in k] == [], env


def test_ssi_set_then_include_into_granted_location(plant_httpd, fake):
    b = plant_httpd.browser()
    r = b.get("/public/page.shtml", headers=FORGED)
    assert r.status == 200, r
    env = r.env()
    assert env.get("SERVER_SOFTWARE"), r.text[:500]
    assert [k for k in env if "ATLASSIAN" in k] == [], env


# Another path, so that no single test guards the scrubbing: server-wide
# SetEnvIf (header_parser) and a server-context RewriteRule [E=]
# (translate_name) plant their variables before the login is checked, on
# locations that pass the identity as headers only or as the nickname, and
# under names the module never sets and in another case.
NICK = "mkrystof"   # the stand-in's default profile
PLANT_EARLY = """
SetEnvIf Request_URI "^/(protected|plain)/" ATLASSIAN_ACCOUNT_ID=evil-setenvif ATLASSIAN_ADMIN=evil-1
SetEnvIfNoCase Request_Method "^GET$" Atlassian_Email=evil@evil.com
RewriteEngine On
RewriteRule "^/(protected/cgi-|plain/)" - [E=ATLASSIAN_NICKNAME:evil-rw,E=atlassian_role:evil-admin]
"""


def test_planted_early_variables_never_reach_the_cgi(make_httpd, fake):
    h = make_httpd(start=False)
    h.rewrite_config(server_extra=load("setenvif", "rewrite") + PLANT_EARLY,
                     tail_extra='ScriptAlias /plain/ "%s/cgi-bin/"\n' % h.dir)
    h.start()
    # Without the module (a location it does not protect), the plants arrive.
    env = h.browser().get("/plain/printenv.cgi").env()
    assert env.get("ATLASSIAN_ADMIN") == "evil-1" and env.get("atlassian_role"), env
    b = h.browser()
    b.login()
    env = b.get("/protected/cgi-nick/printenv.cgi").env()
    assert env.get("REMOTE_USER") == NICK, env
    assert env.get("ATLASSIAN_ACCOUNT_ID") == H.DEFAULT_ACCOUNT_ID, env
    assert env.get("ATLASSIAN_EMAIL") == H.DEFAULT_EMAIL, env
    assert env.get("ATLASSIAN_NICKNAME") == NICK, env
    assert [k for k in env if "evil" in env[k]] == [], env
    assert [k for k in env if k.upper() in ("ATLASSIAN_ADMIN", "ATLASSIAN_ROLE")] == [], env
    # Headers only: no ATLASSIAN_* variable at all, planted or not.
    env = b.get("/protected/cgi-headers/printenv.cgi").env()
    assert env.get("HTTP_X_ATLASSIAN_ACCOUNT_ID") == H.DEFAULT_ACCOUNT_ID, env
    assert [k for k in env if k.upper().startswith("ATLASSIAN")] == [], env
    # No login (AtlassianUnauthAction pass): nothing under those names.
    env = h.browser().get("/protected/cgi-pass/printenv.cgi").env()
    assert [k for k in env if "ATLASSIAN" in k.upper()] == [], env


# -- <If> and SetEnvIf never see a client's copy ---------------------------------


def test_if_never_sees_a_forged_header(make_httpd, fake):
    h = make_httpd(server_extra=load("setenvif")
                   + 'SetEnvIf X-Atlassian-Email "@example\\.com$" forged_seen=1\n',
                   tail_extra="""
<Location /protected/cgi-nick>
    <If "%{HTTP:X-Atlassian-Email} =~ /@example\\.com$/ || -n reqenv('forged_seen')">
        Require all granted
    </If>
</Location>
""")
    b = h.browser()
    r = b.get("/protected/cgi-nick/printenv.cgi",
              headers=[("X-Atlassian-Email", "boss@example.com")])
    assert r.status == 302, r
    assert r.location.startswith(fake.urls()["authorize"] + "?")


# -- duplicated session cookies (cookie tossing) ---------------------------------


@pytest.mark.allow_log_errors(r"AH00011")
def test_tossed_cookie_never_overwrites_the_login(httpd, fake):
    """A planted session cookie whose value does not unseal is ignored: the
    real login is used, and nothing is written over it."""
    b = httpd.browser()
    b.login()
    real = b.cookies[H.COOKIE]
    planted = "%s=atlassian-pending=planted&expiry=1" % H.COOKIE
    mark = httpd.log_mark()
    r = b.get(CGI, headers={"Cookie": b.cookie_header() + "; " + planted})
    assert r.status == 200, r
    assert r.env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert not r.header_all("Set-Cookie"), r.headers
    text = httpd.wait_log(r"ATL00622:", mark)
    assert "ATL00622:" in text and "[auth_atlassian:info]" in text, text
    assert b.cookies[H.COOKIE] == real
    assert b.get(CGI).status == 200


@pytest.mark.allow_log_errors(r"AH00011")
def test_tossed_cookie_at_the_callback_is_ignored(httpd, fake):
    """At the callback too: the pending login in the real cookie completes."""
    b, q, cb = H.pending(httpd)
    planted = "%s=atl=planted" % H.COOKIE
    r = b.get(cb, headers={"Cookie": planted + "; " + b.cookie_header()})
    assert r.status == 302, r
    assert b.local(r.location) == CGI
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


def test_host_prefixed_cookie_name(make_httpd, fake):
    h = make_httpd(session_directives="Session On\n    SessionCookieName "
                   "__Host-atlassian_session path=/;HttpOnly;Secure;SameSite=Lax\n"
                   "    SessionCookieRemove On")
    b = h.browser()
    q = b.start_login(CGI)
    set_cookie = q["_response"].header("Set-Cookie") or ""
    assert set_cookie.startswith("__Host-atlassian_session="), set_cookie
    assert "Secure" in set_cookie and "path=/" in set_cookie.lower()
    cb = b.authorize(q["_location"])
    b.finish_login(cb, CGI)
    assert b.get(CGI).env()["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


# -- caches ----------------------------------------------------------------------


def test_authenticated_answer_is_private(httpd, fake, backend):
    b = httpd.browser()
    b.login()
    r = b.get("/protected/app/page")
    assert r.status == 200, r
    cc = r.header_all("Cache-Control")
    assert len(cc) == 1 and "private" in cc[0], r.headers
