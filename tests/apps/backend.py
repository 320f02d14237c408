#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A small application for mod_proxy to forward to: it answers every request
with what it received. mode "json" (tests): a JSON object with the method,
path, headers (as a list of [name, value]) and body. mode "html" (demo): an
HTML page listing the X-Atlassian-* headers. Binds 127.0.0.1 only."""

import html
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestBackend/1.0"

    def log_message(self, fmt, *args):
        pass

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 1 << 20)) if n > 0 else b""
        headers = [[k, v] for k, v in self.headers.items()]
        with self.server.lock:
            self.server.seen.append({"method": self.command, "path": self.path,
                                     "headers": headers})
            del self.server.seen[:-200]
        if self.server.mode == "html":
            rows = "".join(
                "<tr><th>%s</th><td>%s</td></tr>" % (html.escape(k), html.escape(v))
                for k, v in headers if k.lower().startswith("x-atlassian-"))
            out = ("<!doctype html><html><head><meta charset=\"utf-8\">"
                   "<title>Sample app</title></head><body>"
                   "<h1>Sample application behind mod_proxy</h1>"
                   "<p>These are the identity headers mod_auth_atlassian "
                   "added to the request:</p><table border=\"1\">%s</table>"
                   "<p><a href=\"/\">Home</a></p></body></html>"
                   % (rows or "<tr><td>(none)</td></tr>")).encode()
            ctype = "text/html; charset=utf-8"
        else:
            out = json.dumps({"method": self.command, "path": self.path,
                              "headers": headers,
                              "body": body.decode("utf-8", "replace")}).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _answer


class Backend:
    def __init__(self, mode="json", port=0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.server.mode = mode
        self.server.seen = []
        self.server.lock = threading.Lock()
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def seen(self):
        with self.server.lock:
            return list(self.server.seen)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


if __name__ == "__main__":
    b = Backend(mode=sys.argv[1] if len(sys.argv) > 1 else "json",
                port=int(sys.argv[2]) if len(sys.argv) > 2 else 0).start()
    print("backend on http://127.0.0.1:%d/" % b.port, flush=True)
    try:
        b.thread.join()
    except KeyboardInterrupt:
        b.stop()
