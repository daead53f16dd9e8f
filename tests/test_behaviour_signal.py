"""Issue 10, point 4 of "what must hold": ``AbortController.abort()`` may be called from a
signal handler, runs every callback even if one raises (and reports the error), and keys
subscriptions by a token rather than by ``id()`` of the callback."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from typing import Any

import httpx

import sse_post
from sse_post import AbortController

from .server import WAIT


class Deadlock(Exception):
    pass


PACKAGE = os.path.dirname(sse_post.__file__)


def test_abort_from_a_signal_handler_at_any_line_never_deadlocks(server):
    """A signal lands between any two lines the main thread runs inside sse_post (so also
    while it holds a lock of the signal or of a source), and its handler aborts there.
    One run per line: the k-th run raises the signal at the k-th line only."""
    url = server.route(lambda h: h.respond(204))
    fire_at = [-1]
    seen = [0]
    controllers: list[AbortController] = []

    def on_signal(signum: int, frame: Any) -> None:
        controllers[-1].abort("signal")

    def deadlocked(signum: int, frame: Any) -> None:
        raise Deadlock(f"abort() from a signal handler at line {fire_at[0]} blocked")

    def each_line(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            if seen[0] == fire_at[0]:
                signal.raise_signal(signal.SIGUSR2)  # its handler runs right here
            seen[0] += 1
        return each_line

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return each_line if frame.f_code.co_filename.startswith(PACKAGE) else None

    def scenario(client: Any) -> None:
        controllers.append(AbortController())
        seen[0] = 0
        sys.settrace(tracer)
        try:
            with sse_post.EventSource(url, client=client, signal=controllers[-1].signal) as es:
                for _ in es:
                    pass  # a 204 ends it at once
            controllers[-1].abort("direct")
        finally:
            sys.settrace(None)

    previous = signal.signal(signal.SIGUSR2, on_signal), signal.signal(signal.SIGUSR1, deadlocked)
    main = threading.main_thread().ident or 0
    try:
        with httpx.Client() as client:
            scenario(client)  # counts the lines
            lines = seen[0]
            assert lines > 20
            for k in range(0, lines, max(1, lines // 300)):
                fire_at[0] = k
                watchdog = threading.Timer(2.0, signal.pthread_kill, (main, signal.SIGUSR1))
                watchdog.start()
                try:
                    scenario(client)
                finally:
                    watchdog.cancel()
                assert controllers[-1].signal.aborted
    finally:
        signal.signal(signal.SIGUSR2, previous[0])
        signal.signal(signal.SIGUSR1, previous[1])


def test_abort_from_a_signal_handler_while_another_thread_uses_the_signal():
    previous = signal.signal(signal.SIGUSR2, lambda s, f: current[0].abort())
    current = [AbortController()]
    stop = threading.Event()

    def churn() -> None:  # subscribes and unsubscribes as fast as it can
        while not stop.is_set():
            sse_post.EventSource("http://127.0.0.1:9/", signal=current[0].signal).close()

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            current[0] = AbortController()
            signal.raise_signal(signal.SIGUSR2)
            assert current[0].signal.aborted
    finally:
        stop.set()
        thread.join(WAIT)
        signal.signal(signal.SIGUSR2, previous)
    assert not thread.is_alive()


def subscribe(abort_signal: sse_post.AbortSignal, callback: Any) -> Any:
    # The subscription hook the sources use; private today. Returns the unsubscribe call.
    return abort_signal._subscribe(callback)


def test_abort_runs_every_callback_even_if_one_raises(caplog, monkeypatch):
    controller = AbortController()
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise ValueError("callback failed")

    subscribe(controller.signal, lambda: ran.append("first"))
    subscribe(controller.signal, broken)
    subscribe(controller.signal, lambda: ran.append("last"))
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    caplog.set_level(logging.WARNING)
    raised: BaseException | None = None
    try:
        controller.abort()
    except Exception as exc:
        raised = exc
    assert sorted(ran) == ["broken", "first", "last"]
    # Reported, not swallowed: raised after all ran (alone or in a group), or logged.
    reported = [raised] if raised is not None else []
    reported += [r.exc_info[1] for r in caplog.records if r.exc_info]
    reported += [u.exc_value for u in unraisable]
    flat: list[BaseException] = []
    for error in reported:
        flat += list(error.exceptions) if isinstance(error, BaseExceptionGroup) else [error]
    assert any(isinstance(e, ValueError) for e in flat), reported


class Owner:
    def __init__(self) -> None:
        self.hit = False

    def on_abort(self) -> None:
        self.hit = True


def test_subscriptions_are_keyed_by_token_not_by_id():
    controller = AbortController()
    # A stale unsubscribe of a short-lived object's bound method must not remove a new
    # object's bound method that happens to get the same id().
    first = Owner()
    unsubscribe_first = subscribe(controller.signal, first.on_abort)
    unsubscribe_first()
    del first
    gc.collect()
    second = Owner()
    subscribe(controller.signal, second.on_abort)
    unsubscribe_first()
    # The same callable twice: two subscriptions; dropping one keeps the other.
    third = Owner()
    callback = third.on_abort
    unsubscribe_once = subscribe(controller.signal, callback)
    subscribe(controller.signal, callback)
    unsubscribe_once()
    controller.abort()
    assert second.hit
    assert third.hit
