"""Servers that hold a client in one phase of a stream, and tell the test when it is there.

Every phase has a probe: ``reached`` is set once the client is in the phase (the server
got the request, sent the first event, accepted the TCP connection...), ``gone`` once the
server sees the client leave (HTTP/1.1: the connection closes; HTTP/2: the ASGI app gets
``http.disconnect``, which hypercorn sends when the stream is reset or the connection
closes). Tests synchronise on these events; nothing here sleeps to wait for a phase.

- HTTP/1.1 scripts run on the suite's ``ScriptedServer`` (``tests/server.py``).
- ``H2Server``: hypercorn speaking h2c with prior knowledge, and a raw ASGI app.
- ``Backlog``: a loopback listener whose accept queue is full, so a connect hangs.
- ``Mute``: accepts TCP and never answers, so a TLS handshake hangs.

Each server is bounded: a script waits at most ``LINGER`` seconds for the client.
"""

from __future__ import annotations

import asyncio
import itertools
import select
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from .kernel import poll, rx_queue, tcp_entries
from .server import WAIT

LINGER = 5.0  # the longest a script holds a client that did not leave


@dataclass
class Probe:
    reached: threading.Event = field(default_factory=threading.Event)
    gone: threading.Event = field(default_factory=threading.Event)
    ports: list[int] = field(default_factory=list)  # client port of each request
    gone_at: float | None = None  # time.monotonic() when the server saw the client go
    versions: list[str] = field(default_factory=list)  # HTTP version of each request (h2)

    def leave(self) -> None:
        self.gone_at = time.monotonic()
        self.gone.set()

    def gone_within(self, seconds: float) -> bool:
        return self.gone.wait(max(seconds, 0.0))


# --- HTTP/1.1 scripts (for ScriptedServer.route) ---------------------------------------
def _hold(h: Any, probe: Probe) -> None:
    probe.reached.set()
    if h.wait_client_gone(LINGER):
        probe.leave()


def h1_script(kind: str, probe: Probe) -> Callable[[Any], None]:
    def script(h: Any) -> None:
        probe.ports.append(h.client_address[1])
        if kind == "ok":
            h.respond(200, b"ok")
        elif kind == "hang":
            _hold(h, probe)
        elif kind == "error-body":
            # A 503 whose body stops half-way: the client is reading the error excerpt.
            h.start(503, content_type="text/plain", length=2000)
            h.wfile.write(b"overloaded, ")
            h.wfile.flush()
            _hold(h, probe)
        elif kind == "silent":
            h.start()
            h.send(b"id: 1\ndata: first\n\n")
            _hold(h, probe)
        elif kind == "retry":
            h.start()
            h.send(b"retry: 60000\ndata: first\n\n")
            h.end()
        elif kind == "unavailable":
            h.respond(503, b"busy", headers={"Retry-After": "60"})
        else:  # pragma: no cover - a typo in a table
            raise AssertionError(kind)

    return script


# --- HTTP/2 ---------------------------------------------------------------------------
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


async def _start(send: Send, status: int, ctype: bytes, extra: list[Any] | None = None) -> None:
    headers = [(b"content-type", ctype), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def _body(send: Send, data: bytes, *, more: bool) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})


