# SPDX-License-Identifier: Apache-2.0
"""What the module shares through AtlassianCache is bound to the key it
is stored under: a value moved to another key (by whoever can write to the
cache: memcached and redis have no per-key access rules) does not unseal
there. Here one login's group check, copied in redis-server to the key of
another login, does not grant the second login the group."""

import subprocess
import time

import pytest

import groupkit as G
import fake_products as P
import nodes as N

pytestmark = pytest.mark.allow_log_errors(r"AH01631:")

INTERVAL = 4


@pytest.fixture(scope="module")
def redis():
    r = N.Redis().start()
    yield r
    r.stop()


def cli(redis, *args):
    out = subprocess.run(["redis-cli", "-p", str(redis.port)] + list(args),
                         stdout=subprocess.PIPE, check=True)
    return out.stdout


def group_keys(redis):
    """The keys of shared group checks: mod_socache_redis stores the
    module's key ("atl:groups:<keyed hash>") in hex after its prefix."""
    keys = set()
    for k in cli(redis, "--raw", "KEYS", "*").decode().split("\n"):
        name = k.partition(":")[2]
        try:
            if b"groups:" in bytes.fromhex(name):
                keys.add(k)
        except ValueError:
            pass
    return keys


def test_group_check_moved_to_another_login_is_refused(make_httpd, fake, redis):
    opts = G.options(fake, interval=INTERVAL)
    opts["server_extra"] = (
        'LoadModule socache_redis_module "%s/mod_socache_redis.so"\n' % N.H.MODULES_DIR
        + "AtlassianCache %s\n" % redis.spec + opts["server_extra"])
    h = make_httpd(**opts)
    # A is a member when it logs in; B, a second later, is not.
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    a = h.browser()
    assert G.login(a).status == 200
    time.sleep(1.1)
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    b = h.browser()
    assert G.login(b).status == 403
    # B's check is due: it asks again and shares its outcome under its key.
    time.sleep(INTERVAL + 0.2)
    before = group_keys(redis)
    assert b.get(G.page("g-name")).status == 403
    key_b = group_keys(redis) - before
    assert len(key_b) == 1, key_b
    # A, a member again, a moment later: its outcome under its own key.
    time.sleep(1.5)
    P.set_groups(fake, G.ACME, jira=[G.ADMINS])
    before = group_keys(redis)
    assert a.get(G.page("g-name")).status == 200
    key_a = group_keys(redis) - before
    assert len(key_a) == 1, key_a
    # A's outcome, newer than B's, copied over B's key.
    value = cli(redis, "--raw", "GET", next(iter(key_a))).rstrip(b"\n")
    cli(redis, "SET", next(iter(key_b)), value, "EX", "60")
    P.set_groups(fake, G.ACME, jira=["jira-users"])
    asked = P.calls(fake, "jira", G.ACME)
    # B's next check: the copied value is not B's, so B asks Atlassian.
    time.sleep(INTERVAL - 1.5 + 0.3)
    r = b.get(G.page("g-name"))
    assert r.status == 403, r
    assert P.calls(fake, "jira", G.ACME) == asked + 1

