# SPDX-License-Identifier: Apache-2.0
"""The documentation is kept true by reading the sources: every directive of
the module's command table is in docs/directives.md with the context and
override httpd gives it (and none that does not exist), and in
conf/auth_atlassian.conf; every ATLnnnnn tag is used by exactly one message
in the sources and documented in docs/operations.md with its level (and
none documented that no message uses); every markdown link of the pages a
reader meets resolves, anchors included (GitHub's heading slugs); and the
trial of docs/guide.md ("Try it without an Atlassian account"), groups
included, works as written on the example site.

Only the trial starts an httpd; the other tests read files."""

import glob
import json
import os
import re
import textwrap
import unicodedata
import urllib.parse

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_C = os.path.join(TOP, "src", "mod_atl_config.c")
DIRECTIVES_MD = os.path.join(TOP, "docs", "directives.md")
OPERATIONS_MD = os.path.join(TOP, "docs", "operations.md")
MODULE_CONF = os.path.join(TOP, "conf", "auth_atlassian.conf")

# httpd's manual words for where a directive may appear.
SERVER = "server config, virtual host"
DIRECTORY = "server config, virtual host, directory"
HTACCESS = "server config, virtual host, directory, .htaccess"

FIELDS = ("Description", "Syntax", "Default", "Context", "Override", "Status", "Module")

TAG = re.compile(r"ATL\d{5}")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_c_comments(text):
    """C source without its comments (string literals kept as they are)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


# -- the command table ---------------------------------------------------------


def setter_body(code, name):
    m = re.search(r"\n(?:static\s+)?const char \*%s\s*\([^)]*\)\s*\{(.*?)\n\}" % name,
                  code, re.S)
    assert m, "setter %s not found in src/mod_atl_config.c" % name
    return m.group(1)


def where(code, how, setter):
    """(context, override) in httpd's words for one command_rec entry."""
    if how in ("ATL_SRV", "RSRC_CONF"):
        return SERVER, "none"
    if how in ("ATL_DIR", "RSRC_CONF | OR_AUTHCFG", "OR_AUTHCFG"):
        # A setter that refuses .htaccess (ATL00515) takes it out of the
        # context, whatever the table allows.
        if "atl_not_in_htaccess(" in setter_body(code, setter):
            return DIRECTORY, "none"
        return HTACCESS, "AuthConfig"
    raise AssertionError("teach tests/test_docs.py the context of %r" % how)


def command_table():
    """{directive: (context, override)} from atl_cmds[] in mod_atl_config.c."""
    code = strip_c_comments(read(CONFIG_C))
    m = re.search(r"const command_rec atl_cmds\[\]\s*=\s*\{(.*?)\{\s*NULL\s*\}\s*\}", code, re.S)
    assert m, "atl_cmds[] not found in src/mod_atl_config.c"
    table = {}
    chunks = re.split(r"(?=\b(?:ATL_SRV|ATL_DIR|AP_INIT_\w+)\s*\()", m.group(1))
    for chunk in chunks:
        e = re.match(r"(ATL_SRV|ATL_DIR|AP_INIT_\w+)\s*\(\s*\"(\w+)\"\s*,\s*(\w+)\s*,(.*)",
                     chunk, re.S)
        if not e:
            continue
        how, name, setter, rest = e.groups()
        if how.startswith("AP_INIT_"):
            # AP_INIT_xxx(name, fn, info, req_override, help)
            how = " ".join(rest.split(",")[1].split())
        table[name] = where(code, how, setter)
    # Every entry was read (a directive the regex missed would go unchecked).
    assert len(table) == len(re.findall(r"\"Atlassian\w+\"", m.group(1))), table
    return table


def directive_sections():
    """{directive: {field: value, "_text": section}} from docs/directives.md."""
    sections = {}
    parts = re.split(r"^## ", read(DIRECTIVES_MD), flags=re.M)[1:]
    for part in parts:
        title, _, body = part.partition("\n")
        name = title.strip().strip("`")
        fields = {"_text": body}
        for line in body.splitlines():
            row = re.match(r"^\|\s*\*{0,2}(\w+)\*{0,2}:?\s*\|\s*(.*?)\s*\|\s*$", line)
            if row and row.group(1) in FIELDS:
                fields[row.group(1)] = row.group(2)
        sections[name] = fields
    return sections


