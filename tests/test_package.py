# SPDX-License-Identifier: Apache-2.0
"""The Debian package (debian/).

Built once per session with `dpkg-buildpackage -us -uc -b` from a clean clone
of this repository's HEAD (uncommitted changes are not in it), then: its file
list, its control data, lintian without errors, and, as root, the life of the
package on this machine: install (dh-apache2's postinst enables the module),
`a2enmod auth_atlassian`, the shipped example site enabled with a2ensite and
accepted by `apache2ctl configtest`, removal disabling the module, purge
removing its files. /etc/apache2 and /var/lib/apache2 are left as they were
found. The build takes about a minute; `-m "not package"` leaves it out.
"""

import gzip
import hashlib
import os
import re
import shutil
import subprocess

import pytest

import atlharness as H

pytestmark = pytest.mark.package

SRCDIR = os.environ.get("ATL_SRCDIR") or os.path.dirname(H.HERE)
PKG = "libapache2-mod-auth-atlassian"
DOC = "usr/share/doc/" + PKG
ETC = "/etc/apache2"
VARLIB = "/var/lib/apache2"
MODS_ENABLED = ETC + "/mods-enabled"
MODULE_SO = "/usr/lib/apache2/modules/mod_auth_atlassian.so"
SNIPPETS = ("auth_atlassian.load", "auth_atlassian.conf")
EXAMPLE = "auth-atlassian-example.conf"

SHIPPED_FILES = {
    "etc/apache2/mods-available/auth_atlassian.conf",
    "etc/apache2/mods-available/auth_atlassian.load",
    MODULE_SO.lstrip("/"),
    DOC + "/README.md.gz",
    DOC + "/SECURITY.md.gz",
} | {DOC + "/docs/%s.md.gz" % page for page in (
    "contributing", "directives", "guide", "install", "operations", "storage-format")} | {
    DOC + "/changelog.Debian.gz",
    DOC + "/copyright",
    DOC + "/examples/" + EXAMPLE,
}


def run(cmd, cwd=None, timeout=300, env=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def clean_env(**extra):
    # Not a child of the make that runs the tests: no jobserver, no overrides.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def upstream_version(srcdir=SRCDIR):
    with open(os.path.join(srcdir, "configure.ac")) as f:
        m = re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]", f.read())
    return m.group(1)


def package_version(srcdir=SRCDIR):
    with open(os.path.join(srcdir, "debian", "changelog")) as f:
        m = re.match(r"(\S+) \(([^)]+)\)", f.readline())
    assert m.group(1) == PKG
    return m.group(2)


def test_package_version_follows_configure():
    assert package_version() == upstream_version() + "-1"


@pytest.fixture(scope="module")
def built():
    for tool in ("git", "dpkg-buildpackage", "dpkg-deb", "lintian"):
        if not shutil.which(tool):
            pytest.fail("%s is missing: ./dev installs it (PACKAGES)" % tool)
    if not os.path.exists(os.path.join(SRCDIR, ".git")):
        pytest.skip("%s is not a git checkout: nothing to clone" % SRCDIR)
    top = H.make_tmpdir("deb")
    src = os.path.join(top, "src")
    # The checkout may belong to another user than the one running the
    # tests; git then wants it named safe in a global configuration.
    gitconfig = os.path.join(top, "gitconfig")
    with open(gitconfig, "w") as f:
        f.write("[safe]\n\tdirectory = *\n")
    genv = clean_env(GIT_CONFIG_GLOBAL=gitconfig)
    rc, sha = run(["git", "-C", SRCDIR, "rev-parse", "HEAD"], env=genv)
    assert rc == 0, sha
    for cmd in (["git", "clone", "-q", "--no-checkout", SRCDIR, src],
                ["git", "-C", src, "checkout", "-q", sha.strip()]):
        rc, out = run(cmd, env=genv)
        assert rc == 0, out
    rc, out = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=900,
                  env=clean_env(DEB_BUILD_OPTIONS="parallel=2 nocheck"))
    with open(os.path.join(top, "build.log"), "w") as f:
        f.write(out)
    assert rc == 0, "dpkg-buildpackage failed:\n" + out[-6000:]
    rc, arch = run(["dpkg", "--print-architecture"])
    base = "%s_%s_%s" % (PKG, package_version(src), arch.strip())
    deb = os.path.join(top, base + ".deb")
    assert os.path.isfile(deb), sorted(os.listdir(top))
    return {"top": top, "src": src, "deb": deb, "changes": os.path.join(top, base + ".changes")}


