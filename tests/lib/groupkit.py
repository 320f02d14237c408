# SPDX-License-Identifier: Apache-2.0
"""What the group tests share: an httpd whose Require atlassian-group lines
point at the stand-in's product APIs, and the login of one browser."""

import fake_atlassian

ACME = fake_atlassian.DEFAULT_SITES[0]["id"]      # Jira scopes
ACME_HOST = "acme.atlassian.net"
GLOBEX = fake_atlassian.DEFAULT_SITES[1]["id"]    # Confluence scopes only
GLOBEX_HOST = "globex.atlassian.net"
ADMINS_ID = "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
ADMINS = {"name": "jira-admins", "groupId": ADMINS_ID}
OTHER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SCOPE = "read:me read:jira-user read:confluence-user"

# Each location's Require lines (the page is ok.txt, "authorized\n").
LOCATIONS = {
    "g-name": "Require atlassian-group %s jira-admins" % ACME_HOST,
    "g-id": "Require atlassian-group %s %s" % (ACME, ADMINS_ID),
    "g-two": "Require atlassian-group %s site-admins JIRA-Admins" % ACME_HOST,
    "g-wiki": "Require atlassian-group %s wiki-editors" % GLOBEX_HOST,
    "g-gone": "Require atlassian-group gone.atlassian.net jira-admins",
    "g-html": 'Require atlassian-group %s "<b>x&y</b>"' % ACME_HOST,
    "g-any": ("<RequireAny>\n    Require atlassian-email mia@example.com\n"
              "    Require atlassian-group %s nobody-here\n  </RequireAny>" % ACME_HOST),
    "g-all": ("<RequireAll>\n    Require atlassian-email someone@else.com\n"
              "    Require atlassian-group %s jira-admins\n  </RequireAll>" % ACME_HOST),
}


def options(fake, interval=None, timeout=None, extra="", scope=SCOPE):
    """Httpd options: the product API at the stand-in, the scopes, the
    group locations under /protected/authz/<name>/ok.txt."""
    server = 'AtlassianAPIURL "%s"\nAtlassianScope "%s"\n' % (fake.base, scope)
    if timeout:
        server += "AtlassianTimeout %d\n" % timeout
    tail = "".join('<Location /protected/authz/%s/>\n  %s\n</Location>\n' % kv
                   for kv in LOCATIONS.items())
    prot = extra
    if interval:
        prot += "\n    AtlassianGroupCheckInterval %d" % interval
    return {"server_extra": server, "tail_extra": tail, "protected_extra": prot}


def page(name):
    return "/protected/authz/%s/ok.txt" % name


def login(b, path=page("g-name"), scope=SCOPE):
    """Log b in, starting at path; returns the answer of path afterwards."""
    return b.login(path, scope=scope)
