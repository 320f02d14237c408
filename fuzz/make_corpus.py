#!/usr/bin/python3
"""Write the seed corpus of the fuzz targets: fuzz/corpus/<target>/<name>.

Valid answers in the shapes Atlassian documents (the /me example, an
accessible-resources list, a token answer) and the stand-in
tests/fake_atlassian.py sends, plus hostile cases taken from the unit and
integration tests. Sealed seeds for the unseal target are made with the
fuzz targets' fixed keys (HKDF-SHA256, then AES-256-SIV for version 0x02 and
AES-256-GCM for 0x01: the formats of src/atl_seal.c), with the
python3-cryptography package.

Run it from anywhere: python3 fuzz/make_corpus.py. It writes its seeds over
those of the same name and keeps every other file of the corpus.
"""

import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import fake_atlassian  # noqa: E402  (the documented /me and sites examples)

CORPUS = os.path.join(HERE, "corpus")
STATE = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
STATE2 = "Zm9vYmFyLWJhei1xdXV4LTAxMjM0NTY3ODktYWJjZGVm"[:43]
SECRETS = [b"fuzz-session-secret-0123456789abcdef-new",
           b"fuzz-session-secret-0123456789abcdef-old"]

seeds = {}


def add(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes):
        data = json.dumps(data).encode()
    seeds.setdefault(target, {})[name] = data


# -- token answers -----------------------------------------------------------
T = "json_token"
add(T, "fake-answer", {"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig", "expires_in": 3600,
                       "scope": "read:me offline_access", "token_type": "Bearer",
                       "refresh_token": "r-456"})
add(T, "minimal", '{"access_token":"a"}')
add(T, "bearer-upper", '{"access_token":"a","token_type":"BEARER","expires_in":3599.7}')
add(T, "expires-string", '{"access_token":"a","expires_in":"3600"}')
add(T, "expires-negative", '{"access_token":"a","expires_in":-5}')
add(T, "expires-huge", '{"access_token":"a","expires_in":99999999999999999999}')
add(T, "expires-exp", '{"access_token":"a","expires_in":1e308}')
add(T, "no-token", '{"token_type":"Bearer","expires_in":1}')
add(T, "token-null", '{"access_token":null}')
add(T, "token-number", '{"access_token":12345}')
add(T, "token-crlf", '{"access_token":"ab\\r\\nSet-Cookie: x"}')
add(T, "token-nul-escape", '{"access_token":"ab\\u0000cd"}')
add(T, "token-nul-byte", b'{"access_token":"a\x00b"}')
add(T, "refresh-tab", '{"access_token":"a","refresh_token":"r\\t"}')
add(T, "type-mac", '{"access_token":"a","token_type":"mac"}')
add(T, "trailing", '{"access_token":"a"} ,')
add(T, "two-values", '{"access_token":"a"}{}')
add(T, "unclosed", '{"access_token":"a"')
add(T, "deep", '{"access_token":"a","x":' + "[" * 40 + "]" * 40 + "}")
add(T, "array", '["access_token","a"]')
add(T, "html", "<html>502 Bad Gateway</html>")
add(T, "error-answer", {"error": "invalid_grant",
                        "error_description": "Unknown or invalid\r\nrefresh token."})
add(T, "error-number", '{"error":5,"error_description":"only this"}')
add(T, "bad-utf8", b'{"access_token":"\xc3\x28"}')
add(T, "surrogate", '{"access_token":"\\ud800x"}')
add(T, "number", "42")

# -- profiles -----------------------------------------------------------------
P = "json_profile"
add(P, "documented-me", fake_atlassian.DEFAULT_PROFILE)
add(P, "minimal", {"account_id": "acct-1", "account_status": "active"})
add(P, "verified", {"account_id": "557057:4f9a1b2c", "account_status": "active",
                    "email": "mia@example.com", "email_verified": True})
add(P, "verified-string", {"account_id": "a", "email_verified": "true"})
evil = "A\r\nX-Injected: 1\x00\x01\x1b[31m\x7f\tB"
add(P, "control-chars", {"account_id": "ctl-acct", "account_status": "active",
                         "email": "ctl@example.com", "name": evil, "nickname": evil,
                         "picture": "https://x.example/" + evil, "account_type": evil,
                         "locale": evil, "zoneinfo": evil,
                         "extended_profile": {"job_title": evil, "department": evil,
                                              "organization": evil, "location": evil}})
