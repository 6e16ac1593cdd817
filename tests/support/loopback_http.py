# SPDX-License-Identifier: MIT
"""The loopback HTTP server of the Python tests (the C tests have httpd.c).

Server(handler) listens on 127.0.0.1 on a free port (origin: its base URL),
serves each connection in a daemon thread, and start() runs it in one;
shutdown() stops it. `lock` guards whatever the test counts in the server.
Handler is a quiet request handler with reply(): a body as a page, or 404.
serve_directory(root) serves the files under root."""

import functools
import http.server
import socketserver
import threading


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler):
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), handler)
        self.origin = "http://127.0.0.1:%d" % self.server_address[1]

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body, kind="text/html; charset=utf-8"):
        """200 with body (str) as kind, with its length; 404 when None."""
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_directory(root):
    """The files under root, served and started."""
    return Server(functools.partial(_QuietFiles, directory=root)).start()