def test_command_table_is_read():
    table = command_table()
    # A parser that found nothing would let every other test pass.
    assert len(table) >= 24, table
    assert table["AtlassianClientID"] == (SERVER, "none")
    assert table["AtlassianRemoteUser"] == (HTACCESS, "AuthConfig")
    assert table["AtlassianRefresh"] == (DIRECTORY, "none")


def test_every_directive_is_documented():
    documented = directive_sections()
    directives = {n for n in documented if n.startswith("Atlassian")}
    table = command_table()
    missing = sorted(set(table) - directives)
    unknown = sorted(directives - set(table))
    assert not missing, "directives without a section in docs/directives.md: %s" % missing
    assert not unknown, "docs/directives.md documents directives that do not exist: %s" % unknown


@pytest.mark.parametrize("name", sorted(command_table()))
def test_directive_section_in_httpd_shape(name):
    s = directive_sections().get(name)
    assert s is not None, "no '## %s' section in docs/directives.md" % name
    for field in FIELDS:
        assert s.get(field), "%s: no %s row" % (name, field)
    context, override = command_table()[name]
    assert s["Context"] == context, (name, s["Context"], context)
    assert s["Override"] == override, (name, s["Override"], override)
    assert s["Status"] == "External", name
    assert s["Module"] == "mod_auth_atlassian", name
    assert s["Syntax"].startswith("`%s" % name), (name, s["Syntax"])
    # An example that uses it.
    examples = re.findall(r"```apache\n(.*?)```", s["_text"], re.S)
    assert any(re.search(r"^\s*%s\b" % name, e, re.M) for e in examples), \
        "%s: no ```apache example setting it" % name


@pytest.mark.parametrize("name", sorted(command_table()))
def test_directive_in_module_conf(name):
    """conf/auth_atlassian.conf lists every directive, commented out."""
    assert re.search(r"^\s*#%s\b" % name, read(MODULE_CONF), re.M), name


# -- the log tags ---------------------------------------------------------------


def source_files():
    return sorted(glob.glob(os.path.join(TOP, "src", "*.c"))) + \
        [os.path.join(TOP, "mod_auth_atlassian.c")]


APLOG = {"EMERG": "emerg", "ALERT": "alert", "CRIT": "crit", "ERR": "error",
         "WARNING": "warn", "NOTICE": "notice", "INFO": "info", "DEBUG": "debug"}


def message_sites():
    """[(tag, file:line, level)]: each string literal that starts with a tag
    (the message "ATLnnnnn: ...", or a tag handed to a helper that writes
    the message). level is the APLOG level of a log call, or "startup" for
    a message returned to httpd (a refused configuration)."""
    sites = []
    for path in source_files():
        code = strip_c_comments(read(path))
        for m in re.finditer(r"\"(ATL\d{5})(?=[:\"])", code):
            line = code.count("\n", 0, m.start()) + 1
            stmt_start = max(code.rfind(";", 0, m.start()), code.rfind("{", 0, m.start()),
                             code.rfind("}", 0, m.start()))
            stmt = code[stmt_start + 1:m.start()]
            level = "startup"
            if "ap_log_" in stmt:
                lv = re.findall(r"APLOG_([A-Z]+)", stmt)
                lv = [x for x in lv if x in APLOG]
                assert lv, "%s:%d: no level" % (path, line)
                level = APLOG[lv[0]]
            sites.append((m.group(1), "%s:%d" % (os.path.relpath(path, TOP), line), level))
    return sites


def tag_rows():
    """{tag: (level, meaning)} from the table of docs/operations.md."""
    rows, seen = {}, []
    for line in read(OPERATIONS_MD).splitlines():
        m = re.match(r"^\|\s*`?(ATL\d{5})`?\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$", line)
        if m:
            seen.append(m.group(1))
            rows[m.group(1)] = (m.group(2), m.group(3))
    dup = sorted({t for t in seen if seen.count(t) > 1})
    assert not dup, "tags with two rows in docs/operations.md: %s" % dup
    return rows


def test_tags_are_found():
    sites = message_sites()
    assert len(sites) >= 100, sites
    assert ("ATL00001", "src/mod_atl_check.c", "emerg") in [
        (t, w.split(":")[0], lv) for t, w, lv in sites]


def test_each_tag_has_one_message():
    where_ = {}
    for tag, site, _ in message_sites():
        where_.setdefault(tag, []).append(site)
    shared = {t: s for t, s in where_.items() if len(s) > 1}
    assert not shared, "tags used by more than one message: %s" % shared