add(P, "wrong-types", {"account_id": "types-2", "account_status": "active",
                       "email": ["a@example.com"], "name": 12, "nickname": {"n": 1},
                       "picture": True, "account_type": None, "locale": 1.5,
                       "zoneinfo": [], "email_verified": "true",
                       "extended_profile": "Designer"})
add(P, "extended-wrong-types", dict(fake_atlassian.DEFAULT_PROFILE, extended_profile={
    "job_title": ["x"], "department": 3, "organization": None,
    "location": {"city": "Sydney"}}))
add(P, "email-nul", {"account_id": "a", "email": "evil.org\u0000mia@example.com"})
add(P, "status-nul", {"account_id": "a", "account_status": "act\u0000ive"})
add(P, "account-id-number", '{"account_id":12345}')
add(P, "account-id-empty", '{"account_id":""}')
add(P, "account-id-ctl", '{"account_id":"a\\nb"}')
add(P, "no-account-id", {"email": "mia@example.com"})
add(P, "long-fields", {"account_id": "long-1", "name": "\u00e9" * 300,
                       "picture": "https://p.example/" + "x" * 600})
add(P, "duplicate-keys", '{"account_id":"a","account_id":"b","email":"x@y"}')
add(P, "utf8-cut", {"account_id": "u", "name": "a" * 255 + "\u00e9\u00e9"})
add(P, "array", "[]")
add(P, "bad-utf8", b'{"account_id":"\xff"}')
add(P, "nested-deep", '{"account_id":"a","x":' + '{"a":' * 20 + "1" + "}" * 21)

# -- accessible-resources ----------------------------------------------------
S = "json_sites"
add(S, "fake-sites", fake_atlassian.DEFAULT_SITES)
add(S, "one-site", [{"id": "cafe0000-0000-0000-0000-000000000001", "name": "initech",
                     "url": "https://initech.atlassian.net", "scopes": [],
                     "avatarUrl": "https://x.example/a.png"}])
add(S, "jira-and-confluence-twice", [
    {"id": "1324a887-45db-1bf4-1e99-ef0ff456d421", "name": "acme",
     "url": "https://acme.atlassian.net", "scopes": ["read:jira-work"]},
    {"id": "1324a887-45db-1bf4-1e99-ef0ff456d421", "name": "acme",
     "url": "https://ACME.atlassian.net", "scopes": ["read:confluence-content.summary"]}])
add(S, "empty", "[]")
add(S, "object", "{}")
add(S, "name-nul", [{"id": "x-1", "name": "ac\u0000me", "url": "https://other1.atlassian.net"}])
add(S, "name-ctl", [{"id": "x-2", "name": "ac\u0001me", "url": "https://other2.atlassian.net"}])
add(S, "host-ctl", [{"id": "x-4", "name": "other", "url": "https://globex\u0001.atlassian.net"}])
add(S, "url-odd", [{"id": "a", "url": "https://user:pw@[::1]:8443/x"},
                   {"id": "b", "url": "//no-scheme.example"},
                   {"id": "c", "url": "https://"}, {"id": "d", "url": 5},
                   {"id": 7, "url": "https://e.example"}, "not-an-object", None])
add(S, "many", [{"id": "%02d-" % i + "i" * 20, "name": "n" * 250,
                 "url": "https://s%02d.atlassian.net" % i} for i in range(20)])
add(S, "long-id", [{"id": "i" * 300, "url": "https://x.atlassian.net"}])

# -- stored identity (before sealing) ----------------------------------------
I = "identity"
add(I, "minimal", "I1\naabc\nt1\n.\n")
add(I, "full", "I1\na112233aa-bb11-cc22-33dd-445566abcabc\nemia@example.com\nnMia Krystof\n"
    "kmkrystof\nphttps://avatar.example/112233aa/1234abcd\nyatlassian\nsactive\n"
    "len-US\nzAustralia/Sydney\nvtrue\njDesigner\ndDesign team\nomia@example.com\n"
    "wSydney\ncACCESS.TOKEN\nt1700000000\nx1700003600\nrREFRESH-TOKEN\nL\n"
    "S1324a887-45db-1bf4-1e99-ef0ff456d421\nNacme\nHacme.atlassian.net\n"
    "S8f2c6a31-0b7e-4c5d-9a21-3e4f5a6b7c8d\nNGlobex Wiki\nHglobex.atlassian.net\n.\n")
