# SPDX-License-Identifier: Apache-2.0
"""What the Atlassian stand-in (fake_atlassian.py) answers by default: the
/me profile, the sites, and further users in the shapes real answers have.

Real answers carry more than Atlassian's documented example, and the
stand-in serves those shapes by default so that the module meets them in
every test: /me has "characteristics" ({"not_mentionable": false}),
"extended_profile" with "phone_numbers" (a list) and "team_type",
"last_updated" and "created_at". Account ids come in three forms (a UUID
as in the documented example, "557058:<uuid>" or "712020:<uuid>", and 24
hex digits); "nickname" is often the display name with spaces; "zoneinfo"
may be absent and "locale" a bare language ("es"); "picture" may be a
Gravatar URL with an encoded query. Names come as raw UTF-8, never as \\u
escapes: every JSON answer goes out with dumps() below.

Only the Python 3 standard library is used.
"""

import json


def dumps(value):
    """A JSON value as Atlassian sends it: raw UTF-8, no \\u escapes."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# Atlassian's documented /me example, with the members real answers add.
# (email_verified is left out here: tests of the default login check that
# a profile without it sets no ATLASSIAN_EMAIL_VERIFIED; USERS have it.)
DEFAULT_PROFILE = {
    "account_type": "atlassian",
    "account_id": "112233aa-bb11-cc22-33dd-445566abcabc",
    "email": "mia@example.com",
    "name": "Mia Krystof",
    "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/112233aa/1234abcd",
    "account_status": "active",
    "characteristics": {"not_mentionable": False},
    "last_updated": "2024-03-11T09:12:44.139Z",
    "created_at": "2019-07-02T01:22:03.000Z",
    "nickname": "mkrystof",
    "zoneinfo": "Australia/Sydney",
    "locale": "en-US",
    "extended_profile": {
        "job_title": "Designer",
        "organization": "mia@example.com",
        "department": "Design team",
        "location": "Sydney",
        "phone_numbers": [],
        "team_type": "Design",
    },
}

DEFAULT_SITES = [
    {
        "id": "1324a887-45db-1bf4-1e99-ef0ff456d421",
        "name": "acme",
        "url": "https://acme.atlassian.net",
        "scopes": ["read:jira-user", "read:jira-work"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png",
    },
    {
        "id": "8f2c6a31-0b7e-4c5d-9a21-3e4f5a6b7c8d",
        "name": "Globex Wiki",
        "url": "https://globex.atlassian.net",
        "scopes": ["read:confluence-content.summary"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
    },
]

# Further users, as real /me answers show them: select one with
# set_profile(USERS[name]) or the control API's {"user": name}.
USERS = {
    # "557058:" ids, the nickname the display name with spaces, no
    # zoneinfo, a bare language, a Gravatar picture with an encoded query.
    "juergen": {
        "account_type": "atlassian",
        "account_id": "557058:4f9a3c2e-8b1d-4e6f-9a0b-7c5d3e2f1a0b",
        "email": "juergen.mueller@example.com",
        "email_verified": True,
        "name": "Jürgen Müller",
        "nickname": "Jürgen Müller",
        "picture": "https://secure.gravatar.com/avatar/3b8f2c6e1d0a9f7e5c4b3a2918076e5d"
                   "?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public."
                   "atl-paas.net%2Finitials%2FJM-3.png",
        "account_status": "active",
        "characteristics": {"not_mentionable": False},
        "last_updated": "2025-01-20T14:03:51.275Z",
        "created_at": "2021-05-04T08:00:12.000Z",
        "locale": "de",
        "extended_profile": {
            "job_title": "Entwickler für Sicherheit",
            "department": "Plattform – Identität",
            "location": "München",
            "phone_numbers": [{"value": "+49 89 1234567", "type": "work"}],
            "team_type": "Software Development",
        },
    },
    # "712020:" ids, letters from Norwegian and Spanish, "es".
    "zoe": {
        "account_type": "atlassian",
        "account_id": "712020:0d5e6f7a-1b2c-4d3e-8f9a-0b1c2d3e4f5a",
        "email": "zoe@example.es",
        "email_verified": False,
        "name": "Zoë Ødegård Núñez",
        "nickname": "Zoë",
        "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/712020:0d5e6f7a/96x96.png",
        "account_status": "active",
        "characteristics": {"not_mentionable": True},
        "last_updated": "2024-11-02T10:00:00.000Z",
        "created_at": "2024-02-29T23:59:59.000Z",
        "locale": "es",
        "extended_profile": {"phone_numbers": [], "team_type": "Other"},
    },
    # 24 hex digits, a name outside the Basic Multilingual Plane's Latin
    # (CJK) and one above U+FFFF (an emoji), an empty extended_profile.
    "tanaka": {
        "account_type": "atlassian",
        "account_id": "627a1d3ba20bd0006fd98447",
        "email": "tanaka@example.jp",
        "email_verified": True,
        "name": "田中 太郎 🎌",
        "nickname": "田中 太郎",
        "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/627a1d3ba20bd0006fd98447/a1b2c3.png",
        "account_status": "active",
        "characteristics": {"not_mentionable": False},
        "zoneinfo": "Asia/Tokyo",
        "locale": "ja-JP",
        "extended_profile": {},
    },
}

# Group names with letters beyond ASCII, for the product answers.
UTF8_GROUPS = [
    {"name": "Entwickler München", "groupId": "6e87dc72-4f1f-421f-9382-2fee8b652487"},
    {"name": "équipe-été", "groupId": "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"},
    {"name": "開発チーム"},
]
