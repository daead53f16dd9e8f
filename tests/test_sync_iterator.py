"""What ``for`` iterates over an EventSource, in both implementations: the pure-Python
generator ``_py_iterate`` and the compiled core's ``SyncQueueIterator``, which returns a
queued event without resuming a frame. Both close the source where the generator's
``finally`` does: at the end, on an error, and when the loop drops the iterator
mid-stream (a break). Against the scripted server; the C run is skipped where the core
was not built."""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any

import pytest

import sse_post
from sse_post import _sync_client
from sse_post._parser import SPEEDUPS

from .parser_impls import BOTH, C_PARSER, core


@pytest.fixture(params=BOTH)
def iterator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    pure = request.param == "python"
    compiled = _sync_client._py_iterate if pure else core().SyncQueueIterator
    monkeypatch.setattr(_sync_client, "_iterate", compiled)
    return str(request.param)


def test_the_compiled_iterator_is_the_default_where_the_core_is_in_use() -> None:
    pure = SPEEDUPS is None
    assert _sync_client._iterate is (
        _sync_client._py_iterate if pure else SPEEDUPS.SyncQueueIterator
    )


def burst(server: Any, body: bytes, gone: threading.Event | None = None) -> str:
    # One write, so that every event after the first is queued when the first returns.
    def script(h: Any) -> None:
        h.start()
        h.send(body)
        h.wait_client_gone()
        if gone is not None:
            gone.set()

    return str(server.route(script))


def test_events_and_comments_in_stream_order(iterator: str, server: Any) -> None:
    url = burst(server, b"data: 1\n\n: a\n\ndata: 2\n\n: b\n\n: c\n\ndata: 3\n\n")
    seen: list[str] = []
    with sse_post.EventSource(
        url, reconnect=False, on_comment=lambda text: seen.append(f"comment{text}")
    ) as source:
        for event in source:
            seen.append(event.data)
            if event.data == "3":
                break
    assert seen == ["1", "comment a", "2", "comment b", "comment c", "3"]


def test_the_end_closes_the_source_and_stays_ended(iterator: str, server: Any) -> None:
    url = server.route(lambda h: (h.start(), h.send(b"data: 1\n\ndata: 2\n\n"), h.end()))
    source = sse_post.EventSource(url, reconnect=False)
    it = iter(source)
    assert [event.data for event in it] == ["1", "2"]
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert source.response is None
    with pytest.raises(StopIteration):
        next(it)


def test_break_closes_the_connection(iterator: str, server: Any) -> None:
    gone = threading.Event()
    source = sse_post.EventSource(burst(server, b"data: 1\n\ndata: 2\n\n", gone), reconnect=False)
    seen = []
    for event in source:
        seen.append(event.data)
        break
    # The loop dropped its iterator: it closed the source on the spot.
    assert seen == ["1"]
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert gone.wait(5), "the server still sees the client"


def test_an_error_in_the_loop_body_closes_the_connection(iterator: str, server: Any) -> None:
    gone = threading.Event()
    source = sse_post.EventSource(burst(server, b"data: 1\n\ndata: 2\n\n", gone), reconnect=False)

    def loop() -> None:
        for _ in source:
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        loop()
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert gone.wait(5), "the server still sees the client"


def test_an_error_of_the_stream_comes_after_its_events_and_closes(
    iterator: str, server: Any
) -> None:
    url = burst(server, b"data: 1\n\ndata: 2\n\ndata: " + b"x" * 100 + b"\n\n")
    source = sse_post.EventSource(url, reconnect=False, max_event_size=50)
    it = iter(source)
    seen: list[str] = []

    def loop() -> None:
        for event in it:
            seen.append(event.data)

    with pytest.raises(sse_post.EventTooLargeError):
        loop()
    assert seen == ["1", "2"]
    assert source.ready_state is sse_post.ReadyState.CLOSED
    with pytest.raises(StopIteration):
        next(it)  # an iterator that raised is done, as a generator is