add(I, "sites-none", "I1\naabc\nt1\nL\n.\n")
for n, g in enumerate(["I1\naabc\nt1\n.\n.\n", "I2\naabc\nt1\n.\n",
                       "I1\naabc\nt1\naabc\n.\n", "I1\naabc\nt1\nvyes\n.\n",
                       "I1\naabc\nt1\nL\nSid\nNa\nNb\n.\n", "I1\naa\tc\nt1\n.\n",
                       "I1\naabc\nt1234567890123456789\n.\n", "I1\naabc\nt1\x00\n.\n",
                       "I1\naabc\nt1\nSid\n.\n", "I1\naabc\nt1\n\n.\n"]):
    add(I, "bad-%02d" % n, g)


def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7f) | 0x80])
        v >>= 7
    return out + bytes([v])


def rec(tag, value):
    value = value.encode() if isinstance(value, str) else value
    return bytes([tag]) + varint(len(value)) + value


# Format 2 (src/atl_identity_codec.c): field numbers, a common value or
# prefix by its index (0x80 | number), a copy of an earlier field (0x40 |
# number), then expiry 0x30, refresh 0x31, sites 0x32, site 0x33/0x34/0x35.
add(I, "v2-minimal", b"\x02\x01" + rec(1, "abc") + b"\x00")
add(I, "v2-full", b"\x02" + varint(1700000000) + rec(1, "112233aa-bb11-cc22-33dd-445566abcabc")
    + rec(2, "mia@example.com") + rec(3, "Mia Krystof") + rec(4, "mkrystof")
    + b"\x85\x00" + varint(17) + b"112233aa/1234abcd" + b"\x86\x00\x00" + b"\x87\x00\x00"
    + b"\x88\x00\x00" + b"\x89\x02" + varint(6) + b"Sydney" + b"\x8a\x00\x00"
    + rec(11, "Designer") + rec(12, "Design team") + b"\x4d\x02" + rec(14, "Sydney")
    + rec(15, "ACCESS.TOKEN") + b"\x30" + varint(1700003600) + rec(0x31, "REFRESH-TOKEN")
    + b"\x32" + rec(0x33, "1324a887-45db-1bf4-1e99-ef0ff456d421") + rec(0x34, "acme")
    + rec(0x35, "acme.atlassian.net") + b"\x00")
for n, g in enumerate([b"\x02\x01\x00", b"\x02\x01" + rec(1, "abc"),
                       b"\x02\x01" + rec(1, "abc") + b"\x00\x00",
                       b"\x02\x01" + rec(1, "abc") + b"\x86\x07\x00\x00",
                       b"\x02\x01" + rec(1, "abc") + b"\x43\x02\x00",
                       b"\x02\x01" + rec(1, "abc") + b"\xc2\x01\x00",
                       b"\x02" + b"\xff" * 10 + rec(1, "abc") + b"\x00"]):
    add(I, "v2-bad-%02d" % n, g)

# Format 3 (src/atl_identity_codec.c, written since): time, which fields,
# one record per field (text items: raw 0x00|n, UUID 0xc0, prefix and UUID
# 0xc1, hex 0xc2.., text code 0xe2..), then the tagged records as above.
add(I, "v3-minimal", b"\x03\x00\x01\x03abc\x00")
add(I, "v3-documented", bytes.fromhex(
    "03e0bbf83dff7bc0112233aabb11cc2233dd445566abcabcf1b29e49ea76e75494dec0eddca63e31b5f0"
    "fc40eab728daf87e20801131313232333361612f313233346162636480008000800082e8dfb66c9b00ea"
    "ef4bae8c90edef4bae8c30876042e8dfb66c9b0000"))
add(I, "v3-forms", b"\x03\x00\x0f" + b"\xc1\x07557058:" + bytes(range(16))
    + b"\xcd" + bytes(12) + b"\xe3\x40" + b"\x3f\x05" + b"q" * 68
    + b"\x30" + varint(1700003600) + b"\x31\xc0" + bytes(16)
    + b"\x32\x33\xc0" + bytes(range(16, 32)) + b"\x34\x04acme\x35\x12acme.atlassian.net"
    + b"\x36" + varint(1700000100) + b"\x37\x0facme/jira-users\x00")
for n, g in enumerate([b"\x03\x00\x00\x00", b"\x03\x00\x01\x41\x00",
                       b"\x03\x00\x01\xe3\x4f\x00", b"\x03\x00\x01\xe3\xfc\x98\x40\x00",
                       b"\x03\x00\x01\xc4\xab\x00", b"\x03\x00\x21\x03abc\x87\x00\x00"]):
    add(I, "v3-bad-%02d" % n, g)

