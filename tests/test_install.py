# SPDX-License-Identifier: Apache-2.0
"""`make install` and `make uninstall` into a scratch DESTDIR: what install
puts there, uninstall takes away, except an auth_atlassian.conf the
administrator edited; uninstall refuses while the module is enabled. The
module exports nothing into httpd's namespace but its module record."""

import filecmp
import os
import subprocess

import pytest

import atlharness as H

SRCDIR = os.environ.get("ATL_SRCDIR") or os.path.dirname(H.HERE)
BUILDDIR = os.environ.get("ATL_BUILDDIR") or (os.path.dirname(H.MODULE) if H.MODULE else "")
MODS_AVAILABLE = "etc/apache2/mods-available"
MODULE_FILE = os.path.join(H.MODULES_DIR.lstrip("/"), "mod_auth_atlassian.so")


@pytest.fixture
def destdir():
    if not BUILDDIR or not os.path.isfile(os.path.join(BUILDDIR, "Makefile")):
        pytest.skip("no configured build tree (ATL_BUILDDIR); run through make check")
    return H.make_tmpdir("destdir")


def make(target, destdir):
    # A make of its own, not a child of the make that runs the tests.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(["make", "-C", BUILDDIR, target, "DESTDIR=" + destdir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                       timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def files_under(root):
    found = set()
    for d, _dirs, names in os.walk(root):
        for n in names:
            found.add(os.path.relpath(os.path.join(d, n), root))
    return found


def expected_files():
    files = {MODULE_FILE}
    # The snippets go in only where the system has a Debian-style httpd.
    if os.path.isdir("/" + MODS_AVAILABLE):
        files |= {MODS_AVAILABLE + "/auth_atlassian.load", MODS_AVAILABLE + "/auth_atlassian.conf"}
    return files


def test_install_then_uninstall_leaves_no_file(destdir):
    rc, out = make("install", destdir)
    assert rc == 0, out
    assert files_under(destdir) == expected_files(), out
    assert filecmp.cmp(os.path.join(destdir, MODULE_FILE),
                       os.path.join(BUILDDIR, ".libs", "mod_auth_atlassian.so"), shallow=False)
    for name in ("auth_atlassian.load", "auth_atlassian.conf"):
        installed = os.path.join(destdir, MODS_AVAILABLE, name)
        if os.path.exists(installed):
            assert filecmp.cmp(installed, os.path.join(SRCDIR, "conf", name), shallow=False)
    rc, out = make("uninstall", destdir)
    assert rc == 0, out
    assert files_under(destdir) == set(), out


def test_edited_conf_is_kept(destdir):
    if not os.path.isdir("/" + MODS_AVAILABLE):
        pytest.skip("no /%s here: make install installs no snippets" % MODS_AVAILABLE)
    conf = os.path.join(destdir, MODS_AVAILABLE, "auth_atlassian.conf")
    rc, out = make("install", destdir)
    assert rc == 0, out
    with open(conf, "a") as f:
        f.write("AtlassianTimeout 5\n")
    with open(conf) as f:
        edited = f.read()
    # A second install keeps the administrator's file ...
    rc, out = make("install", destdir)
    assert rc == 0, out
    with open(conf) as f:
        assert f.read() == edited
    # ... and so does uninstall, which removes everything else.
    rc, out = make("uninstall", destdir)
    assert rc == 0, out
    assert files_under(destdir) == {MODS_AVAILABLE + "/auth_atlassian.conf"}
    with open(conf) as f:
        assert f.read() == edited
    assert "kept" in out


def test_uninstall_refuses_while_enabled(destdir):
    rc, out = make("install", destdir)
    assert rc == 0, out
    installed = files_under(destdir)
    enabled = os.path.join(destdir, "etc/apache2/mods-enabled")
    os.makedirs(enabled)
    os.symlink("../mods-available/auth_atlassian.load",
               os.path.join(enabled, "auth_atlassian.load"))
    rc, out = make("uninstall", destdir)
    assert rc != 0, out
    assert "a2dismod auth_atlassian" in out
    assert files_under(destdir) == installed | {"etc/apache2/mods-enabled/auth_atlassian.load"}


def exported_symbols(path):
    p = subprocess.run(["nm", "-D", "--defined-only", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, out
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_only_the_module_record_is_exported():
    module = H.MODULE or os.path.join(BUILDDIR, "mod_auth_atlassian.so")
    assert module and os.path.isfile(module), "no built module (ATL_MODULE)"
    assert exported_symbols(module) == {"auth_atlassian_module"}


def test_the_installed_module_exports_only_its_record(destdir):
    rc, out = make("install", destdir)
    assert rc == 0, out
    assert exported_symbols(os.path.join(destdir, MODULE_FILE)) == {"auth_atlassian_module"}
    rc, out = make("uninstall", destdir)
    assert rc == 0, out
