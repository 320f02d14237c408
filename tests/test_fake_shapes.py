# SPDX-License-Identifier: Apache-2.0
"""The stand-in's answers in the shapes real Atlassian answers have
(fake_data.py): raw UTF-8 rather than \\u escapes, the members real /me
answers add, the three forms of account ids; and what a login with such a
profile passes on, byte for byte, through the real apache2."""

import json

import pytest

import fake_data
from test_fake import authorize, call, code_of, token


def bearer_get(fake, certs, path, at):
    return call(fake, certs, "GET", path, headers={"Authorization": "Bearer " + at})


def login_token(fake, certs, scope="read:me"):
    s, h, _ = authorize(fake, certs, scope=scope)
    s, t = token(fake, certs, grant_type="authorization_code", code=code_of(h),
                 redirect_uri="http://127.0.0.1:9/cb")
    assert s == 200, t
    return t["access_token"]


def test_default_profile_has_the_real_members(fake, certs):
    s, _, body = bearer_get(fake, certs, "/me", login_token(fake, certs))
    assert s == 200
    me = json.loads(body)
    assert me["characteristics"] == {"not_mentionable": False}
    assert me["extended_profile"]["phone_numbers"] == []
    assert me["extended_profile"]["team_type"] == "Design"
    assert "last_updated" in me and "created_at" in me


@pytest.mark.parametrize("user", sorted(fake_data.USERS))
def test_users_come_as_raw_utf8(fake, certs, user):
    fake.control({"user": user})
    s, h, body = bearer_get(fake, certs, "/me", login_token(fake, certs))
    assert s == 200
    assert b"\\u" not in body
    assert json.loads(body.decode("utf-8")) == fake_data.USERS[user]
    assert fake_data.USERS[user]["name"].encode("utf-8") in body


def test_unknown_user_refused(fake, certs):
    s, _, body = call(fake, certs, "POST", "/_control", {"user": "nobody"})
    assert s == 400 and b"nobody" in body


def test_account_id_forms():
    ids = [u["account_id"] for u in fake_data.USERS.values()]
    assert any(i.startswith("557058:") for i in ids)
    assert any(i.startswith("712020:") for i in ids)
    assert any(len(i) == 24 and int(i, 16) >= 0 for i in ids)
    # A nickname that is a display name (spaces), no zoneinfo, a bare
    # language, a Gravatar picture with an encoded query.
    j = fake_data.USERS["juergen"]
    assert " " in j["nickname"] and "zoneinfo" not in j and j["locale"] == "de"
    assert "gravatar.com" in j["picture"] and "%3A%2F%2F" in j["picture"]
    assert fake_data.USERS["zoe"]["locale"] == "es"


ENV_OF = {"ATLASSIAN_NAME": "name", "ATLASSIAN_NICKNAME": "nickname",
          "ATLASSIAN_EMAIL": "email", "ATLASSIAN_ACCOUNT_ID": "account_id",
          "ATLASSIAN_LOCALE": "locale", "ATLASSIAN_PICTURE": "picture"}
EXTENDED_ENV_OF = {"ATLASSIAN_JOB_TITLE": "job_title", "ATLASSIAN_DEPARTMENT": "department",
                   "ATLASSIAN_LOCATION": "location"}


@pytest.mark.parametrize("user", sorted(fake_data.USERS))
def test_login_passes_utf8_byte_for_byte(browser, fake, user):
    prof = fake_data.USERS[user]
    fake.control({"user": user})
    r = browser.login()
    assert r.status == 200, r
    lines = r.body.split(b"\n")
    expected = {k: prof[f] for k, f in ENV_OF.items() if f in prof}
    ext = prof.get("extended_profile") or {}
    expected.update({k: ext[f] for k, f in EXTENDED_ENV_OF.items() if f in ext})
    expected["REMOTE_USER"] = prof["account_id"]
    expected["ATLASSIAN_EMAIL_VERIFIED"] = "true" if prof["email_verified"] else "false"
    for k, v in expected.items():
        assert (k + "=" + v).encode("utf-8") in lines, (k, v, r.body[:2000])
    assert not any(l.startswith(b"ATLASSIAN_ZONEINFO=") for l in lines) or "zoneinfo" in prof
