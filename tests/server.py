"""A small scripted HTTP server on 127.0.0.1 for exact byte-level client tests.

Each test registers a script (a function of the request handler) under a fresh path and
gets its URL. The handler offers the moves a test needs: send headers, write and flush
bytes (chunked or close-delimited), drop the connection with a FIN or a reset, and wait,
bounded in time, for the client to go away. Every request is recorded (method, path,
headers, body) for assertions. Nothing here sleeps: scripts synchronise on events.
"""

from __future__ import annotations

import itertools
import select
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT = 10.0  # the longest any script waits for anything


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_gone: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return None

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, OSError):
            self.close_connection = True

    def _any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.recorded = Recorded(self.command, self.path, headers, body)
        self.server.owner.requests.append(self.recorded)
        self.server.owner.request_seen.set()
        script = self.server.owner.routes.get(self.path.split("?")[0])
        self.chunked = False
        if script is None:
            self.start(404, content_type="text/plain")
            self.send(b"no such script")
            self.end()
            return
        script(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    # --- moves for scripts ------------------------------------------------------------
    def start(
        self,
        status: int = 200,
        *,
        content_type: str = "text/event-stream",
        headers: dict[str, str] | None = None,
        chunked: bool = True,
        length: int | None = None,
    ) -> None:
        """Send the status line and headers. Without chunking or a length, the body is
        close-delimited."""
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.chunked = chunked and length is None and status != 204
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif length is not None:
            self.send_header("Content-Length", str(length))
        elif status != 204:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.flush()

    def send(self, data: bytes) -> None:
        if not data:
            return
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.wfile.write(data)
        self.wfile.flush()

    def end(self) -> None:
        if self.chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        else:
            self.close_connection = True

    def respond(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.start(status, content_type=content_type, headers=headers, length=len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def drop(self, *, reset: bool = False) -> None:
        """Cut the connection: a FIN, or a TCP reset with ``reset=True``."""
        self.wfile.flush()
        self.close_connection = True
        if reset:
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        else:
            self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the script dropped the connection

    def wait_client_gone(self, timeout: float = WAIT) -> bool:
        """Block until the client closes its side (or ``timeout``); record it."""
        sock = self.connection
        ready, _, _ = select.select([sock], [], [], timeout)
        if ready:
            try:
                data = sock.recv(1024)
            except OSError:
                data = b""
            if not data:
                self.recorded.client_gone.set()
                self.close_connection = True
                return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # many clients connect at once in the concurrency tests
    owner: ScriptedServer


class ScriptedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Callable[[Handler], None]] = {}
        self.requests: list[Recorded] = []
        self.request_seen = threading.Event()
        self._counter = itertools.count()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(WAIT)

    def route(self, script: Callable[[Handler], None]) -> str:
        path = f"/s{next(self._counter)}"
        self.routes[path] = script
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_to(self, url: str) -> list[Recorded]:
        path = "/" + url.split("/", 3)[3].split("?")[0]
        return [r for r in self.requests if r.path.split("?")[0] == path]


class SilentServer:
    """Accepts TCP connections and never says a word: a TLS handshake against it hangs,
    which is the "connecting" phase. Bounded: it closes everything on stop()."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.accepted = threading.Event()
        self.client_gone = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._sock.settimeout(WAIT)
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            self.accepted.set()
            ready, _, _ = select.select([conn], [], [], WAIT)
            while ready and not self._stop.is_set():
                try:
                    if not conn.recv(4096):
                        self.client_gone.set()
                        return
                except OSError:
                    self.client_gone.set()
                    return
                ready, _, _ = select.select([conn], [], [], WAIT)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(WAIT)
