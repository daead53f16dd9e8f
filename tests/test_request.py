from __future__ import annotations

import threading

import pytest

from sse_post import AbortController
from sse_post._request import RequestSpec


def build(**kwargs):
    options = {
        "method": "POST",
        "headers": None,
        "params": None,
        "json": None,
        "data": None,
        "content": None,
        "last_event_id": "",
    }
    options.update(kwargs)
    return RequestSpec.build("http://127.0.0.1/", **options)


def test_default_headers_added_once_and_caller_headers_copied():
    caller = {"Authorization": "Bearer x", "cache-control": "max-age=0"}
    spec = build(headers=caller)
    assert spec.headers == [
        ("Authorization", "Bearer x"),
        ("cache-control", "max-age=0"),
        ("Accept", "text/event-stream"),
    ]
    spec.headers.append(("X", "y"))
    assert caller == {"Authorization": "Bearer x", "cache-control": "max-age=0"}


def test_last_event_id_header_becomes_the_resume_point():
    spec = build(headers={"Last-Event-ID": "5"})
    assert spec.last_event_id == "5"
    assert all(name.lower() != "last-event-id" for name, _ in spec.headers)
    assert spec.attempt("6").headers[-1] == ("Last-Event-ID", b"6")


def test_non_ascii_last_event_id_is_utf8():
    assert build().attempt("é").headers[-1] == ("Last-Event-ID", "é".encode())


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_last_event_id_cannot_inject_headers(bad):
    with pytest.raises(ValueError, match="without NUL, CR or LF"):
        build(last_event_id=bad)


@pytest.mark.parametrize(
    ("content", "replayable"),
    [
        (b"x", True),
        ("x", True),
        ([b"a", b"b"], True),
        (lambda: b"x", True),
        (iter([b"a"]), False),
        ((c for c in [b"a"]), False),
    ],
)
def test_replayable_bodies(content, replayable):
    assert build(content=content).replayable is replayable


def test_async_iterator_body_is_one_shot():
    async def gen():
        yield b"x"

    assert build(content=gen()).replayable is False


def test_callable_body_is_called_per_attempt():
    calls = iter([b"1", b"2"])
    spec = build(content=lambda: next(calls))
    attempt = spec.attempt("")
    assert [attempt.body["content"], attempt.body["content"]] == [b"1", b"2"]


def test_bad_bodies():
    with pytest.raises(TypeError, match="expected content="):
        build(content=42)
    with pytest.raises(TypeError, match="data= to be a mapping"):
        build(data="a=1")
    with pytest.raises(ValueError, match="HTTP method"):
        build(method="")


class TestAbortController:
    def test_abort_sets_reason_once_and_runs_callbacks_once(self):
        controller = AbortController()
        calls = []
        controller.signal._subscribe(lambda: calls.append(1))
        assert not controller.signal.aborted
        controller.abort("stop")
        controller.abort("again")
        assert controller.signal.aborted
        assert controller.signal.reason == "stop"
        assert calls == [1]
        assert "aborted" in repr(controller.signal)

    def test_subscribing_to_an_aborted_signal_runs_at_once(self):
        controller = AbortController()
        controller.abort()
        calls = []
        controller.signal._subscribe(lambda: calls.append(1))()
        assert calls == [1]

    def test_unsubscribe(self):
        controller = AbortController()
        calls = []
        unsubscribe = controller.signal._subscribe(lambda: calls.append(1))
        unsubscribe()
        controller.abort()
        assert calls == []

    def test_abort_from_many_threads_runs_callbacks_once(self):
        controller = AbortController()
        calls = []
        controller.signal._subscribe(lambda: calls.append(1))
        threads = [threading.Thread(target=controller.abort) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert calls == [1]