# -- pending logins -------------------------------------------------------------
ST = "state"
add(ST, "one", "%s 1700000000 1 %%2Fprotected%%2Fcgi%%2Fprintenv.cgi%%3Fa%%3D1\n" % STATE)
add(ST, "four-tabs", "".join("%s %d %d %%2Ftab%d\n" % (STATE[:-1] + c, 1700000000 + i * 100,
                                                       i % 8, i)
                             for i, c in enumerate("ABCDEFGHIJ")))
add(ST, "old-and-future", "%s 1699990000 0 %%2Fold\n%s 1800000000 2 %%2Ffuture\n"
    "%s 1700000100 4 %%2F\n" % (STATE, STATE2, STATE))
add(ST, "no-newline", "%s 10 1 %%2fok" % STATE)
for n, g in enumerate(["%s 10 0\n", "%s x10 0 %%2f\n", "%s 10 8 %%2f\n", "%s -1 0 %%2f\n",
                       "%s 10 0 %%zz\n", "%s 10 0 %%00\n", "%s 10 0 \n",
                       "%s 1234567890123456789 0 %%2f\n", "%s  10 0 %%2f\n",
                       "%s 10 0 " + "%%41" * 600 + "\n"]):
    add(ST, "bad-%02d" % n, g % STATE)
add(ST, "garbage", b"\xff\xfe\x00\x01")

# -- redirect targets -----------------------------------------------------------
R = "redirect"
for n, u in enumerate([
        "/", "/protected/page", "/ok?next=//evil", "/a//b", "/a/\\b", "/ok#//evil",
        "/%2e%2e/x", "/caf\u00e9", "  /ok  ", "\\ok", "/%20/evil",
        "https://app.example.com/bye?x=1", "https://intranet.example.org",
        "https://intranet.example.org?x=1", "https://sso.example.org/Welcome/x",
        "//evil.com", "/\\evil.com", "\\/evil.com", "///evil.com", "/\t/evil.com",
        "/\r\n/evil.com", "/%09/evil.com", "/%2F%2Fevil.com", "/%5C/evil.com",
        "https:evil.com", "http:\\\\evil.com", "javascript:alert(1)",
        "https://app.example.com@evil.com/", "https://app.example.com.evil.com/",
        "https://intranet.example.org:8443@evil.com/",
        "https://intranet.example.org%2Eevil.com/", "HTTPS://APP.EXAMPLE.COM/x",
        "https://app.example.com\\@evil.com/", "%2F%2Fapp.example.com%2F"]):
    add(R, "%02d" % n, u)

# -- AtlassianAuthorizeParams ---------------------------------------------------
A = "authorize_params"
for n, v in enumerate(["prompt=consent", "prompt=consent&x=a%20b", "a=1&&b=2&", "flag",
                       "k=%26%3D%2B+", "=x", "state=x", "STATE=x", "Client_Id=1",
                       "a=%zz", "a=%00", "%73tate=1", "a=b=c&c"]):
    add(A, "%02d" % n, v)

# -- secrets ----------------------------------------------------------------------
SE = "secret"
for n, v in enumerate(["env:ATL_FUZZ_SECRET", "env:", "env:ATL_FUZZ_EMPTY",
                       "env:NO_SUCH_VARIABLE", "0123456789abcdef0123456789abcdef",
                       "envx:ATL_FUZZ_SECRET", "ENV:ATL_FUZZ_SECRET"]):
    add(SE, "%02d" % n, v)

# -- email patterns ("pattern\nemail") ------------------------------------------------
E = "email_match"
for n, v in enumerate(["*@example.com\nmia@example.com", "*@EXAMPLE.com\nMia@Example.COM",
                       "m?a@example.com\nmia@example.com", "*\nmia@example.com",
                       "*@example.com\nevil.org\x00mia@example.com",
                       "*@example.com\n mia@example.com", "*@example.com\n@example.com",
                       "*@example.com\nmia@", "*@example.com\na@b@example.com",
                       "*a*a*a*a*a*a*a*a*b\n" + "a" * 60 + "@example.com",
                       "mia@example.com"]):
    add(E, "%02d" % n, v)


# -- the callback's query string -------------------------------------------------------
Q = "query"
for n, v in enumerate([
        "code=abc%2Fd&state=" + STATE, "code=c0de&state=%s&other=x&other=y" % STATE,
        "error=access_denied&error_description=User%20denied&state=" + STATE,
        "error=access_denied&state=a+b", "logout=%2Fpublic%2Fok.txt",
        "logout=https%3A%2F%2Fapp.example.com%2Fbye%3Fx%3D1", "info=json", "",
        "code=a&code=b", "state=a&state=a", "code=", "code", "code=%zz", "code=%00x",
        "code=%0a" + STATE, "state=%s%%09" % STATE, "code=x%7F&state=y",
        "error=%1B%5B31m&state=" + STATE, "code=" + "C" * 3000, "state=" + "S" * 200,
        "info=json%20", "&&code=x&&", "code=a=b&state=c", "c%6Fde=x&code=y",
        "logout=%E3%80%82//evil.com"]):
    add(Q, "%02d" % n, v)


