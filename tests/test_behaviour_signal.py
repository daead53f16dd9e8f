"""Issue 10, point 4 of "what must hold": ``AbortController.abort()`` may be called from a
signal handler, runs every callback even if one raises (and reports the error), and keys
subscriptions by a token rather than by ``id()`` of the callback."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from typing import Any

import sse_post
from sse_post import AbortController

from .server import WAIT


# --- 5. AbortController -----------------------------------------------------------------
class Deadlock(Exception):
    pass


def test_abort_from_a_signal_handler_while_inside_the_signal_never_deadlocks():
    """The handler runs on every line the main thread executes inside the abort module
    (so also while it holds whatever lock guards the signal) and aborts there."""
    controller = AbortController()
    handled: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        controller.abort("signal")
        handled.append(signum)

    def deadlocked(signum: int, frame: Any) -> None:
        raise Deadlock("abort() from a signal handler blocked for 3 s")

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if "sse_post" not in frame.f_code.co_filename or "abort" not in frame.f_code.co_filename:
            return None

        def each_line(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                signal.raise_signal(signal.SIGUSR2)  # its handler runs right here
            return each_line

        return each_line

    previous = signal.signal(signal.SIGUSR2, on_signal), signal.signal(signal.SIGUSR1, deadlocked)
    main = threading.main_thread().ident or 0
    watchdog = threading.Timer(3.0, signal.pthread_kill, (main, signal.SIGUSR1))
    watchdog.start()
    sys.settrace(tracer)
    try:
        with sse_post.EventSource("http://127.0.0.1:9/", signal=controller.signal):
            pass  # subscribes and unsubscribes, in the main thread
        controller.abort("direct")
    finally:
        sys.settrace(None)
        watchdog.cancel()
        signal.signal(signal.SIGUSR2, previous[0])
        signal.signal(signal.SIGUSR1, previous[1])
    assert handled
    assert controller.signal.aborted


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