def test_every_tag_is_documented_with_its_level():
    rows = tag_rows()
    problems = []
    for tag, site, level in message_sites():
        if tag not in rows:
            problems.append("%s (%s) has no row in docs/operations.md" % (tag, site))
            continue
        doc_level, meaning = rows[tag]
        if not doc_level.startswith(level):
            problems.append("%s (%s): documented as %r, logs at %s" % (tag, site, doc_level,
                                                                     level))
        if len(meaning) < 10:
            problems.append("%s: no meaning" % tag)
    assert not problems, "\n".join(problems)


def test_no_tag_documented_that_does_not_exist():
    used = {t for t, _, _ in message_sites()}
    extra = sorted(set(tag_rows()) - used)
    assert not extra, "docs/operations.md lists tags no message uses: %s" % extra


def test_every_log_call_carries_a_tag():
    untagged = []
    for path in source_files():
        code = strip_c_comments(read(path))
        for m in re.finditer(r"\bap_log_\w*error\s*\(", code):
            stmt = code[m.start():code.find(";", m.end())]
            if not re.search(r"\"ATL\d{5}[:\"]", stmt):
                untagged.append("%s:%d" % (os.path.relpath(path, TOP),
                                           code.count("\n", 0, m.start()) + 1))
    assert not untagged, "log messages without an ATLnnnnn: tag: %s" % untagged


def test_tags_named_anywhere_exist():
    """A tag named in a comment, another message or a page is one that a
    message uses (no reference to a tag that was renumbered or removed)."""
    used = {t for t, _, _ in message_sites()}
    files = source_files() + sorted(glob.glob(os.path.join(TOP, "src", "*.h"))) + \
        link_pages() + [MODULE_CONF, os.path.join(TOP, "conf", "auth-atlassian-example.conf")]
    stale = []
    for path in files:
        for tag in sorted(set(TAG.findall(read(path))) - used):
            stale.append("%s: %s" % (os.path.relpath(path, TOP), tag))
    assert not stale, "tags named that no message uses: %s" % stale


# -- links ----------------------------------------------------------------------


def link_pages():
    pages = [os.path.join(TOP, p) for p in ("README.md", "SECURITY.md", "tests/README.md",
                                             "bench/README.md")]
    pages += sorted(glob.glob(os.path.join(TOP, "docs", "*.md")))
    return [p for p in pages if os.path.exists(p)]


FENCE = r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$"


def without_code(text):
    """Markdown without fenced blocks and inline code (links there are text)."""
    text = re.sub(FENCE, "", text, flags=re.S | re.M)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", text, flags=re.S)


