"""Abort and cancellation, in every phase, sync and async, from other threads and tasks.

Each test starts the loop, waits (bounded) until the server shows the client is in the
phase under test, aborts, and checks that the loop ended quietly and that the server saw
the client go. The loop runs in a worker thread so that a broken abort shows up as a
thread still alive after the bound, never as a hung suite.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

import sse_post
from sse_post import AbortController, ReadyState, ReconnectPolicy

from .server import WAIT, SilentServer

BOUND = 5.0  # seconds: an abort that does not work would block far longer


@dataclass
class Loop:
    events: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    ended_at: float | None = None
    source: Any = None
    thread: threading.Thread | None = None
    first: threading.Event = field(default_factory=threading.Event)


def start_loop(mode: str, url: str, signal: Any, **options: Any) -> Loop:
    loop = Loop()
    options.setdefault("reconnect", False)

    def sync_target() -> None:
        try:
            with sse_post.EventSource(url, signal=signal, **options) as source:
                loop.source = source
                for event in source:
                    loop.events.append(event)
                    loop.first.set()
        except BaseException as exc:
            loop.error = exc
        loop.ended_at = time.monotonic()

    async def async_main() -> None:
        try:
            async with sse_post.AsyncEventSource(url, signal=signal, **options) as source:
                loop.source = source
                async for event in source:
                    loop.events.append(event)
                    loop.first.set()
        except BaseException as exc:
            loop.error = exc
        loop.ended_at = time.monotonic()

    def async_target() -> None:
        anyio.run(async_main, backend=mode)

    loop.thread = threading.Thread(
        target=sync_target if mode == "sync" else async_target, daemon=True
    )
    loop.thread.start()
    return loop


def finish(loop: Loop, aborted_at: float) -> float:
    assert loop.thread is not None
    loop.thread.join(BOUND)
    assert not loop.thread.is_alive(), "the loop did not end after abort"
    assert loop.error is None, repr(loop.error)
    assert loop.ended_at is not None
    assert loop.source.ready_state is ReadyState.CLOSED
    return loop.ended_at - aborted_at


@pytest.fixture(params=["sync", "asyncio", "trio"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_abort_before_start_sends_nothing(mode, server):
    url = server.route(lambda h: h.respond(500))
    controller = AbortController()
    controller.abort("not needed")
    loop = start_loop(mode, url, controller.signal)
    finish(loop, time.monotonic())
    assert server.requests_to(url) == []
    assert loop.events == []
    assert controller.signal.reason == "not needed"


def test_abort_while_connecting(mode):
    silent = SilentServer()  # accepts TCP, never answers the TLS handshake
    try:
        controller = AbortController()
        loop = start_loop(mode, f"https://127.0.0.1:{silent.port}/", controller.signal)
        assert silent.accepted.wait(WAIT)
        aborted_at = time.monotonic()
        controller.abort()
        finish(loop, aborted_at)
        assert silent.client_gone.wait(WAIT)
    finally:
        silent.stop()


def test_abort_while_waiting_for_headers(mode, server):
    reached = threading.Event()

    def script(h):
        reached.set()
        h.wait_client_gone()

    url = server.route(script)
    controller = AbortController()
    loop = start_loop(mode, url, controller.signal, method="POST", json={"q": 1})
    assert reached.wait(WAIT)
    aborted_at = time.monotonic()
    controller.abort()
    finish(loop, aborted_at)
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


def test_abort_while_blocked_reading_a_silent_stream(mode, server):
    def script(h):
        h.start()
        h.send(b"data: first\n\n")
        h.wait_client_gone()

    url = server.route(script)
    controller = AbortController()
    loop = start_loop(mode, url, controller.signal, method="POST")
    assert loop.first.wait(WAIT)
    assert [e.data for e in loop.events] == ["first"]
    aborted_at = time.monotonic()
    controller.abort()
    finish(loop, aborted_at)
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


def test_abort_with_an_idle_timeout_running(mode, server):
    def script(h):
        h.start()
        h.send(b"data: first\n\n")
        h.wait_client_gone()

    url = server.route(script)
    controller = AbortController()
    threads_before = set(threading.enumerate())
    loop = start_loop(mode, url, controller.signal, method="POST", idle_timeout=60)
    assert loop.first.wait(WAIT)
    aborted_at = time.monotonic()
    controller.abort()
    finish(loop, aborted_at)
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(WAIT)  # the idle watch stops with the source, not after 60 s
        assert not thread.is_alive(), thread.name


def test_abort_during_reconnect_wait(mode, server):
    dropped = threading.Event()

    def script(h):
        h.start()
        h.send(b"retry: 60000\nid: 1\ndata: x\n\n")
        h.drop()
        dropped.set()

    url = server.route(script)
    controller = AbortController()
    policy = ReconnectPolicy(initial_delay=60, max_delay=120, jitter=0)
    loop = start_loop(mode, url, controller.signal, reconnect=policy)
    assert dropped.wait(WAIT)
    aborted_at = time.monotonic()
    controller.abort()
    finish(loop, aborted_at)
    assert len(server.requests_to(url)) == 1


def test_one_signal_serves_many_sources(server):
    def script(h):
        h.start()
        h.send(b"data: hi\n\n")
        h.wait_client_gone()

    controller = AbortController()
    loops = [
        start_loop(mode, server.route(script), controller.signal)
        for mode in ("sync", "asyncio", "trio")
    ]
    assert all(loop.first.wait(WAIT) for loop in loops)
    aborted_at = time.monotonic()
    controller.abort()
    for loop in loops:
        finish(loop, aborted_at)


def test_sync_close_from_another_thread(server):
    def script(h):
        h.start()
        h.send(b"data: hi\n\n")
        h.wait_client_gone()

    url = server.route(script)
    source = sse_post.EventSource(url, method="POST")
    got = []
    events_seen = threading.Event()

    def closer():
        assert events_seen.wait(WAIT)
        source.close()

    thread = threading.Thread(target=closer, daemon=True)
    thread.start()
    for event in source:
        got.append(event.data)
        events_seen.set()
    thread.join(BOUND)
    assert got == ["hi"]
    assert source.ready_state is ReadyState.CLOSED
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


def test_sync_break_closes_the_response(server):
    def script(h):
        h.start()
        h.send(b"data: 1\n\ndata: 2\n\n")
        h.wait_client_gone()

    url = server.route(script)
    source = sse_post.EventSource(url)
    for event in source:
        assert event.data == "1"
        break
    assert source.ready_state is ReadyState.CLOSED
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


def test_close_inside_the_loop_ends_it(server):
    url = server.route(
        lambda h: (h.start(), h.send(b"data: 1\n\ndata: 2\n\n"), h.wait_client_gone())
    )
    with sse_post.EventSource(url) as source:
        seen = []
        for event in source:
            seen.append(event.data)
            source.close()
    assert seen == ["1"]


@pytest.mark.anyio
async def test_abort_from_another_task(server):
    def script(h):
        h.start()
        h.send(b"data: 1\n\n")
        h.wait_client_gone()

    url = server.route(script)
    controller = AbortController()
    seen = []
    first = anyio.Event()
    async with sse_post.AsyncEventSource(url, signal=controller.signal) as source:
        async with anyio.create_task_group() as tg:

            async def consume() -> None:
                async for event in source:
                    seen.append(event.data)
                    first.set()

            tg.start_soon(consume)
            await first.wait()
            controller.abort()
    assert seen == ["1"]
    assert source.ready_state is ReadyState.CLOSED
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


@pytest.mark.anyio
async def test_aclose_from_another_task(server):
    url = server.route(lambda h: (h.start(), h.send(b"data: 1\n\n"), h.wait_client_gone()))
    source = sse_post.AsyncEventSource(url)
    seen = []
    first = anyio.Event()
    async with anyio.create_task_group() as tg:

        async def consume() -> None:
            async for event in source:
                seen.append(event.data)
                first.set()

        tg.start_soon(consume)
        await first.wait()
        await source.aclose()
    assert seen == ["1"]
    assert source.ready_state is ReadyState.CLOSED


@pytest.mark.anyio
async def test_outside_cancellation_propagates_and_is_not_retried(server):
    def script(h):
        h.start()
        h.send(b"id: 1\ndata: 1\n\n")
        h.wait_client_gone()

    url = server.route(script)
    source = sse_post.AsyncEventSource(url, reconnect=ReconnectPolicy(initial_delay=0))
    seen = []
    with anyio.CancelScope() as scope:
        async for event in source:
            seen.append(event.data)
            scope.cancel()
    assert scope.cancelled_caught
    assert seen == ["1"]
    assert source.ready_state is ReadyState.CLOSED
    assert server.requests_to(url)[0].client_gone.wait(WAIT)
    assert len(server.requests_to(url)) == 1


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_asyncio_task_cancel_closes_the_connection(server, anyio_backend):
    import asyncio

    url = server.route(lambda h: (h.start(), h.send(b"data: 1\n\n"), h.wait_client_gone()))
    source = sse_post.AsyncEventSource(url)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in source:
            first.set()

    task = asyncio.ensure_future(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert source.ready_state is ReadyState.CLOSED
    assert server.requests_to(url)[0].client_gone.wait(WAIT)
