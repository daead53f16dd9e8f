"""What ``async for`` iterates over an AsyncEventSource, in both implementations: the
pure-Python ``_PyIterator`` (each call is the source's ``__anext__``) and the compiled
core's ``QueueIterator``, which returns a queued event without that coroutine. Each test
reaches the iterator the way ``async for`` does (``anext(it)``), on asyncio and trio,
against the scripted server; the C run is skipped where the core was not built."""

from __future__ import annotations

import sys
import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import sse_post
from sse_post import _async_client
from sse_post._parser import SPEEDUPS

from .parser_impls import BOTH, core

pytestmark = pytest.mark.anyio
EVERY = _async_client._SCHEDULE_EVERY


@pytest.fixture(params=BOTH)
def iterator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(_async_client, "_Iterator", _async_client._PyIterator)
    else:
        # What _async_client makes of the core's QueueIterator where the core is in use.
        compiled = type(
            "_CIterator",
            (core().QueueIterator,),
            {"__slots__": (), "__del__": _async_client._PyIterator.__del__},
        )
        monkeypatch.setattr(_async_client, "_Iterator", compiled)
    return str(request.param)


def test_the_compiled_iterator_is_the_default_where_the_core_is_in_use() -> None:
    compiled = _async_client._Iterator is not _async_client._PyIterator
    assert compiled is (SPEEDUPS is not None)
    if compiled:
        assert issubclass(_async_client._Iterator, SPEEDUPS.QueueIterator)


def burst(server: Any, body: bytes) -> str:
    # One write, so that every event after the first is queued when the first returns.
    return str(server.route(lambda h: (h.start(), h.send(body), h.wait_client_gone())))


@pytest.mark.parametrize("way", ["self", "outer", "shielded", "another-task"])
async def test_each_call_is_a_cancellation_point(iterator: str, way: str, server: Any) -> None:
    url = burst(server, b"data: 1\n\ndata: 2\n\ndata: 3\n\n")

    async def call_cancelled(it: Any) -> tuple[bool, object]:
        got: object = None
        with anyio.CancelScope() as outer:
            with anyio.CancelScope(shield=way == "shielded") as inner:
                (inner if way == "self" else outer).cancel()
                got = await anext(it)
        return outer.cancelled_caught or inner.cancelled_caught, got

    async with sse_post.AsyncEventSource(url, reconnect=False) as source:
        it = aiter(source)
        first = await anext(it)
        assert first.data == "1"
        if way == "another-task":
            result: list[tuple[bool, object]] = []

            async def other() -> None:
                result.append(await call_cancelled(it))

            async with anyio.create_task_group() as tg:
                tg.start_soon(other)
            cancelled, got = result[0]
        else:
            cancelled, got = await call_cancelled(it)
    if way == "shielded":
        assert not cancelled
        assert getattr(got, "data", None) == "2", got
    else:
        assert cancelled, f"the iterator returned {got!r} inside a cancelled scope"


async def test_comments_keep_their_place_among_queued_events(iterator: str, server: Any) -> None:
    url = burst(server, b"data: 1\n\n: a\n\ndata: 2\n\n: b\n\n: c\n\ndata: 3\n\n")
    seen: list[str] = []
    async with sse_post.AsyncEventSource(
        url, reconnect=False, on_comment=lambda text: seen.append(f"comment{text}")
    ) as source:
        async for event in source:
            seen.append(event.data)
            if event.data == "3":
                break
    assert seen == ["1", "comment a", "2", "comment b", "comment c", "3"]


async def test_a_long_burst_yields_to_other_tasks(iterator: str, server: Any) -> None:
    # Three schedule budgets of events in one read: other tasks run at least once per
    # EVERY events, and the events arrive whole and in order.
    count = 3 * EVERY + 5
    url = burst(server, b"".join(b"data: %d\n\n" % i for i in range(count)))
    ticks = 0
    run_of = 0  # events returned since the other task last ran
    longest = 0
    data: list[str] = []

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.lowlevel.checkpoint()
            ticks += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        async with sse_post.AsyncEventSource(url, reconnect=False) as source:
            last = ticks
            async for event in source:
                run_of = run_of + 1 if ticks == last else 1
                last = ticks
                longest = max(longest, run_of)
                data.append(event.data)
                if len(data) == count:
                    break
        tg.cancel_scope.cancel()
    assert data == [str(i) for i in range(count)]
    # A schedule point comes before the event after EVERY; trio runs a batch of tasks in
    # random order, so the task that ran just before one schedule point may run just
    # after the next: two budgets at most, and never the whole burst.
    assert 1 < longest <= 2 * (EVERY + 1), longest


async def test_an_abort_drops_what_is_queued(iterator: str, server: Any) -> None:
    url = burst(server, b"data: 1\n\ndata: 2\n\ndata: 3\n\n")
    controller = sse_post.AbortController()
    seen: list[str] = []
    async with sse_post.AsyncEventSource(url, reconnect=False, signal=controller.signal) as source:
        async for event in source:
            seen.append(event.data)
            controller.abort()
    assert seen == ["1"]
    assert source.ready_state is sse_post.ReadyState.CLOSED


async def test_under_a_tracer_the_events_are_the_same(iterator: str, server: Any) -> None:
    # A tracer (a debugger, coverage) makes the interpreter take the awaitable's
    # __next__ instead of its send: the value comes in StopIteration then.
    url = burst(server, b"data: 1\n\ndata: (2,)\n\ndata: 3\n\n")
    seen: list[str] = []

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        async with sse_post.AsyncEventSource(url, reconnect=False) as source:
            async for event in source:
                seen.append(event.data)
                if event.data == "3":
                    break
    finally:
        sys.settrace(previous)
    assert seen == ["1", "(2,)", "3"]


async def test_break_closes_the_connection(iterator: str, server: Any) -> None:
    gone = threading.Event()
    seen: list[str] = []

    def script(h: Any) -> None:
        h.start()
        h.send(b"data: 1\n\ndata: 2\n\n")
        h.wait_client_gone()
        gone.set()

    url = server.route(script)
    source = sse_post.AsyncEventSource(url, reconnect=False)
    async for event in source:
        seen.append(event.data)
        break
    # The loop's iterator is gone: its finaliser closes the source in a task of its own.
    assert await anyio.to_thread.run_sync(gone.wait, 5), "the server still sees the client"
    await source.aclose()  # returns once that task has closed everything
    assert seen == ["1"]
    assert source.response is None
