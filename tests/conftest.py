# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures for the integration tests of mod_auth_atlassian.

  certs        session: test CA, server cert for 127.0.0.1, a wrong CA
  fake_server  session: the fake Atlassian over TLS (auto-approve)
  fake         function: the same, reset before the test
  backend      session: the proxied application (answers JSON of what it got)
  httpd        module: apache2 with the module and the base configuration
               (a test module may set HTTPD_OPTIONS = {...})
  make_httpd   function: factory for an httpd with special directives
  browser      function: a fresh browser for the module's httpd
  log_guard    autouse: after each test, [error] or worse lines in any
               httpd's error log fail the test unless allowed with
               log_guard.allow(regex) or @pytest.mark.allow_log_errors(regex...);
               a crashed child always fails it.
"""

import os
import sys

import pytest

# tests/ for apps/, tests/lib/ for the harness, the kits and the stand-in.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import atlharness as H  # noqa: E402
import fake_atlassian  # noqa: E402
from apps.backend import Backend  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_log_errors(*regex): [error] lines "
                            "matching one of these do not fail the test")
    config.addinivalue_line("markers", "package: builds and installs the Debian package "
                            "(about a minute; deselect with -m 'not package')")


def _need_module():
    if not H.MODULE:
        pytest.skip("ATL_MODULE is not set (run through tests/run-integration or make check)")
    if not os.path.isfile(H.MODULE):
        pytest.fail("ATL_MODULE=%s does not exist" % H.MODULE)
    if not os.path.isfile(H.HTTPD_BIN):
        pytest.fail("ATL_HTTPD=%s does not exist" % H.HTTPD_BIN)


@pytest.fixture(scope="session")
def certs():
    return fake_atlassian.make_certs(H.make_tmpdir("certs"))


@pytest.fixture(scope="session")
def fake_server(certs):
    f = fake_atlassian.start(port=0, tls=True, certs=certs, client_id=H.CLIENT_ID,
                             client_secret=H.CLIENT_SECRET, auto_approve=True)
    yield f
    f.stop()


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture(scope="session")
def backend():
    b = Backend("json").start()
    yield b
    b.stop()


def _stop_and_check(h):
    h.stop()
    crashed = H.crash_lines(h.read_log())
    assert not crashed, "httpd child crashed:\n" + "\n".join(crashed)


@pytest.fixture(scope="module")
def httpd(request, fake_server, backend, certs):
    _need_module()
    opts = dict(getattr(request.module, "HTTPD_OPTIONS", {}))
    h = H.Httpd(fake_server, backend, certs, **opts)
    h.start()
    yield h
    _stop_and_check(h)


@pytest.fixture
def make_httpd(fake_server, backend, certs):
    _need_module()
    started = []

    def factory(start=True, **opts):
        h = H.Httpd(fake_server, backend, certs, **opts)
        if start:
            h.start()
        started.append(h)
        return h

    yield factory
    for h in started:
        _stop_and_check(h)


@pytest.fixture
def cluster(fake_server, backend, certs, fake):
    """Three httpd nodes behind mod_proxy_balancer (nodes.Cluster), made by
    calling the fixture with the cluster's options; stopped after the test."""
    import nodes

    started = []

    def factory(**opts):
        c = nodes.Cluster(fake_server, backend, certs, **opts).start()
        started.append(c)
        return c

    yield factory
    for c in started:
        c.stop()


@pytest.fixture
def browser(httpd, fake):
    return httpd.browser()


class LogGuard:
    def __init__(self):
        self.allowed = []

    def allow(self, *patterns):
        self.allowed.extend(patterns)


@pytest.fixture(autouse=True)
def log_guard(request):
    guard = LogGuard()
    for m in request.node.iter_markers("allow_log_errors"):
        guard.allow(*m.args)
    marks = {id(h): h.log_size() for h in H.Httpd.registry}
    yield guard
    problems = []
    for h in H.Httpd.registry:
        text = h.read_log(marks.get(id(h), 0))
        if not text:
            continue
        problems += ["crash: " + l for l in H.crash_lines(text)]
        import re
        for line in H.log_errors(text):
            if not any(re.search(p, line) for p in guard.allowed):
                problems.append(line)
    if problems:
        pytest.fail("unexpected lines in httpd's error log:\n" + "\n".join(problems[:30]),
                    pytrace=False)
