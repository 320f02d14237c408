# SPDX-License-Identifier: Apache-2.0
"""The product APIs of the Atlassian stand-in (fake_atlassian.py): the two
calls that tell a user's groups on a site, as Atlassian's API gateway
serves them to a 3LO token.

  GET /ex/jira/<cloudid>/rest/api/3/myself?expand=groups
      {"accountId", ..., "groups": {"size": N, "items": [{"name", "groupId",
      "self"}], "max-results": 1000}}. Without expand=groups, "items" is
      empty while "size" is not (as Jira does). At most 1000 items are
      listed, with the full size (an incomplete list, as Jira does).
  GET /ex/jira/<cloudid>/rest/api/3/user/groups?accountId=<id>
      [{"name", "groupId", "self"}]: the account's complete list (not
      paged). Needs the "Browse users and groups" global permission: 403
      {"errorMessages": [...]} when {"jira_browse_users": false}. The
      failure switch of "jira" does not apply to it.
  GET /ex/confluence/<cloudid>/wiki/rest/api/user/memberof
      ?accountId=<id>&start=<n>&limit=<n>
      {"results": [{"type": "group", "name", "id", "_links": {"self"}}],
      "start", "limit", "size" (on this page), "totalSize", "_links":
      {"base", "context", "self", "next" (only when more pages follow:
      /rest/api/user/memberof?...&start=..., relative to the wiki base)}}.
      accountId is required (400 without); limit is cut to the page size.

Jira's answers carry what real ones do: "avatarUrls", "applicationRoles",
"expand", "emailAddress" and "timeZone" null (as for a user who hides
them); a group given as a plain name has no "groupId" (as older answers).

Both check, in this order: the bearer token is one the stand-in issued
(else 401 {"code":401,"message":"Unauthorized"}); the token's scope holds
read:jira-user (or read:user:jira read:group:jira read:application-role:jira
read:avatar:jira), resp. read:confluence-user (or read:user:confluence
read:group:confluence), else 401 {"code":401,"message":"Unauthorized; scope
does not match"}; when the token's sites are a JSON list, the cloud id is
one of them and that site's scopes name the product (else 404).

Memberships and failures are set through the control API of the stand-in
(POST /_control, a JSON object; these keys may come with the others):

  {"groups": {"<cloudid>": {"jira": [G...], "confluence": [G...]}}}
        the groups of every user, per site and product (replaces the
        previous "groups"). G is a group name (a string: no id) or an
        object {"name": ..., "groupId": ...|null}; "id" is accepted for
        "groupId". Jira shows it as groupId, Confluence as id. Any other
        members of G are passed on as they are (to send odd values).
  {"account_groups": {"<account_id>": {"<cloudid>": {"jira": [G...], ...}}}}
        one account's groups on a site: they replace "groups" there for
        that account (the account is the one whose token calls; for
        Confluence, the one in ?accountId=). Merged per account.
  {"groups_page_size": 2}
        Confluence's largest page (default 200), to make paging visible.
  {"groups_next": "relative"|"absolute"|"foreign"}
        how Confluence writes _links.next: relative to the wiki base (the
        default, as Confluence does), absolute on the stand-in's own host,
        or absolute on another host (https://evil.example/...).
  {"jira_browse_users": false}
        the user lacks Jira's "Browse users and groups": user/groups
        answers 403 (default true).
  {"groups_fail": {"jira"|"confluence": F|null}}
        a failure switch per product (null clears it). F = {"mode": M,
        "times": n (default: until cleared), "site": "<cloudid>" (default:
        every site), "start": n (Confluence: only the page with this start),
        "retry_after": s (default 5), "delay": s (stall, default 30),
        "status": n and "body": raw or JSON (mode "raw")}. M is one of:
          unexpanded   200, the group list with no items and a size of 3
          incomplete   200, the last group left out, the size unchanged
                       (with no groups: no items and a size of 1)
          scope        401 {"code":401,"message":"Unauthorized; scope does
                       not match"}
          unauthorized 401 {"code":401,"message":"Unauthorized"}
          forbidden    403 {"errorMessages":["..."]}
          ratelimit    429 with Retry-After (and X-RateLimit-* headers)
          unavailable  503 with Retry-After
          stall        sleep "delay" seconds, then answer normally
          raw          answer "status" and "body"
  {"reset": true}
        also forgets all of the above and the call counters.

  GET /_control/products
        {"calls": {"jira": {"<cloudid>": n}, "confluence": {...}}, "groups":
        ..., "account_groups": ..., "page_size": n, "fail": {...}}: every
        request that reached a product endpoint is counted, failures too.

In the same process, tests call set_groups(), fail() and calls() below.
Only the Python 3 standard library is used.
"""

