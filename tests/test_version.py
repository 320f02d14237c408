# SPDX-License-Identifier: Apache-2.0
"""The release's version, as an administrator meets it: configure.ac's
AC_INIT is the only place it is written, and the running module shows it in
its startup log line (ATL00680, once per start and per graceful restart)
and in the metrics' build-info series."""

import os
import re
import signal
import time

import atlharness as H

METRICS_CONF = """
LoadModule authz_host_module "{mods}/mod_authz_host.so"
<Location /metrics>
    SetHandler atlassian-metrics
    Require ip 127.0.0.1
</Location>
""".format(mods=H.MODULES_DIR)

HTTPD_OPTIONS = {"server_extra": METRICS_CONF}


def configured_version():
    """The version AC_INIT in configure.ac gives (read here, not from the build)."""
    srcdir = os.environ.get("ATL_SRCDIR") or os.path.dirname(H.HERE)
    with open(os.path.join(srcdir, "configure.ac")) as f:
        m = re.search(r"^AC_INIT\(\[mod_auth_atlassian\],\s*\[([^\]]+)\]", f.read(), re.M)
    assert m, "no AC_INIT with a version in configure.ac"
    return m.group(1)


def startup_lines(text):
    return re.findall(r"\[auth_atlassian:notice\] \[pid \d+(?::tid \d+)?\] "
                      r"ATL00680: (.*)", text)


def test_startup_log_line_names_the_version_and_libcurl(httpd):
    version = configured_version()
    text = httpd.wait_log(r"ATL00680:")
    lines = startup_lines(text)
    assert len(lines) == 1, text
    assert re.fullmatch(r"mod_auth_atlassian %s \(libcurl \d+\.\d+\.\d+[^)]*\)"
                        % re.escape(version), lines[0]), lines


def test_startup_log_line_again_after_a_graceful_restart(make_httpd):
    h = make_httpd()
    h.wait_log(r"ATL00680:")
    mark = h.log_mark()
    os.kill(h.proc.pid, signal.SIGUSR1)
    text = h.wait_log(r"ATL00680:", offset=mark, timeout=15)
    assert len(startup_lines(text)) == 1, text
    time.sleep(0.5)
    assert len(startup_lines(h.read_log())) == 2


def test_metrics_build_info_carries_the_version(httpd):
    r = H.Browser(httpd).get("/metrics", accept="text/plain")
    assert r.status == 200, r
    lines = r.text.split("\n")
    assert "# TYPE atlassian_build_info gauge" in lines
    assert 'atlassian_build_info{version="%s"} 1' % configured_version() in lines
    assert len([ln for ln in lines if ln.startswith("atlassian_build_info")]) == 1