def test_an_iterator_never_started_leaves_the_source_alone(iterator: str, server: Any) -> None:
    url = burst(server, b"data: 1\n\n")
    with sse_post.EventSource(url, reconnect=False) as source:
        it = iter(source)
        del it
        gc.collect()
        assert source.ready_state is not sse_post.ReadyState.CLOSED
        assert next(iter(source)).data == "1"


def test_close_from_another_thread_ends_the_loop(iterator: str, server: Any) -> None:
    url = server.route(lambda h: (h.start(), h.send(b"data: 1\n\n"), h.wait_client_gone()))
    seen = []
    with sse_post.EventSource(url, reconnect=False) as source:
        for event in source:
            seen.append(event.data)
            threading.Thread(target=source.close).start()
    assert seen == ["1"]
    assert source.ready_state is sse_post.ReadyState.CLOSED


def middle_refcount(server: Any) -> int:
    count = 2000
    url = burst(server, b"".join(b"data: %d\n\n" % i for i in range(count)))
    with sse_post.EventSource(url, reconnect=False) as source:
        it = iter(source)
        got = [next(it) for _ in range(count)]
        assert [e.data for e in got] == [str(i) for i in range(count)]
        return sys.getrefcount(got[count // 2])


@pytest.mark.skipif(C_PARSER is None, reason="sse_post._speedups not built")
def test_the_compiled_iterator_keeps_no_reference_to_what_it_returned(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same event of the same stream, as many references with either iterator (the
    # flow's list of the read's events holds it too, until the next read).
    monkeypatch.setattr(_sync_client, "_iterate", core().SyncQueueIterator)
    compiled = middle_refcount(server)
    monkeypatch.setattr(_sync_client, "_iterate", _sync_client._py_iterate)
    assert compiled == middle_refcount(server)


def test_a_stop_iteration_from_a_callback_is_an_error_not_the_end(
    iterator: str, server: Any
) -> None:
    # PEP 479: a StopIteration escaping the source's code must not end the loop quietly.
    def on_comment(text: str) -> None:
        raise StopIteration

    gone = threading.Event()
    url = burst(server, b"data: 1\n\n: a\n\ndata: 2\n\n", gone)
    source = sse_post.EventSource(url, reconnect=False, on_comment=on_comment)
    seen: list[str] = []

    def loop() -> None:
        for event in source:
            seen.append(event.data)

    with pytest.raises(RuntimeError, match="StopIteration") as caught:
        loop()
    assert isinstance(caught.value.__cause__, StopIteration)
    assert seen == ["1"]
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert gone.wait(5), "the server still sees the client"


def test_a_call_from_inside_the_iteration_is_refused(iterator: str, server: Any) -> None:
    # A callback asking the same iterator for the next event (it is "executing"): the
    # generator refuses with ValueError, and so must the compiled iterator.
    url = burst(server, b"data: a\n\n: x\n\ndata: b\n\ndata: c\n\n")
    got: list[BaseException] = []

    def on_comment(text: str) -> None:
        try:
            next(it)
        except ValueError as exc:
            got.append(exc)
            raise

    source = sse_post.EventSource(url, reconnect=False, on_comment=on_comment)
    it = iter(source)
    assert next(it).data == "a"
    with pytest.raises(ValueError, match="already executing"):
        next(it)
    assert len(got) == 1
    assert source.ready_state is sse_post.ReadyState.CLOSED


def test_close_of_the_iterator_closes_a_started_source_only(iterator: str, server: Any) -> None:
    gone = threading.Event()
    source = sse_post.EventSource(burst(server, b"data: 1\n\ndata: 2\n\n", gone), reconnect=False)
    unstarted = iter(source)
    unstarted.close()  # type: ignore[attr-defined]
    assert source.ready_state is not sse_post.ReadyState.CLOSED
    it = iter(source)
    assert next(it).data == "1"
    it.close()  # type: ignore[attr-defined]
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert gone.wait(5), "the server still sees the client"
    with pytest.raises(StopIteration):
        next(it)