def test_file_list(built):
    rc, out = run(["dpkg-deb", "-c", built["deb"]])
    assert rc == 0, out
    files = {}
    for line in out.splitlines():
        mode, owner, _size, _day, _time, path = line.split(None, 5)
        assert owner == "root/root", line
        if not mode.startswith("d"):
            files[path[2:] if path.startswith("./") else path] = mode
    assert set(files) == SHIPPED_FILES
    assert files[MODULE_SO.lstrip("/")] == "-rw-r--r--"
    assert files["etc/apache2/mods-available/auth_atlassian.load"] == "-rw-r--r--"


def test_contents_are_the_sources(built):
    src = built["src"]
    x = os.path.join(built["top"], "extracted")
    rc, out = run(["dpkg-deb", "-x", built["deb"], x])
    assert rc == 0, out

    def read(path, opener=open):
        with opener(path, "rb") as f:
            return f.read()

    for name in SNIPPETS:
        assert read(os.path.join(x, "etc/apache2/mods-available", name)) == \
            read(os.path.join(src, "conf", name)), name
    assert read(os.path.join(x, DOC, "examples", EXAMPLE)) == \
        read(os.path.join(src, "conf", EXAMPLE))
    assert read(os.path.join(x, DOC, "README.md.gz"), gzip.open) == \
        read(os.path.join(src, "README.md"))
    # A stripped shared object (the debug symbols are in the -dbgsym package).
    rc, out = run(["file", "-L", os.path.join(x, MODULE_SO.lstrip("/"))])
    assert rc == 0, out
    assert "shared object" in out and ", stripped" in out, out


def test_control_data(built):
    rc, conffiles = run(["dpkg-deb", "-I", built["deb"], "conffiles"])
    assert rc == 0, conffiles
    assert set(conffiles.split()) == {"/etc/apache2/mods-available/" + n for n in SNIPPETS}
    rc, depends = run(["dpkg-deb", "-f", built["deb"], "Depends"])
    assert rc == 0, depends
    # dh-apache2 ties the package to httpd's module ABI; shlibs to the libraries.
    for dep in ("apache2-api-20120211", "libcurl4", "libjson-c5", "libssl3"):
        assert dep in depends, depends
    rc, scripts = run(["dpkg-deb", "-I", built["deb"], "postinst"])
    assert rc == 0 and "apache2_invoke enmod" in scripts, scripts


def test_lintian_reports_no_error(built):
    rc, out = run(["lintian", "--fail-on", "error", built["changes"]], timeout=300)
    errors = [l for l in out.splitlines() if l.startswith("E: ")]
    assert not errors, out
    assert rc == 0, out


# --------------------------------------------------------------------------
# On this machine, as root


def snapshot(root):
    """Every path under root: a symlink's target, a file's SHA-256."""
    state = {}
    for d, dirs, names in os.walk(root):
        for n in dirs + names:
            p = os.path.join(d, n)
            if os.path.islink(p):
                state[p] = "-> " + os.readlink(p)
            elif os.path.isdir(p):
                state[p] = "dir"
            else:
                with open(p, "rb") as f:
                    state[p] = hashlib.sha256(f.read()).hexdigest()
    return state


def apt_get(*args):
    return run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "-q"] + list(args),
               timeout=600, env=clean_env(DEBIAN_FRONTEND="noninteractive"))


def installed():
    rc, out = run(["dpkg-query", "-W", "-f", "${Status}", PKG])
    return rc == 0 and "ok installed" in out


def enabled_modules():
    return {n[:-5] for n in os.listdir(MODS_ENABLED) if n.endswith(".load")}


@pytest.fixture
def machine(built):
    """Root, a Debian apache2 layout, and no mod_auth_atlassian installed yet.
    Records /etc/apache2 and /var/lib/apache2; restore() puts them back."""
    if os.geteuid() != 0:
        pytest.skip("needs root: installs the package and edits /etc/apache2")
    if not os.path.isdir(MODS_ENABLED) or not shutil.which("a2enmod"):
        pytest.fail("no Debian apache2 here (/etc/apache2/mods-enabled, a2enmod)")
    if installed():
        pytest.skip("%s is installed on this machine: the test would remove it" % PKG)
    present = [p for p in [MODULE_SO] + [ETC + "/mods-available/" + n for n in SNIPPETS]
               if os.path.exists(p)]
    if present:
        pytest.skip("mod_auth_atlassian is installed by hand here (%s): "
                    "run make uninstall first" % ", ".join(present))
    return Machine(os.path.join(built["top"], "var-lib-apache2"))


