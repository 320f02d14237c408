# SPDX-License-Identifier: Apache-2.0
"""The login in a real browser: Debian's Chromium, headless, driven by
Selenium through chromedriver, clicks through the stand-in's consent page.

The stand-in's /authorize is reached in plain http on 127.0.0.1 (a second
listener of the same stand-in), so the browser needs no test CA and no
--ignore-certificate-errors; the module's own calls (token, profile) still
go over TLS to the stand-in and verify its certificate (AtlassianCAFile).

Chromium, chromedriver and python3-selenium are required: without them
these tests fail, they never skip (./dev installs them)."""

import os
import shutil
import tempfile
import urllib.parse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import atlharness as H
import fake_atlassian

CHROMIUM = os.environ.get("ATL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ATL_CHROMEDRIVER", "/usr/bin/chromedriver")

PRINTENV = "/protected/cgi/printenv.cgi"

FORM_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Comment</title></head><body>
<form method="post" action="/protected/post/echo.cgi?from=form">
<input name="title" value="Hello world">
<textarea name="text">one &amp; two</textarea>
<button id="send" type="submit">Send</button>
</form></body></html>
"""


@pytest.fixture(scope="module")
def consent_fake(certs):
    """A stand-in that shows its consent page (no auto-approve)."""
    f = fake_atlassian.start(port=0, tls=True, certs=certs, client_id=H.CLIENT_ID,
                             client_secret=H.CLIENT_SECRET, auto_approve=False)
    f.plain_base = f.listen_plain()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def site(consent_fake, backend, certs):
    if not H.MODULE:
        pytest.fail("ATL_MODULE is not set")
    h = H.Httpd(consent_fake, backend, certs,
                urls={"authorize": consent_fake.plain_base + "/authorize"},
                tail_extra="<Location /protected/post>\n"
                           "    AtlassianPreservePost On\n</Location>\n")
    with open(os.path.join(h.dir, "htdocs", "files", "form.html"), "w") as f:
        f.write(FORM_PAGE)
    os.chmod(os.path.join(h.dir, "htdocs", "files", "form.html"), 0o644)
    h.start()
    yield h
    h.stop()
    assert not H.crash_lines(h.read_log())


@pytest.fixture(scope="module")
def driver():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail("%s is missing: install chromium and chromium-driver" % path)
    profile = tempfile.mkdtemp(prefix="atl-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--user-data-dir=" + profile,
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking",
                "--disable-sync", "--disable-component-update", "--disable-default-apps",
                "--disable-extensions", "--remote-debugging-pipe",
                "--window-size=1000,800"):
        opts.add_argument(arg)
    service = Service(CHROMEDRIVER, log_path=os.path.join(profile, "chromedriver.log"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(20)
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser_page(driver, site, consent_fake):
    """A browser with no cookies and one tab."""
    consent_fake.reset()
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    for handle in driver.window_handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(driver.window_handles[0])
    return driver


def _wait(d, cond, timeout=10):
    return WebDriverWait(d, timeout).until(cond)


def _consent(d, site, consent_fake, decision="allow"):
    """On the stand-in's consent page: click Allow or Deny."""
    _wait(d, EC.presence_of_element_located(
        (By.CSS_SELECTOR, 'button[name="decision"][value="%s"]' % decision)))
    assert d.current_url.startswith(consent_fake.plain_base + "/authorize?"), d.current_url
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(d.current_url).query)
    assert q["redirect_uri"] == [site.redirect_uri]
    d.find_element(By.CSS_SELECTOR,
                   'button[name="decision"][value="%s"]' % decision).click()


def _env(d):
    text = d.find_element(By.TAG_NAME, "body").text
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _on(d, url):
    _wait(d, lambda d: d.current_url == url)


def test_allow_then_logout(browser_page, site, consent_fake):
    d = browser_page
    url = site.base + PRINTENV + "?x=1&y=two%20words"
    d.get(url)
    _consent(d, site, consent_fake, "allow")
    _on(d, url)
    env = _env(d)
    assert env["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert env["AUTH_TYPE"] == "Atlassian"
    assert env["ATLASSIAN_EMAIL"] == H.DEFAULT_EMAIL
    assert env["QUERY_STRING"] == "x=1&y=two%20words"

    # Logged in: no consent page again.
    d.get(site.base + PRINTENV + "?again=1")
    assert _env(d)["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID

    # Log out: to the page named, and the next protected visit asks again.
    d.get(site.redirect_uri + "?logout=/public/ok.txt")
    _on(d, site.base + "/public/ok.txt")
    assert d.find_element(By.TAG_NAME, "body").text.strip() == "authorized"
    d.get(site.base + PRINTENV)
    _consent(d, site, consent_fake, "allow")
    _on(d, site.base + PRINTENV)
    assert _env(d)["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID


def test_deny(browser_page, site, consent_fake):
    d = browser_page
    d.get(site.base + PRINTENV)
    _consent(d, site, consent_fake, "deny")
    _wait(d, lambda d: d.current_url.startswith(site.redirect_uri + "?"))
    assert "error=access_denied" in d.current_url
    body = d.find_element(By.TAG_NAME, "body").text
    assert "Access to your Atlassian account was not granted" in body
    # The status the browser got: the module's 403.
    status = d.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus")
    assert status == 403
    # Not logged in.
    d.get(site.base + PRINTENV)
    _consent(d, site, consent_fake, "allow")
    _on(d, site.base + PRINTENV)


def test_two_tabs_at_once(browser_page, site, consent_fake):
    d = browser_page
    url_a = site.base + PRINTENV + "?tab=a"
    url_b = site.base + "/protected/cgi-email/printenv.cgi?tab=b"
    d.get(url_a)
    _wait(d, EC.presence_of_element_located((By.CSS_SELECTOR, 'button[value="allow"]')))
    tab_a = d.current_window_handle
    d.switch_to.new_window("tab")
    tab_b = d.current_window_handle
    d.get(url_b)
    # Both logins wait at the consent page; the later one is approved first.
    _consent(d, site, consent_fake, "allow")
    _on(d, url_b)
    assert _env(d)["REMOTE_USER"] == H.DEFAULT_EMAIL
    assert _env(d)["QUERY_STRING"] == "tab=b"
    d.switch_to.window(tab_a)
    _consent(d, site, consent_fake, "allow")
    _on(d, url_a)
    assert _env(d)["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert _env(d)["QUERY_STRING"] == "tab=a"
    assert tab_a != tab_b


def test_form_post_survives_login(browser_page, site, consent_fake):
    """AtlassianPreservePost: the form sent before the login arrives after
    it, sent again by the page the module answers (its script runs under the
    page's CSP nonce)."""
    d = browser_page
    d.get(site.base + "/public/form.html")
    d.find_element(By.ID, "send").click()
    _consent(d, site, consent_fake, "allow")
    _on(d, site.base + "/protected/post/echo.cgi?from=form")
    out = _env(d)
    assert out["METHOD"] == "POST"
    assert out["REMOTE_USER"] == H.DEFAULT_ACCOUNT_ID
    assert out["BODY"] == "title=Hello+world&text=one+%26+two"
