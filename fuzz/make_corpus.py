#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpus of the fuzz targets: fuzz/corpus/<target>/<name>.

Valid answers in the shapes Atlassian documents (the /me example, an
accessible-resources list, a token answer) and the stand-in
tests/lib/fake_atlassian.py sends, plus hostile cases taken from the unit and
integration tests. Stored identities follow docs/storage-format.md; sealed
seeds for the unseal target are made with the fuzz targets' fixed keys
(HKDF-SHA256, then AES-256-SIV: the seal of docs/storage-format.md), with
the python3-cryptography package.

Run it from anywhere: python3 fuzz/make_corpus.py. It writes its seeds over
those of the same name, deletes the seeds it wrote on an earlier run and
no longer writes (fuzz/corpus/GENERATED lists what it wrote), and keeps
every other file of the corpus: the seeds added by hand.
"""

import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
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
def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7f) | 0x80])
        v >>= 7
    return out + bytes([v])


# Wire types of docs/storage-format.md.
W_VARINT, W_TEXT, W_UUID, W_COMMON, W_COPY = range(5)


def key(num, wire):
    return varint(num << 3 | wire)


def text(num, value):
    value = value.encode() if isinstance(value, str) else value
    return key(num, W_TEXT) + varint(len(value)) + value


def number(num, v):
    return key(num, W_VARINT) + varint(v)


def uuid(num, value):
    return key(num, W_UUID) + bytes.fromhex(value.replace("-", ""))


def common(num, k, rest=b""):
    return key(num, W_COMMON) + varint(k) + varint(len(rest)) + rest


def copy(num, of):
    return key(num, W_COPY) + varint(of)


I = "identity"
END = b"\x00"
add(I, "minimal", b"\x01" + text(2, "abc") + END)
# Atlassian's documented profile, as atl_identity_encode writes it.
add(I, "documented", b"\x01" + number(1, 1764950000)
    + uuid(2, "112233aa-bb11-cc22-33dd-445566abcabc") + text(3, "mia@example.com")
    + text(4, "Mia Krystof") + text(5, "mkrystof") + common(6, 0, b"112233aa/1234abcd")
    + common(7, 0) + common(8, 0) + common(9, 0) + common(10, 2, b"Sydney")
    + text(12, "Designer") + text(13, "Design team") + copy(14, 3) + text(15, "Sydney")
    + END)
add(I, "full", b"\x01" + number(1, 1700000000) + text(2, "557058:f58131cb-b67d")
    + text(3, "mia@example.com") + common(6, 1, b"abc") + common(11, 0)
    + text(16, "ACCESS.TOKEN") + number(17, 1700003600) + text(18, "REFRESH-TOKEN")
    + number(19, 1) + uuid(20, "1324a887-45db-1bf4-1e99-ef0ff456d421") + text(21, "acme")
    + text(22, "acme.atlassian.net") + text(20, "s2") + number(23, 1700000100)
    + text(24, "acme/jira-users") + text(24, "acme/jira-admins") + END)
add(I, "sites-and-groups-none", b"\x01" + text(2, "abc") + number(19, 1) + number(23, 5)
    + END)
add(I, "unknown-numbers", b"\x01" + number(127, 7) + text(2, "abc") + text(99, "zz")
    + key(127, W_UUID) + bytes(16) + common(127, 9, b"z") + copy(127, 99) + END)
for n, g in enumerate([b"\x01\x00", b"\x02" + text(2, "abc") + END,
                       b"\x01" + text(2, "abc"), b"\x01" + text(2, "abc") + END + END,
                       b"\x01" + text(2, "abc") * 2 + END, b"\x01" + text(2, "") + END,
                       b"\x01" + text(2, "a\tc") + END, b"\x01" + number(2, 1) + END,
                       b"\x01" + text(2, "abc") + key(3, 7) + END,
                       b"\x01" + text(2, "abc") + common(7, 9) + END,
                       b"\x01" + text(2, "abc") + copy(3, 4) + END,
                       b"\x01" + text(2, "abc") + text(11, "yes") + END,
                       b"\x01" + text(2, "abc") + text(20, "id") + END,
                       b"\x01" + text(2, "abc") + b"\x08" + b"\xff" * 9 + b"\x7f" + END]):
    add(I, "bad-%02d" % n, g)

# -- pending logins -------------------------------------------------------------
ST = "state"


def rec(obj, prefix=""):
    """A record as the module writes it (atl_json_records.c): compact JSON,
    raw UTF-8."""
    return prefix + json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def entry(state, t, f, u):
    return {"s": state, "t": t, "f": f, "u": u}


add(ST, "one", rec({"p": [entry(STATE, 1700000000, 1,
                                "/protected/cgi/printenv.cgi?a=1")]}))
add(ST, "four-tabs", rec({"p": [entry(STATE[:-1] + c, 1700000000 + i * 100, i % 8,
                                      "/tab%d" % i) for i, c in enumerate("ABCDEFGH")]}))
add(ST, "old-and-future", rec({"p": [entry(STATE, 1699990000, 0, "/old"),
                                     entry(STATE2, 1800000000, 2, "/future"),
                                     entry(STATE, 1700000100, 4, "/")]}))
add(ST, "odd-url", rec({"p": [entry(STATE, 10, 1, "/p a\"t\\h?\n\t\u00e9\u2603")]}))
add(ST, "empty", rec({"p": []}))
for n, g in enumerate([{"p": [{"s": STATE, "t": 10, "f": 0}]},
                       {"p": [entry(STATE, "10", 0, "/")]},
                       {"p": [entry(STATE, 10, 8, "/")]},
                       {"p": [entry(STATE, -1, 0, "/")]},
                       {"p": [entry(STATE, 10.5, 0, "/")]},
                       {"p": [entry(STATE[:42], 10, 0, "/")]},
                       {"p": [entry(STATE, 10, 0, "")]},
                       {"p": [entry(STATE, 12345678901234567890, 0, "/")]},
                       {"p": [entry(STATE, 10, 0, "/" + "A" * 600)]},
                       {"p": [entry(STATE, 10, 0, "/")] * 9},
                       {"p": {}}, {"q": []}, [entry(STATE, 10, 0, "/")]]):
    add(ST, "bad-%02d" % n, rec(g))
add(ST, "nul-escape", rec({"p": [entry(STATE, 10, 0, "/a\u0000b")]}))
add(ST, "old-lines", "%s 1700000000 1 %%2Fok\n" % STATE)
add(ST, "garbage", b"\xff\xfe\x00\x01")

# -- the other records: refresh outcome ('r'), group check ('g'), kept POST ('k')
RC = "records"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmdXp6In0.c2lnbmF0dXJl"
for n, r in enumerate([{"a": TOKEN, "r": "rt-" + TOKEN, "x": 1700003600}, {"a": TOKEN},
                       {"a": TOKEN, "x": 1700003600}, {"e": 1}]):
    add(RC, "refresh-%02d" % n, rec(r, "r"))
for n, r in enumerate([{}, {"e": 0}, {"e": 1, "a": TOKEN}, {"a": ""}, {"a": "a\tb"},
                       {"a": TOKEN, "x": 0}, {"a": 5}, {"a": "t" * 4097}, "R1\nat\n"]):
    add(RC, "refresh-bad-%02d" % n, rec(r, "r") if not isinstance(r, str) else "r" + r)
FAIL = {"s": "other", "h": 503, "u": 1700000030, "w": "rate limited (HTTP 429)"}
for n, g in enumerate([
        {"c": 1700000000, "g": ["acme/jira-users", "acme/5b10ac8d82e05b22cc7d4ef5"],
         "f": []},
        {"c": 1700000000, "e": 1, "g": [], "f": []},
        {"c": 1700000000, "g": ["acme/users"], "f": [FAIL, {"s": "third", "h": 502, "u": 0}]},
        {"c": 1700000000, "g": ["acme/\u00dcn\u00efcode \"q\"", "a/\nb", ""], "f": []}]):
    add(RC, "gcheck-%02d" % n, rec(g, "g"))
for n, g in enumerate([{"g": [], "f": []}, {"c": 0, "g": [], "f": []},
                       {"c": 1, "e": 0, "g": [], "f": []}, {"c": 1, "g": [1], "f": []},
                       {"c": 1, "g": "acme/users", "f": []},
                       {"c": 1, "g": [], "f": [{"s": "a", "h": 600, "u": 0}]},
                       {"c": 1, "g": [], "f": [{"h": 502, "u": 0}]},
                       {"c": 1, "g": ["g" * 1025], "f": []}]):
    add(RC, "gcheck-bad-%02d" % n, rec(g, "g"))
for n, k in enumerate([{"s": STATE, "b": "a=1&b=%C3%A9+x&c=%22q%22&empty="},
                       {"s": STATE, "b": ""}, {"s": STATE, "b": "d=caf\u00e9"}]):
    add(RC, "post-%02d" % n, rec(k, "k"))
for n, k in enumerate([{"s": STATE}, {"b": "a=1"}, {"s": STATE[:42], "b": "a=1"},
                       {"s": STATE, "b": 1}, {"s": STATE, "b": "x" * 8193},
                       {"s": STATE, "b": "a\u0000"}]):
    add(RC, "post-bad-%02d" % n, rec(k, "k"))

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
def seal(secret, purpose, plain, version=b"\x01"):
    """AES-256-SIV, one associated-data component (the version byte, then
    the purpose). AESSIV returns SIV | ciphertext; the SIV goes last in the
    sealed value. version: another byte in front, for hostile seeds."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None,
               info=b"mod_auth_atlassian seal AES-256-SIV").derive(secret)
    out = AESSIV(key).encrypt(plain, [b"\x01" + purpose])
    return base64.urlsafe_b64encode(version + out[16:] + out[:16]).rstrip(b"=")


