# SPDX-License-Identifier: Apache-2.0
"""The grants of the Atlassian stand-in (fake_atlassian.py): authorization
codes, access tokens with an expiry, and rotating refresh tokens grouped in
families, as Atlassian documents them:

- A code is good once; a replayed code revokes the access tokens it gave.
- A refresh token is issued only when the authorize scope held
  offline_access. Each refresh answers a new access token and a new refresh
  token and disables the one used (rotation). Reusing a rotated refresh
  token within `reuse_window` seconds of its rotation still works (default
  0: never); any later reuse answers invalid_grant and kills the whole
  family (every refresh token descended from the same login), which at
  Atlassian forces the user to consent again.
- `omit_refresh_token`: a refresh answers no refresh_token; the one used
  then stays valid (a client keeps it, as the documentation says).
- `omit_expires_in`: token answers carry no expires_in (the access token
  still lives `expires_in` seconds at the stand-in).
- `invalid_grant`: refresh tokens (given whole or as their short hash) that
  answer invalid_grant; "*" makes every refresh do so.
- Access tokens live `expires_in` seconds; an expired or unknown one is
  refused by the bearer endpoints (401).

Every token call is logged (grant type, the short hash of the refresh token
presented, status, result) for tests to read. The store holds no lock of
its own: FakeAtlassian calls it under its lock.
"""

import hashlib
import secrets
import time

MAX_LOG = 50000

INVALID_REFRESH = {"error": "invalid_grant",
                   "error_description": "Unknown or invalid refresh token."}
INVALID_CODE = {"error": "invalid_grant",
                "error_description": "Unknown or invalid authorization code."}


def short_hash(token):
    """What the log shows of a token: 12 hex digits of its SHA-256."""
    if not isinstance(token, str) or not token:
        return None
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


class TokenStore:
    def __init__(self):
        self.reset()

    def reset(self):
        self.expires_in = 3600
        self.reuse_window = 0.0
        self.omit_refresh_token = False
        self.omit_expires_in = False
        self.invalid_grant = set()      # short hashes, or "*"
        self.codes = {}                 # code -> grant (dict)
        self.access = {}                # token -> {"grant", "expires_at"}
        self.refresh = {}               # token -> {"grant", "family", "rotated_at"}
        self.dead_families = set()
        self.log = []
        self.codes_issued = []
        self.tokens_issued = []
        self._families = 0

    # -- issuing ------------------------------------------------------------

    def new_code(self, grant):
        code = secrets.token_urlsafe(24)
        grant = dict(grant, used=False)
        self.codes[code] = grant
        self.codes_issued.append(code)
        return code

    def _issue(self, grant, family=None, with_refresh=True):
        token = "atl-at-" + secrets.token_urlsafe(32)
        answer = {"access_token": token, "expires_in": self.expires_in,
                  "scope": grant["scope"], "token_type": "Bearer"}
        if self.omit_expires_in:
            del answer["expires_in"]
        self.access[token] = {"grant": grant, "family": family,
                              "expires_at": time.time() + self.expires_in}
        self.tokens_issued.append(token)
        if with_refresh and "offline_access" in grant["scope"].split(" "):
            if family is None:
                self._families += 1
                family = self._families
                self.access[token]["family"] = family
            rt = "atl-rt-" + secrets.token_urlsafe(32)
            self.refresh[rt] = {"grant": grant, "family": family, "rotated_at": None}
            answer["refresh_token"] = rt
            self.tokens_issued.append(rt)
        return answer

    def expire_access_tokens(self):
        now = time.time()
        for info in self.access.values():
            info["expires_at"] = min(info["expires_at"], now - 1)

    def bearer(self, token):
        """The grant of a valid access token, or None (unknown or expired)."""
        info = self.access.get(token)
        if info is None or info["expires_at"] <= time.time():
            return None
        return info["grant"]

    # -- the token endpoint ---------------------------------------------------

    def was_rotated(self, refresh_token):
        info = self.refresh.get(refresh_token) if isinstance(refresh_token, str) else None
        return bool(info and info["rotated_at"] is not None)

    def note(self, grant_type, refresh_token, status, result, reuse=None, fault=None):
        """Log one token call. "reuse" is true when the refresh token
        presented had already been rotated before this call."""
        if reuse is None:
            reuse = self.was_rotated(refresh_token)
        if len(self.log) < MAX_LOG:
            self.log.append({"time": time.time(),
                             "grant_type": grant_type if isinstance(grant_type, str) else None,
                             "refresh_token": short_hash(refresh_token),
                             "status": status, "result": result,
                             "reuse": reuse, "fault": fault})

    def grant(self, req, fault=None):
        """Answer a token request that passed the client check:
        (status, JSON answer). Logs the call, with the fault (a mode of
        fake_faults.py) that will change how the answer goes out."""
        gt = req.get("grant_type")
        if gt == "authorization_code":
            status, answer, result = self._code_grant(req)
            self.note(gt, None, status, result, fault=fault)
        elif gt == "refresh_token":
            rt = req.get("refresh_token")
            reuse = self.was_rotated(rt)
            status, answer, result = self._refresh_grant(rt)
            self.note(gt, rt, status, result, reuse, fault)
        else:
            status, answer = 400, {"error": "unsupported_grant_type",
                                   "error_description": "grant_type must be "
                                   "authorization_code or refresh_token"}
            self.note(gt, None, status, "unsupported_grant_type", fault=fault)
        return status, answer

    def _code_grant(self, req):
        code = req.get("code")
        c = self.codes.get(code) if isinstance(code, str) else None
        if c is None:
            return 403, INVALID_CODE, "unknown_code"
        if c["used"]:
            # A replayed code revokes what it produced (RFC 6749 4.1.2).
            for t in [t for t, i in self.access.items() if i["grant"] is c]:
                del self.access[t]
            return 403, INVALID_CODE, "code_replayed"
        if req.get("redirect_uri") != c["redirect_uri"]:
            return 403, {"error": "invalid_grant",
                         "error_description": "redirect_uri does not match"}, "redirect_uri"
        c["used"] = True
        return 200, self._issue(c), "issued"

    def _refresh_grant(self, rt):
        info = self.refresh.get(rt) if isinstance(rt, str) else None
        if info is None:
            return 403, INVALID_REFRESH, "unknown"
        if "*" in self.invalid_grant or short_hash(rt) in self.invalid_grant:
            return 403, INVALID_REFRESH, "invalid_grant_forced"
        family = info["family"]
        if family in self.dead_families:
            return 403, INVALID_REFRESH, "family_dead"
        now = time.time()
        if info["rotated_at"] is not None:
            if now - info["rotated_at"] > self.reuse_window:
                self.dead_families.add(family)
                return 403, INVALID_REFRESH, "reuse_family_killed"
            answer = self._issue(info["grant"], family, not self.omit_refresh_token)
            return 200, answer, "reuse_allowed"
        answer = self._issue(info["grant"], family, not self.omit_refresh_token)
        if "refresh_token" in answer:
            info["rotated_at"] = now
            return 200, answer, "rotated"
        return 200, answer, "refresh_token_omitted"

    # -- reading the log ---------------------------------------------------------

    def refresh_calls(self):
        return [e for e in self.log if e["grant_type"] == "refresh_token"]

    def reused_refresh_tokens(self):
        """Short hashes of rotated refresh tokens that were presented again."""
        out = []
        for e in self.refresh_calls():
            if e["reuse"] and e["refresh_token"] not in out:
                out.append(e["refresh_token"])
        return out