import json
import threading
import time
import urllib.parse

PRODUCTS = ("jira", "confluence")
MODES = ("unexpanded", "incomplete", "scope", "unauthorized", "forbidden", "ratelimit",
         "unavailable", "stall", "raw")
JIRA_MAX_RESULTS = 1000
DEFAULT_PAGE_SIZE = 200
MAX_STALL = 120

# The scopes that let a token read a user's groups, per product: one of
# these sets must be in the token's scope.
SCOPES = {
    "jira": [{"read:jira-user"},
             {"read:user:jira", "read:group:jira", "read:application-role:jira",
              "read:avatar:jira"}],
    "confluence": [{"read:confluence-user"},
                   {"read:user:confluence", "read:group:confluence"}],
}

SCOPE_MISMATCH = {"code": 401, "message": "Unauthorized; scope does not match"}
UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


class ProductState:
    """Memberships, failure switches and counters; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.groups = {}
        self.account_groups = {}
        self.page_size = DEFAULT_PAGE_SIZE
        self.failures = {}
        self.counts = {p: {} for p in PRODUCTS}
        self.user_groups_calls = 0
        self.next_style = "relative"
        self.browse_users = True


def reset(fake):
    """Called by FakeAtlassian.reset()."""
    fake.products = ProductState()


def _state(fake):
    if getattr(fake, "products", None) is None:
        reset(fake)
    return fake.products


def _check_lists(by_site, what):
    if not isinstance(by_site, dict):
        raise ValueError("%s must map cloud ids to products" % what)
    for cloud_id, products in by_site.items():
        if not isinstance(products, dict):
            raise ValueError("%s[%s] must map products to lists" % (what, cloud_id))
        for product, groups in products.items():
            if product not in PRODUCTS or not isinstance(groups, list):
                raise ValueError("%s[%s]: %r is not jira or confluence with a list"
                                 % (what, cloud_id, product))


def set_groups(fake, cloud_id, jira=None, confluence=None, account_id=None):
    """The groups (lists of G, see above) on one site, for every user or
    for one account."""
    products = {}
    if jira is not None:
        products["jira"] = list(jira)
    if confluence is not None:
        products["confluence"] = list(confluence)
    st = _state(fake)
    with st.lock:
        if account_id is None:
            st.groups.setdefault(cloud_id, {}).update(products)
        else:
            st.account_groups.setdefault(account_id, {}).setdefault(
                cloud_id, {}).update(products)


def fail(fake, product, mode=None, **options):
    """Set (mode and options as in F above) or clear (mode None) the
    failure switch of a product."""
    if product not in PRODUCTS:
        raise ValueError("unknown product %r" % product)
    st = _state(fake)
    with st.lock:
        if mode is None:
            st.failures.pop(product, None)
            return
        if mode not in MODES:
            raise ValueError("unknown failure mode %r" % mode)
        f = dict(options, mode=mode)
        if f.get("times") is not None:
            f["times"] = int(f["times"])
        st.failures[product] = f


def calls(fake, product, cloud_id=None):
    """How many requests reached the product's endpoint (on one site, or on
    all of them)."""
    st = _state(fake)
    with st.lock:
        counts = st.counts[product]
        return counts.get(cloud_id, 0) if cloud_id is not None else sum(counts.values())


def control(fake, cmd):
    """Called by FakeAtlassian.control() with the whole command object.
    Raises ValueError for a malformed value (the control API answers
    400)."""
    if "groups" in cmd:
        _check_lists(cmd["groups"], "groups")
    if "account_groups" in cmd:
        if not isinstance(cmd["account_groups"], dict):
            raise ValueError("account_groups must map account ids to sites")
        for account, by_site in cmd["account_groups"].items():
            _check_lists(by_site, "account_groups[%s]" % account)
    st = _state(fake)
    if "groups" in cmd:
        with st.lock:
            st.groups = json.loads(json.dumps(cmd["groups"]))
    for account, by_site in (cmd.get("account_groups") or {}).items():
        with st.lock:
            mine = st.account_groups.setdefault(account, {})
            for cloud_id, products in by_site.items():
                mine.setdefault(cloud_id, {}).update(products)
    if "groups_page_size" in cmd:
        size = int(cmd["groups_page_size"])
        if size < 1:
            raise ValueError("groups_page_size must be positive")
        with st.lock:
            st.page_size = size
    if "groups_next" in cmd:
        if cmd["groups_next"] not in ("relative", "absolute", "foreign"):
            raise ValueError("groups_next must be relative, absolute or foreign")
        with st.lock:
            st.next_style = cmd["groups_next"]
    if "jira_browse_users" in cmd:
        with st.lock:
            st.browse_users = bool(cmd["jira_browse_users"])
    for product, f in (cmd.get("groups_fail") or {}).items():
        if f is None:
            fail(fake, product, None)
        elif not isinstance(f, dict) or "mode" not in f:
            raise ValueError("groups_fail[%s] needs a mode" % product)
        else:
            options = {k: v for k, v in f.items() if k != "mode"}
            fail(fake, product, f["mode"], **options)


def dispatch(handler, url):
    """Called by the stand-in's request handler for paths under /ex/ and
    for /_control/products."""
    fake = handler.server.fake
    if url.path == "/_control/products":
        if handler.command != "GET":
            return handler._send(405, {"error": "method not allowed"})
        st = _state(fake)
        with st.lock:
            doc = {"calls": st.counts, "user_groups_calls": st.user_groups_calls,
                   "groups": st.groups,
                   "account_groups": st.account_groups, "page_size": st.page_size,
                   "fail": st.failures}
            return handler._send(200, json.dumps(doc, ensure_ascii=False))
    parts = url.path.split("/")
    # "", "ex", product, cloudid, rest...
    if len(parts) < 5 or parts[2] not in PRODUCTS or not parts[3]:
        return handler._send(404, {"errorMessages": ["Not found"]})
    product = parts[2]
    cloud_id = urllib.parse.unquote(parts[3])
    rest = "/" + "/".join(parts[4:])
    wanted = {"jira": "/rest/api/3/myself",
              "confluence": "/wiki/rest/api/user/memberof"}[product]
    if product == "jira" and rest == "/rest/api/3/user/groups":
        return _jira_user_groups(handler, fake, cloud_id, url)
    if rest != wanted:
        return handler._send(404, {"errorMessages": ["No such resource"]})
    if handler.command != "GET":
        return handler._send(405, {"errorMessages": ["Method not allowed"]})
    st = _state(fake)
    with st.lock:
        st.counts[product][cloud_id] = st.counts[product].get(cloud_id, 0) + 1
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)

    info = handler._bearer()
    if info is None:
        return handler._send(401, UNAUTHORIZED)
    scopes = set((info.get("scope") or "").split())
    if not any(need <= scopes for need in SCOPES[product]):
        return handler._send(401, SCOPE_MISMATCH)
    site = _site_of(info, cloud_id)
    if site is False or (site is not None and not _site_has(site, product)):
        return handler._send(404, {"errorMessages": [
            "No %s on a site with this cloud id for this token" % product]})
    account = _account_of(info)

    if product == "jira":
        groups = _groups_of(st, account, cloud_id, product)
        start = None
    else:
        account = _one(query, "accountId")
        if not account:
            return handler._send(400, {"statusCode": 400,
                                       "message": "accountId is required"})
        try:
            start = int(_one(query, "start") or 0)
            limit = int(_one(query, "limit") or DEFAULT_PAGE_SIZE)
        except ValueError:
            return handler._send(400, {"statusCode": 400,
                                       "message": "start and limit must be numbers"})
        if start < 0 or limit < 1:
            return handler._send(400, {"statusCode": 400,
                                       "message": "start and limit out of range"})
        groups = _groups_of(st, account, cloud_id, product)

    f = _take_failure(st, product, cloud_id, start)
    mode = f["mode"] if f else None
    if mode == "stall":
        time.sleep(min(float(f.get("delay", 30)), MAX_STALL))
    elif mode == "scope":
        return handler._send(401, SCOPE_MISMATCH)
    elif mode == "unauthorized":
        return handler._send(401, UNAUTHORIZED)
    elif mode == "forbidden":
        return handler._send(403, {"errorMessages": [
            "You do not have the permission to see the specified resource."], "errors": {}})
    elif mode in ("ratelimit", "unavailable"):
        status = 429 if mode == "ratelimit" else 503
        headers = [("Retry-After", str(f.get("retry_after", 5)))]
        if mode == "ratelimit":
            headers += [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0")]
        return handler._send(status, {"code": status, "message": "Rate limit exceeded"
                                      if status == 429 else "Service unavailable"},
                             headers=headers)
    elif mode == "raw":
        body = f.get("body", b"")
        if not isinstance(body, (str, bytes, bytearray)):
            body = json.dumps(body, ensure_ascii=False)
        return handler._send(int(f.get("status", 200)), body)

    if product == "jira":
        expand = ",".join(query.get("expand", [])).split(",")
        return handler._send(200, _jira_answer(handler, fake, account, cloud_id, groups,
                                               "groups" in expand, mode))
    return handler._send(200, _confluence_answer(fake, site, cloud_id, account, groups,
                                                 start, limit, st, mode))


def _jira_user_groups(handler, fake, cloud_id, url):
    """GET .../rest/api/3/user/groups?accountId=: the complete list."""
    st = _state(fake)
    with st.lock:
        st.user_groups_calls += 1
        browse = st.browse_users
    if handler.command != "GET":
        return handler._send(405, {"errorMessages": ["Method not allowed"]})
    info = handler._bearer()
    if info is None:
        return handler._send(401, UNAUTHORIZED)
    scopes = set((info.get("scope") or "").split())
    if not ({"read:jira-user"} <= scopes or {"read:group:jira"} <= scopes):
        return handler._send(401, SCOPE_MISMATCH)
    site = _site_of(info, cloud_id)
    if site is False or (site is not None and not _site_has(site, "jira")):
        return handler._send(404, {"errorMessages": ["No jira on this site"]})
    account = _one(urllib.parse.parse_qs(url.query), "accountId")
    if not account:
        return handler._send(400, {"errorMessages": ["accountId is required"]})
    if not browse:
        return handler._send(403, {"errorMessages": [
            "You are not authorized to perform this operation. Please log in."],
            "errors": {}})
    items = _jira_items(fake, cloud_id, _groups_of(st, account, cloud_id, "jira"))
    return handler._send(200, items)


def _one(query, name):
    values = query.get(name)
    return values[0] if values else None


def _account_of(info):
    try:
        prof = json.loads(info["profile"])
        return prof.get("account_id") if isinstance(prof, dict) else None
    except (ValueError, TypeError, KeyError):
        return None


def _site_of(info, cloud_id):
    """The token's site with this cloud id (a dict); None when the sites
    are not a JSON list (no check), False when no site has it."""
    try:
        sites = json.loads(info["sites"])
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(sites, list):
        return None
    mine = [s for s in sites if isinstance(s, dict) and s.get("id") == cloud_id]
    if not mine:
        return False
    merged = dict(mine[0])
    merged["scopes"] = [sc for s in mine for sc in (s.get("scopes") or [])
                        if isinstance(sc, str)]
    return merged


def _site_has(site, product):
    words = {"jira": ("jira", "servicedesk"), "confluence": ("confluence",)}[product]
    for scope in site.get("scopes") or []:
        for part in scope.split(":"):
            if any(part == w or part.startswith(w + "-") for w in words):
                return True
    return False


def _groups_of(st, account, cloud_id, product):
    with st.lock:
        mine = st.account_groups.get(account, {}).get(cloud_id, {}) if account else {}
        if product in mine:
            return list(mine[product])
        return list(st.groups.get(cloud_id, {}).get(product, []))


def _take_failure(st, product, cloud_id, start):
    with st.lock:
        f = st.failures.get(product)
        if f is None:
            return None
        if f.get("site") is not None and f["site"] != cloud_id:
            return None
        if f.get("start") is not None and start is not None and int(f["start"]) != start:
            return None
        if f.get("times") is not None:
            f["times"] -= 1
            if f["times"] <= 0:
                del st.failures[product]
        return dict(f)


def _render(g, product):
    """One group entry as the product shows it."""
    if isinstance(g, str):
        # A plain name: Jira's older answers have no groupId at all;
        # Confluence's always carry an id.
        g = {"name": g} if product == "jira" else {"name": g, "id": None}
    g = dict(g)
    idkey, other = ("groupId", "id") if product == "jira" else ("id", "groupId")
    if idkey not in g and (other in g or product == "confluence"):
        g[idkey] = g.pop(other, None)
    if product == "confluence":
        g.setdefault("type", "group")
    return g


def _jira_items(fake, cloud_id, groups):
    items = [_render(g, "jira") for g in groups]
    base = "%s/ex/jira/%s" % (fake.base, urllib.parse.quote(cloud_id, safe=""))
    for g in items:
        if isinstance(g.get("name"), str):
            g.setdefault("self", base + "/rest/api/3/group?groupname="
                         + urllib.parse.quote(g["name"], safe=""))
    return items


def _jira_answer(handler, fake, account, cloud_id, groups, expanded, mode):
    items = _jira_items(fake, cloud_id, groups)
    base = "%s/ex/jira/%s" % (fake.base, urllib.parse.quote(cloud_id, safe=""))
    size = len(items)
    shown = items[:JIRA_MAX_RESULTS] if expanded else []
    if mode == "unexpanded":
        shown, size = [], 3
    elif mode == "incomplete":
        shown = shown[:-1]
        size = max(size, 1)
    return {"self": base + "/rest/api/3/user?accountId=" + urllib.parse.quote(account or ""),
            "accountId": account, "accountType": "atlassian", "emailAddress": None,
            "avatarUrls": {k: "https://secure.gravatar.com/avatar/0a1b2c?d=https%3A%2F%2F"
                              "avatar-management.example%2Finitials%2FFU-1.png&s=" + k[:2]
                           for k in ("48x48", "24x24", "16x16", "32x32")},
            "displayName": "Fake User", "active": True, "timeZone": None, "locale": "en_US",
            "groups": {"size": size, "items": shown, "max-results": JIRA_MAX_RESULTS},
            "applicationRoles": {"size": 1, "items": [], "max-results": 1000},
            "expand": "groups,applicationRoles"}


def _confluence_answer(fake, site, cloud_id, account, groups, start, limit, st, mode):
    limit = min(limit, st.page_size)
    page = [_render(g, "confluence") for g in groups[start:start + limit]]
    gw = "%s/ex/confluence/%s/wiki" % (fake.base, urllib.parse.quote(cloud_id, safe=""))
    for g in page:
        if isinstance(g.get("id"), str):
            g.setdefault("_links", {"self": gw + "/rest/api/group/by-id?id=" + g["id"]})
    size = len(page)
    if mode == "unexpanded":
        page, size = [], 3
    elif mode == "incomplete":
        page = page[:-1]
        size = max(size, 1)
    host = (site or {}).get("url") or "https://site.example"
    q = urllib.parse.urlencode([("accountId", account)])
    links = {"base": host.rstrip("/") + "/wiki", "context": "/wiki",
             "self": "%s/wiki/rest/api/user/memberof?%s" % (host.rstrip("/"), q)}
    if start + limit < len(groups):
        nxt = "/rest/api/user/memberof?%s&start=%d&limit=%d" % (q, start + limit, limit)
        with st.lock:
            style = st.next_style
        if style == "absolute":
            nxt = gw + nxt
        elif style == "foreign":
            nxt = "https://evil.example/wiki" + nxt
        links["next"] = nxt
    return {"results": page, "start": start, "limit": limit, "size": size,
            "totalSize": len(groups), "_links": links}