U = "unseal"
ident = seeds[I]["full"]
pend = seeds[ST]["one"]
add(U, "login-new-key", seal(SECRETS[0], b"login", ident))
add(U, "login-old-key", seal(SECRETS[1], b"login", seeds[I]["minimal"]))
add(U, "login-documented", seal(SECRETS[0], b"login", seeds[I]["documented"]))
add(U, "pending", seal(SECRETS[0], b"pending", pend))
add(U, "one-byte", seal(SECRETS[0], b"login", b"x"))
add(U, "other-key", seal(b"x" * 40, b"login", ident))
add(U, "other-version", seal(SECRETS[0], b"login", ident, b"\x02"))
add(U, "no-text", base64.urlsafe_b64encode(b"\x01" + b"\x00" * 16).rstrip(b"="))
good = seeds[U]["login-new-key"]
add(U, "padded", good + b"==")
add(U, "std-alphabet", good.replace(b"-", b"+").replace(b"_", b"/"))
add(U, "truncated", good[:-1])
add(U, "flipped", good[:10] + (b"A" if good[10:11] != b"A" else b"B") + good[11:])
add(U, "not-base64", b"!!!!" * 12)

RT = "seal_roundtrip"
add(RT, "identity", ident)
add(RT, "pending", pend)
add(RT, "empty", b"")
add(RT, "binary", bytes(range(256)))
# One byte over the plaintext limit: it used to seal into a value that
# atl_unseal refused (fixed in src/atl_seal.c, tests/unit/test_seal.c).
add(RT, "over-plain-limit", b"I" * (64 * 1024 // 4 * 3 - 17 + 1))

# Seeds of the same name are replaced. The seeds an earlier run wrote and
# this one does not are deleted; every other file stays (seeds added by
# hand, such as json_groups/ and json_token/long-error).
MANIFEST = os.path.join(CORPUS, "GENERATED")
written = sorted("%s/%s" % (t, n) for t, files in seeds.items() for n in files)
try:
    with open(MANIFEST) as f:
        before = set(ln.strip() for ln in f if ln.strip() and not ln.startswith("#"))
except FileNotFoundError:
    before = set()
for stale in sorted(before - set(written)):
    path = os.path.join(CORPUS, stale)
    if os.path.exists(path):
        os.remove(path)
        print("deleted %s" % stale)
for target, files in sorted(seeds.items()):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(CORPUS, target, name), "wb") as f:
            f.write(data)
    print("%-18s %d seeds" % (target, len(files)))
with open(MANIFEST, "w") as f:
    f.write("# Seeds fuzz/make_corpus.py writes (it deletes those it no longer\n"
            "# writes); every other file of the corpus was added by hand.\n")
    f.write("".join(w + "\n" for w in written))
