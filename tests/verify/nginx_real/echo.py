"""Upstream echo servers: one listening port per Service:port, answering 200 with a JSON body that says which
Service:port answered and what it received (path with query, Host header, request headers)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps({
            "service": self.server.ref,
            # the request-target as received (http.server collapses a leading "//" in self.path)
            "path": self.requestline.split(" ")[1],
            "host": self.headers.get("Host"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # NGINX may open many connections at once


class EchoServers:
    """Started on demand, one per ``namespace/service:port`` reference, all on 127.0.0.1; ``close()`` stops them."""

    def __init__(self) -> None:
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    def port(self, ref: str) -> int:
        with self._lock:
            server = self._servers.get(ref)
            if server is None:
                server = _Server(("127.0.0.1", 0), _Echo)
                server.ref = ref
                threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True, name=f"echo {ref}").start()
                self._servers[ref] = server
            return server.server_address[1]

    def close(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.shutdown()
                server.server_close()
            self._servers.clear()