# -- sealed values --------------------------------------------------------------------
def seal(secret, purpose, plain, iv):
    """Version 0x01: AES-256-GCM with the given IV."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"mod_auth_atlassian session seal v1").derive(secret)
    ct = AESGCM(key).encrypt(iv, plain, b"\x01" + purpose)
    return base64.urlsafe_b64encode(b"\x01" + iv + ct).rstrip(b"=")


def seal2(secret, purpose, plain, version=b"\x02"):
    """Version 0x02: AES-256-SIV, one associated-data component (the
    version byte, then the purpose). AESSIV returns SIV | ciphertext; the
    SIV goes last in the sealed value. version: another byte in front, for
    hostile seeds."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None,
               info=b"mod_auth_atlassian session seal v2 (AES-256-SIV)").derive(secret)
    out = AESSIV(key).encrypt(plain, [b"\x02" + purpose])
    return base64.urlsafe_b64encode(version + out[16:] + out[:16]).rstrip(b"=")


U = "unseal"
ident = seeds[I]["v2-full"]
pend = seeds[ST]["one"]
add(U, "login-new-key", seal(SECRETS[0], b"login", ident, b"\x01" * 12))
add(U, "login-old-key", seal(SECRETS[1], b"login", seeds[I]["minimal"], b"\x02" * 12))
add(U, "login-format-1", seal(SECRETS[0], b"login", seeds[I]["full"], b"\x06" * 12))
add(U, "pending", seal(SECRETS[0], b"pending", pend, b"\x03" * 12))
add(U, "empty-plain", seal(SECRETS[0], b"login", b"", b"\x04" * 12))
add(U, "other-key", seal(b"x" * 40, b"login", ident, b"\x05" * 12))
good = seeds[U]["login-new-key"]
add(U, "padded", good + b"==")
add(U, "std-alphabet", good.replace(b"-", b"+").replace(b"_", b"/"))
add(U, "truncated", good[:-1])
add(U, "flipped", good[:10] + (b"A" if good[10:11] != b"A" else b"B") + good[11:])
add(U, "not-base64", b"!!!!" * 12)
# Version 0x02, what atl_seal writes (0x01 seeds above: values sealed before).
add(U, "v2-login-new-key", seal2(SECRETS[0], b"login", ident))
add(U, "v2-login-old-key", seal2(SECRETS[1], b"login", seeds[I]["minimal"]))
add(U, "v2-login-format-1", seal2(SECRETS[0], b"login", seeds[I]["full"]))
add(U, "v2-pending", seal2(SECRETS[0], b"pending", pend))
add(U, "v2-one-byte", seal2(SECRETS[0], b"login", b"x"))
add(U, "v2-other-key", seal2(b"x" * 40, b"login", ident))
add(U, "v2-as-version-1", seal2(SECRETS[0], b"login", ident, b"\x01"))
add(U, "v2-no-text", base64.urlsafe_b64encode(b"\x02" + b"\x00" * 16).rstrip(b"="))
good2 = seeds[U]["v2-login-new-key"]
add(U, "v2-padded", good2 + b"==")
add(U, "v2-std-alphabet", good2.replace(b"-", b"+").replace(b"_", b"/"))
add(U, "v2-truncated", good2[:-1])
add(U, "v2-flipped", good2[:10] + (b"A" if good2[10:11] != b"A" else b"B") + good2[11:])

RT = "seal_roundtrip"
add(RT, "identity", ident)
add(RT, "pending", pend)
add(RT, "empty", b"")
add(RT, "binary", bytes(range(256)))
# One byte over the plaintext limit: it used to seal into a value that
# atl_unseal refused (fixed in src/atl_seal.c, tests/unit/test_seal.c).
add(RT, "over-plain-limit", b"I" * (64 * 1024 // 4 * 3 - 29 + 1))

# Seeds of the same name are replaced; every other file stays (seeds added
# by hand, such as json_groups/ and json_token/long-error).
for target, files in sorted(seeds.items()):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(CORPUS, target, name), "wb") as f:
            f.write(data)
    print("%-18s %d seeds" % (target, len(files)))
