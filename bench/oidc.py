# SPDX-License-Identifier: Apache-2.0
"""The OpenID provider for the mod_auth_openidc cases: oauth2-mock-server
(pinned in bench/package.json, installed with npm into bench/node_modules
on first use) started on 127.0.0.1 by bench/oidc_provider.mjs, and the
login of a browser through mod_auth_openidc against it."""

import json
import os
import shutil
import subprocess
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "oauth2-mock-server"
OPENIDC_SO = os.environ.get("ATL_OPENIDC_MODULE",
                            "/usr/lib/apache2/modules/mod_auth_openidc.so")


def _pinned_version():
    with open(os.path.join(HERE, "package.json")) as f:
        return json.load(f)["dependencies"][PACKAGE]


def _installed_version():
    try:
        with open(os.path.join(HERE, "node_modules", PACKAGE, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_installed(log):
    """npm ci (the versions of package-lock.json) unless the pinned version
    is already in bench/node_modules."""
    want = _pinned_version()
    if _installed_version() == want:
        return
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed for the mod_auth_openidc cases (apt-get install npm)")
    log("installing %s %s with npm into bench/node_modules" % (PACKAGE, want))
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                   check=True, stdout=subprocess.DEVNULL, timeout=600)
    if _installed_version() != want:
        raise RuntimeError("npm did not install %s %s" % (PACKAGE, want))


class Provider:
    """oauth2-mock-server on 127.0.0.1, a free port; stopped by its PID."""

    def __init__(self):
        self.proc = None
        self.issuer = None

    def start(self):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "oidc_provider.mjs"), "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http://127.0.0.1:"):
            err = self.proc.stderr.read(4000).decode("utf-8", "replace") if self.proc.poll() \
                is not None else ""
            self.stop()
            raise RuntimeError("the OpenID provider did not start: %r %s" % (line, err))
        self.issuer = line
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


def server_config(provider, port, session_type, passphrase):
    """mod_auth_openidc's server-wide directives for an httpd on port.
    Timeouts are generous because the same configuration runs under
    callgrind; the session outlives the whole benchmark."""
    return """
LoadModule auth_openidc_module "%s"
OIDCProviderMetadataURL %s/.well-known/openid-configuration
OIDCClientID bench-client
OIDCClientSecret bench-client-secret
OIDCRedirectURI http://127.0.0.1:%d/oidc/redirect_uri
OIDCCryptoPassphrase "%s"
OIDCScope "openid"
OIDCCacheType shm
OIDCSessionType %s
OIDCSessionInactivityTimeout 36000
OIDCSessionMaxDuration 36000
OIDCHTTPTimeoutShort 60
OIDCHTTPTimeoutLong 60
""" % (OPENIDC_SO, provider.issuer, port, passphrase, session_type)


LOCATION = """
<Location /oidc>
    AuthType openid-connect
    Require valid-user
</Location>
"""


def login(browser, path, provider):
    """Log a browser in through mod_auth_openidc: follow the redirects
    (httpd -> provider's /authorize, which answers at once -> httpd's
    redirect URI -> the original path) and return the final response."""
    r = browser.get(path)
    for _ in range(6):
        if r.status not in (301, 302, 303, 307):
            break
        loc = r.location
        if not urllib.parse.urlsplit(loc).scheme:
            loc = browser.httpd.base + loc
        if not (loc.startswith(browser.httpd.base + "/") or
                loc.startswith(provider.issuer + "/")):
            raise RuntimeError("mod_auth_openidc login left 127.0.0.1: %s" % loc)
        r = browser.get(loc)
    if r.status != 200:
        raise RuntimeError("mod_auth_openidc login failed: %r" % (r,))
    return r