class Machine:
    def __init__(self, backup):
        self.etc_before = snapshot(ETC)
        self.mods_before = enabled_modules()
        self.backup = backup
        shutil.copytree(VARLIB, backup, symlinks=True)
        self.site = None

    def restore(self):
        if self.site:
            run(["a2dissite", "-q", os.path.basename(self.site)[:-5]])
            if os.path.exists(self.site):
                os.unlink(self.site)
        if installed():
            apt_get("purge", PKG)
        # What a2enmod (ours or the package's) enabled; longest names first,
        # so that session_cookie goes before session, proxy_http before proxy.
        added = sorted(enabled_modules() - self.mods_before, key=len, reverse=True)
        if added:
            run(["a2dismod", "-q", "-f"] + added)
        # a2enmod and a2dismod keep their own records there.
        shutil.rmtree(VARLIB)
        shutil.copytree(self.backup, VARLIB, symlinks=True)


def test_install_enable_configtest_remove_purge(built, machine):
    try:
        life_of_the_package(built, machine)
    finally:
        machine.restore()
    after = snapshot(ETC)
    changed = sorted(p for p in set(after) | set(machine.etc_before)
                     if after.get(p) != machine.etc_before.get(p))
    assert not changed, "left changed in %s: %s" % (ETC, changed)


def life_of_the_package(built, machine):
    rc, out = apt_get("install", "--no-install-recommends", built["deb"])
    assert rc == 0, out
    assert installed()
    assert os.path.isfile(MODULE_SO)
    # dh-apache2's postinst enabled the module, and a2enmod followed the
    # "# Depends:" line of auth_atlassian.load.
    assert {"auth_atlassian", "session", "session_cookie", "socache_shmcb"} <= enabled_modules()
    rc, out = run(["a2enmod", "auth_atlassian"])
    assert rc == 0, out

    # The shipped example as a site, its secrets in a scratch directory.
    secrets = H.make_tmpdir("pkg-secrets")
    for name, value in (("client-id", "package-test-client-id\n"),
                        ("client-secret", "package-test-client-secret\n"),
                        ("session-secret", H.SESSION_SECRET + "\n")):
        with open(os.path.join(secrets, name), "w") as f:
            f.write(value)
    with open(os.path.join("/", DOC, "examples", EXAMPLE)) as f:
        site_text = f.read()
    assert site_text.count("file:/etc/apache2/atlassian/") == 3
    site_text = site_text.replace("file:/etc/apache2/atlassian/", "file:%s/" % secrets)
    name = "atl-pkgtest-%d" % os.getpid()
    machine.site = "%s/sites-available/%s.conf" % (ETC, name)
    with open(machine.site, "w") as f:
        f.write(site_text)
    for cmd in (["a2enmod", "-q", "cgid", "proxy_http"], ["a2ensite", "-q", name]):
        rc, out = run(cmd)
        assert rc == 0, out
    rc, out = run(["apache2ctl", "configtest"])
    assert rc == 0 and "Syntax OK" in out, out
    rc, out = run(["apache2ctl", "-M"])
    assert rc == 0 and "auth_atlassian_module (shared)" in out, out
    rc, out = run(["a2dissite", "-q", name])
    assert rc == 0, out
    os.unlink(machine.site)

    # Removal disables the module (prerm) and keeps the conffiles.
    rc, out = apt_get("remove", PKG)
    assert rc == 0, out
    assert not os.path.lexists(MODS_ENABLED + "/auth_atlassian.load")
    assert not os.path.exists(MODULE_SO)
    assert os.path.isfile(ETC + "/mods-available/auth_atlassian.conf")
    rc, out = run(["apache2ctl", "configtest"])
    assert rc == 0 and "Syntax OK" in out, out
    # Purge removes them too.
    rc, out = apt_get("purge", PKG)
    assert rc == 0, out
    for n in SNIPPETS:
        assert not os.path.lexists(ETC + "/mods-available/" + n)
    assert not installed()

