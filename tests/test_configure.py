# SPDX-License-Identifier: Apache-2.0
"""configure and the minimum versions: a dependency older than the module
needs stops ./configure with a message that names the minimum and the
package to install (Debian/Ubuntu and RHEL), and the oldest accepted
versions pass. The old versions are faked: a pkg-config .pc file of that
version first on PKG_CONFIG_PATH, an apxs wrapper whose INCLUDEDIR holds an
ap_release.h of that httpd version and whose apr-1-config / apu-1-config
report that version. configure runs in a scratch copy of what it needs."""

import os
import re
import shutil
import subprocess

import pytest

import atlharness as H

SRCDIR = os.environ.get("ATL_SRCDIR") or os.path.dirname(H.HERE)
REAL_APXS = shutil.which("apxs") or shutil.which("apxs2") or "/usr/bin/apxs"


def query(what):
    return subprocess.run([REAL_APXS, "-q", what], stdout=subprocess.PIPE,
                          check=True).stdout.decode().strip()


@pytest.fixture
def tree():
    if not os.path.isfile(os.path.join(SRCDIR, "configure")):
        pytest.skip("no generated configure in %s (autoreconf -fi)" % SRCDIR)
    top = H.make_tmpdir("configure")
    src = os.path.join(top, "src")
    os.makedirs(src)
    for name in ("configure", "Makefile.in", "atl_config.h.in", "mod_auth_atlassian.c"):
        shutil.copy2(os.path.join(SRCDIR, name), src)
    shutil.copytree(os.path.join(SRCDIR, "build-aux"), os.path.join(src, "build-aux"))
    return top


def write_script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def fake_apxs(top, httpd=None, apr=None, apu=None):
    """An apxs that reports an httpd, APR or APR-util of the given version."""
    lines = ['#!/bin/sh\ncase "$*" in\n']
    if httpd:
        inc = os.path.join(top, "httpd-include")
        shutil.copytree(query("INCLUDEDIR"), inc, symlinks=True)
        release = os.path.join(inc, "ap_release.h")
        with open(release) as f:
            text = f.read()
        for part, num in zip(("MAJORVERSION", "MINORVERSION", "PATCHLEVEL"), httpd.split(".")):
            text = re.sub(r"(#define AP_SERVER_%s_NUMBER\s+)\d+" % part, r"\g<1>" + num, text)
        os.unlink(release)
        with open(release, "w") as f:
            f.write(text)
        lines.append('"-q INCLUDEDIR") echo "%s" ;;\n' % inc)
    for key, version, real in (("APR_CONFIG", apr, query("APR_CONFIG")),
                               ("APU_CONFIG", apu, query("APU_CONFIG"))):
        if version:
            script = os.path.join(top, key.lower())
            write_script(script, '#!/bin/sh\n[ "$1" = --version ] && { echo %s; exit 0; }\n'
                                 'exec "%s" "$@"\n' % (version, real or key.lower()))
            lines.append('"-q %s") echo "%s" ;;\n' % (key, script))
    lines.append('*) exec "%s" "$@" ;;\nesac\n' % REAL_APXS)
    path = os.path.join(top, "apxs")
    write_script(path, "".join(lines))
    return path


def fake_pc(top, module, version):
    d = os.path.join(top, "pkgconfig")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, module + ".pc"), "w") as f:
        f.write("Name: %s\nDescription: an old %s\nVersion: %s\nLibs:\nCflags:\n"
                % (module, module, version))
    return d


def configure(top, apxs=None, pkgconfig=None, libdir=None):
    env = dict(os.environ)
    if pkgconfig:
        env["PKG_CONFIG_PATH"] = pkgconfig
    if libdir:
        env["PKG_CONFIG_LIBDIR"] = libdir
    args = ["./configure", "--disable-integration-tests"]
    if apxs:
        args.append("--with-apxs=" + apxs)
    p = subprocess.run(args, cwd=os.path.join(top, "src"), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def error_line(out):
    errors = re.findall(r"^configure: error: (.*)$", out, re.M)
    assert len(errors) == 1, out[-3000:]
    return errors[0]


@pytest.mark.parametrize("module,version,wanted,packages", [
    ("libcurl", "7.73.0", "libcurl 7.74.0 or newer is needed",
     "install libcurl4-openssl-dev (Debian/Ubuntu) or libcurl-devel (RHEL)"),
    ("json-c", "0.13.1", "json-c 0.14 or newer is needed",
     "install libjson-c-dev (Debian/Ubuntu) or json-c-devel (RHEL)"),
    ("libcrypto", "1.1.1w", "OpenSSL 3.0 or newer is needed",
     "install libssl-dev (Debian/Ubuntu) or openssl-devel (RHEL)"),
])
def test_too_old_library_is_refused_by_name(tree, module, version, wanted, packages):
    rc, out = configure(tree, pkgconfig=fake_pc(tree, module, version))
    assert rc != 0
    line = error_line(out)
    assert line == "%s, found %s: %s" % (wanted, version, packages)


@pytest.mark.parametrize("kind,version,message", [
    ("httpd", "2.4.50", "httpd 2.4.51 or newer is needed, %(apxs)s is httpd 2.4.50: "
                        "install apache2-dev (Debian/Ubuntu) or httpd-devel (RHEL) "
                        "from a newer release"),
    ("httpd", "2.2.34", "httpd 2.2.34: this module is for httpd 2.4 (2.4.51 or newer)"),
    ("apr", "1.6.5", "APR 1.7.0 or newer is needed, found 1.6.5: install libapr1-dev "
                     "(Debian/Ubuntu) or apr-devel (RHEL)"),
    ("apu", "1.5.4", "APR-util 1.6.0 or newer is needed, found 1.5.4: install "
                     "libaprutil1-dev (Debian/Ubuntu) or apr-util-devel (RHEL)"),
])
def test_too_old_httpd_or_apr_is_refused_by_name(tree, kind, version, message):
    apxs = fake_apxs(tree, **{kind: version})
    rc, out = configure(tree, apxs=apxs)
    assert rc != 0
    assert error_line(out) == message % {"apxs": apxs}


def test_a_missing_library_is_refused_by_name(tree):
    # An empty libdir of its own: pkg-config finds no json-c at all.
    empty = os.path.join(tree, "empty")
    os.makedirs(empty)
    env_pc = fake_pc(tree, "libcurl", "7.88.1")
    rc, out = configure(tree, pkgconfig=env_pc, libdir=empty)
    assert rc != 0
    assert error_line(out) == ("json-c 0.14 or newer is needed, found none: install "
                               "libjson-c-dev (Debian/Ubuntu) or json-c-devel (RHEL)")


def test_the_oldest_supported_versions_pass(tree):
    pc = fake_pc(tree, "libcurl", "7.74.0")
    fake_pc(tree, "json-c", "0.14")
    apxs = fake_apxs(tree, httpd="2.4.51", apr="1.7.0", apu="1.6.0")
    rc, out = configure(tree, apxs=apxs, pkgconfig=pc)
    assert rc == 0, out[-3000:]
    for check in ("checking for httpd 2.4 >= 2.4.51... 2.4.51",
                  "checking for APR >= 1.7.0... 1.7.0",
                  "checking for APR-util >= 1.6.0... 1.6.0",
                  "checking for libcurl >= 7.74.0... yes",
                  "checking for json-c >= 0.14... yes"):
        assert check in out.splitlines(), check
