# SPDX-License-Identifier: Apache-2.0
"""Outbound connections: consecutive logins in one httpd child reuse one
connection per Atlassian host (libcurl handles kept between calls), and a
failed call never leaves a broken connection behind."""

import atlharness as H

CGI = "/protected/cgi/printenv.cgi"

# One child, so that every login lands in the same process.
OPTS = {"server_extra": "StartServers 1\nServerLimit 1\nMaxRequestWorkers 25\n"
                        "MinSpareThreads 1\nMaxSpareThreads 25\n"}


def test_consecutive_logins_reuse_one_connection(make_httpd, fake):
    h = make_httpd(**OPTS)
    # Warm up: the first login opens the connection.
    h.browser().login()
    before = fake.connections_accepted
    for _ in range(5):
        b = h.browser()
        assert b.login().status == 200
    # The browser's own requests to /authorize are connections too: one
    # per login (http.client does not keep them). The module adds none.
    assert fake.connections_accepted - before == 5, fake.connections_accepted - before


def test_a_failed_call_does_not_poison_the_next(make_httpd, fake):
    h = make_httpd(**OPTS)
    h.browser().login()
    fake.fail("/oauth/token", 500, '{"error":"server_error"}', times=1)
    b, q, cb = H.pending(h)
    assert b.get(cb).status == 502
    assert h.browser().login().status == 200