class H2Server:
    """hypercorn on 127.0.0.1 with a scripted raw ASGI app; h2c with prior knowledge."""

    def __init__(self) -> None:
        self.probes: dict[str, Probe] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self._tags = itertools.count()
        sock = socket.create_server(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._config = Config()
        self._config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns and closes it
        self._config.loglevel = "WARNING"
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.name = "phases-h2-server"

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(WAIT)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(WAIT)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await serve(self._app, self._config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

    def url(self, kind: str, probe: Probe) -> str:
        tag = str(next(self._tags))
        self.probes[tag] = probe
        return f"http://127.0.0.1:{self.port}/{kind}?tag={tag}"

    def open_gate(self, url: str) -> None:
        """Lets a ``paced`` stream go on past its first event."""
        tag = url.rsplit("tag=", 1)[1]
        self._loop.call_soon_threadsafe(lambda: self._gate(tag).set())

    def _gate(self, tag: str) -> asyncio.Event:
        return self._gates.setdefault(tag, asyncio.Event())

    async def _app(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        tag = scope["query_string"].decode().rsplit("tag=", 1)[1]
        probe = self.probes[tag]
        probe.ports.append(scope["client"][1])
        probe.versions.append(scope["http_version"])
        kind = scope["path"].strip("/")
        if kind == "ok":
            await _start(send, 200, b"text/plain")
            await _body(send, b"ok", more=False)
            return
        if kind == "hang":
            pass
        elif kind == "error-body":
            await _start(send, 503, b"text/plain", [(b"content-length", b"2000")])
            await _body(send, b"overloaded, ", more=True)
        elif kind in ("silent", "paced"):
            await _start(send, 200, b"text/event-stream")
            await _body(send, b"id: 1\ndata: 1\n\n", more=True)
            if kind == "paced":
                # Keep-alives while held: in httpcore's HTTP/2 the task blocked reading
                # holds the connection's read lock, and a sibling stream's frames wait
                # until some frame reaches it (httpcore's starvation, not the abort's).
                gate = self._gate(tag)
                for _ in range(int(LINGER / 0.05)):
                    if gate.is_set():
                        break
                    await _body(send, b": keep-alive\n\n", more=True)
                    try:
                        await asyncio.wait_for(gate.wait(), 0.05)
                    except TimeoutError:
                        pass
                for n in range(2, PACED + 1):
                    await _body(send, b"id: %d\ndata: %d\n\n" % (n, n), more=True)
                await _body(send, b"", more=False)
                return
        elif kind == "retry":
            await _start(send, 200, b"text/event-stream")
            await _body(send, b"retry: 60000\ndata: first\n\n", more=False)
            return
        elif kind == "unavailable":
            await _start(send, 503, b"text/plain", [(b"retry-after", b"60")])
            await _body(send, b"busy", more=False)
            return
        probe.reached.set()
        try:
            async with asyncio.timeout(LINGER):
                while (await receive())["type"] != "http.disconnect":
                    pass
            probe.leave()
        except TimeoutError:
            return


PACED = 20  # events of a paced stream


# --- connect and TLS phases -----------------------------------------------------------
SYN_SENT = "02"


def wait_drained(probe: Probe, server_port: int, timeout: float = WAIT) -> bool:
    """Until the client has read everything the server sent on the probe's last
    connection: then it has the response head and is reading on (the error excerpt)."""
    return probe.reached.wait(timeout) and poll(
        lambda: rx_queue(probe.ports[-1], server_port) == 0, timeout
    )


class Backlog:
    """A listener with ``listen(0)`` whose one queue slot is taken: on Linux further SYNs
    go unanswered, so a client's TCP connect hangs until it gives up."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self.port = self._sock.getsockname()[1]
        self._filler = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)

    def connecting(self) -> int:
        """How many sockets are in SYN_SENT towards this listener."""
        return sum(
            1
            for _, rport, state, _, _ in tcp_entries()
            if rport == self.port and state == SYN_SENT
        )

    def wait_connecting(self, timeout: float = WAIT) -> bool:
        return poll(lambda: self.connecting() > 0, timeout)

    def gone_within(self, seconds: float) -> bool:
        return poll(lambda: self.connecting() == 0, seconds)

    def close(self) -> None:
        self._filler.close()
        self._sock.close()


class Mute:
    """Accepts one TCP connection and never says a word; ``gone`` once the client closes."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.probe = Probe()
        self._thread = threading.Thread(target=self._run, daemon=True, name="phases-mute")
        self._thread.start()

    def _run(self) -> None:
        self._sock.settimeout(LINGER)
        try:
            conn, _ = self._sock.accept()
        except OSError:
            return
        with conn:
            self.probe.reached.set()
            deadline = time.monotonic() + LINGER
            while (left := deadline - time.monotonic()) > 0:
                if select.select([conn], [], [], left)[0]:
                    try:
                        if conn.recv(4096):
                            continue  # the ClientHello
                    except OSError:
                        pass
                    self.probe.leave()
                    return

    def close(self) -> None:
        self._sock.close()
        self._thread.join(WAIT)
