"""HTTP/2: several event streams multiplexed on one connection to a local h2c server
(hypercorn); aborting one leaves the others running."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

import sse_post

from .server import WAIT

pytestmark = pytest.mark.anyio

CLIENT_PORTS: list[int] = []
EVENTS = 30


async def stream(request: Request) -> StreamingResponse:
    assert request.client is not None
    CLIENT_PORTS.append(request.client.port)

    async def events() -> AsyncIterator[bytes]:
        for n in range(1, EVENTS + 1):
            yield b"id: %d\ndata: %d\n\n" % (n, n)
            await anyio.sleep(0.002)  # paces the stream, so that an abort lands mid-way

    return StreamingResponse(events(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def h2c_url() -> Iterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # listening already; hypercorn owns and closes it
    config.loglevel = "WARNING"
    app = Starlette(routes=[Route("/stream", stream)])
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
        ready.set()
        await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(WAIT)
    yield f"http://127.0.0.1:{port}/stream"
    holder["loop"].call_soon_threadsafe(holder["stop"].set)  # type: ignore[attr-defined]
    thread.join(WAIT)


async def test_abort_one_stream_of_several_on_one_connection(h2c_url):
    CLIENT_PORTS.clear()
    aborted = sse_post.AbortController()
    results: dict[int, list[str]] = {}
    versions: set[str] = set()

    async def consume(i: int, client: httpx.AsyncClient) -> None:
        signal = aborted.signal if i == 0 else None
        got: list[str] = []
        async with sse_post.AsyncEventSource(
            h2c_url, client=client, signal=signal, reconnect=False
        ) as source:
            async for event in source:
                assert source.response is not None
                versions.add(source.response.http_version)
                got.append(event.data)
                if i == 0 and len(got) == 3:
                    aborted.abort()
        results[i] = got

    async with (
        httpx.AsyncClient(http1=False, http2=True) as client,
        anyio.create_task_group() as tg,
    ):
        for i in range(4):
            tg.start_soon(consume, i, client)
    assert versions == {"HTTP/2"}
    assert len(set(CLIENT_PORTS)) == 1  # one connection carried every stream
    assert results[0] == ["1", "2", "3"]
    for i in (1, 2, 3):
        assert results[i] == [str(n) for n in range(1, EVENTS + 1)]


def _h2_connection(stream: object) -> object:
    # What h2_reset and h2_wake read of an httpcore HTTP/2 connection, stream 1 open.
    import h2.config
    import h2.connection

    class Connection:
        pass

    state = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    state.initiate_connection()
    state.send_headers(
        1, [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "x")]
    )
    state.data_to_send()
    connection = Connection()
    connection._h2_state = state  # type: ignore[attr-defined]
    connection._write_lock = threading.Lock()  # type: ignore[attr-defined]
    connection._network_stream = stream  # type: ignore[attr-defined]
    connection._events = {1: []}  # type: ignore[attr-defined]
    return connection


@pytest.mark.parametrize("frame", ["wake", "reset"])
def test_frames_from_another_thread_leave_the_socket_mode_alone(frame: str) -> None:
    # A reader thread owns the socket's timeout (httpcore sets it before each recv). A
    # frame sent from another thread through httpcore's stream would set it too, and the
    # two settimeout calls can interleave into a blocking timeout on a non-blocking
    # descriptor: the reader's recv then fails with EAGAIN and the connection is lost.
    from httpcore._backends.sync import SyncStream

    from sse_post import _httpcore

    ours, theirs = socket.socketpair()
    try:
        ours.settimeout(5.0)  # as the reader last left it
        connection: Any = _h2_connection(SyncStream(ours))
        if frame == "wake":
            _httpcore.h2_wake((connection, 1))
            assert [type(e).__name__ for e in connection._events[1]] == ["StreamReset"]
            frame_type = 0x6  # PING
        else:
            _httpcore.h2_reset((connection, 1))
            frame_type = 0x3  # RST_STREAM
        theirs.settimeout(WAIT)
        sent = theirs.recv(64)
        assert sent[3] == frame_type, sent
        assert ours.gettimeout() == 5.0
    finally:
        ours.close()
        theirs.close()


def test_frames_on_a_stream_of_another_kind_go_through_its_write() -> None:
    # A TLS-in-TLS stream (HTTPS through an HTTPS proxy) names the tunnel's socket: our
    # frames written there in clear would break the connection.
    from sse_post import _httpcore

    class Tunnel:
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def get_extra_info(self, name: str) -> object:
            raise AssertionError(f"asked for {name!r}: the tunnel's socket must not be used")

        def write(self, data: bytes, timeout: float | None = None) -> None:
            self.written.append(data)

    tunnel = Tunnel()
    _httpcore.h2_reset((_h2_connection(tunnel), 1))
    assert len(tunnel.written) == 1
    assert tunnel.written[0][3] == 0x3  # RST_STREAM