def slug(heading):
    """GitHub's anchor for a heading: the rendered text in lower case,
    without punctuation but '-' and '_', spaces as '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # links: their text
    text = re.sub(r"<[^>]+>", "", text)                            # inline HTML
    text = text.replace("`", "")
    text = re.sub(r"(\*\*|__|\*)(.+?)\1", r"\2", text)             # emphasis
    text = text.strip().lower()
    keep = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in " -" or cat[0] in "LMN" or cat == "Pc":
            keep.append(ch)
    return "".join(keep).replace(" ", "-")


def anchors(path):
    found, counts = set(), {}
    text = re.sub(FENCE, "", read(path), flags=re.S | re.M)
    for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M):
        base = slug(m.group(1))
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else "%s-%d" % (base, n))
    for m in re.finditer(r"<a\s+(?:name|id)=\"([^\"]+)\"", text):
        found.add(m.group(1))
    return found


def links(path):
    text = without_code(read(path))
    for m in re.finditer(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)",
                         text):
        yield m.group(1)


def test_slug_rules():
    assert slug("Try it without an Atlassian account") == "try-it-without-an-atlassian-account"
    assert slug("Groups: `Require atlassian-group`") == "groups-require-atlassian-group"
    assert slug("4. Configure a site (Debian's apache2)") == "4-configure-a-site-debians-apache2"
    assert slug("AtlassianClientID") == "atlassianclientid"
    assert slug("mod_session_cookie (default)") == "mod_session_cookie-default"


def test_link_checker_finds_broken_links(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## A part\n")
    page.write_text("# Title\n\n[ok](#title) [ok2](other.md#a-part) [bad](#nowhere)\n"
                    "[bad2](other.md#gone) [bad3](missing.md) `[not](#a-link)`\n"
                    "```\n[not](#either)\n```\n")
    assert broken(str(page)) == ["#nowhere", "other.md#gone", "missing.md"]


def broken(path):
    bad = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):      # http:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
            if file_part else path
        if not os.path.exists(dest):
            bad.append(target)
        elif anchor and (not dest.endswith(".md") or anchor not in anchors(dest)):
            bad.append(target)
    return bad


@pytest.mark.parametrize("page", [os.path.relpath(p, TOP) for p in link_pages()])
def test_links_resolve(page):
    assert not broken(os.path.join(TOP, page)), broken(os.path.join(TOP, page))


def test_link_pages_present():
    names = {os.path.relpath(p, TOP) for p in link_pages()}
    assert {"README.md", "SECURITY.md", "tests/README.md", "docs/directives.md",
            "docs/guide.md", "docs/operations.md", "docs/contributing.md"} <= names, names


# -- the trial of docs/guide.md -------------------------------------------------

GUIDE = os.path.join(TOP, "docs", "guide.md")


def trial_section():
    text = read(GUIDE)
    start = text.index("## Try it without an Atlassian account")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def trial_blocks(lang):
    return [textwrap.dedent(b) for b in
            re.findall(r"^ *```%s\n(.*?)^ *```" % lang, trial_section(), re.S | re.M)]


@pytest.fixture
def trial_httpd(fake, backend, certs):
    import test_example_conf as X

    if not os.environ.get("ATL_MODULE"):
        pytest.fail("ATL_MODULE is not set (run through tests/run-integration or make check)")
    started = []

    class TrialHttpd(X.ExampleHttpd):
        """The example site with the guide's trial lines at the end of its
        <VirtualHost>, the stand-in's port, CA and this test's port put in."""

        def render_config(self):
            main = super().render_config()
            (block,) = trial_blocks("apache")
            block = block.replace("https://127.0.0.1:9443", fake.base)
            block = block.replace("/tmp/fake-atlassian/ca.pem", certs["ca"])
            block = block.replace("http://127.0.0.1/app/", "http://127.0.0.1:%d/app/" % self.port)
            with open(self.site) as f:
                site = f.read()
            assert site.count("</VirtualHost>") == 1
            site = site.replace("</VirtualHost>", block + "</VirtualHost>")
            site = site.replace("http://127.0.0.1:8081/", "http://127.0.0.1:%d/" % backend.port)
            with open(self.site, "w") as f:
                f.write(site)
            return main

    def factory():
        h = TrialHttpd(fake, backend, certs)
        # Step 2: the stand-in's client id and secret in the site's files.
        steps = "\n".join(trial_blocks("sh"))
        for name, value in (("client-id", "test-client-id"),
                            ("client-secret", "test-client-secret-0123456789")):
            assert re.search(r"echo %s .*/etc/apache2/atlassian/%s\b" % (value, name), steps)
            with open(os.path.join(h.secret_dir, name), "w") as f:
                f.write(value + "\n")
        started.append(h)
        return h

    yield factory
    for h in started:
        h.stop()


def trial_groups():
    """The JSON the guide's curl command sends to the stand-in."""
    (cmd,) = [b for b in trial_blocks("sh") if "/_control" in b]
    return json.loads(re.search(r"-d '([^']*)'", cmd).group(1))


def trial_login(b, fake, path):
    r = b.get(path)
    assert r.status == 302, r
    assert r.location.startswith(fake.base + "/authorize?"), r.location
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert q["client_id"] == ["test-client-id"]
    assert q["scope"] == ["read:me read:jira-user"]
    r = b.get(r.location)                      # the stand-in approves
    assert r.status == 302 and "/app/oauth2callback?" in r.location, r
    r = b.get(r.location)                      # the callback
    assert r.status == 302, r
    return b.get(path)


def test_trial_with_groups(trial_httpd, fake):
    fake.control(trial_groups())
    h = trial_httpd()
    h.start()
    b = h.browser()
    r = trial_login(b, fake, "/app/admins/")
    assert r.status == 200, r                  # the group grants; the backend answers
    r = b.get("/cgi-bin/printenv.cgi")
    assert r.status == 200, r
    assert "ATLASSIAN_EMAIL=mia@example.com" in r.text
    assert "ATLASSIAN_GROUPS=acme.atlassian.net/jira-admins" in r.text


def test_trial_without_the_group_is_403(trial_httpd, fake):
    fake.control({"groups": {}})
    h = trial_httpd()
    h.start()
    b = h.browser()
    assert trial_login(b, fake, "/app/admins/").status == 403
    # Any logged-in user may use the rest of the site.
    assert b.get("/cgi-bin/printenv.cgi").status == 200
