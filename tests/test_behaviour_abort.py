"""Issue 10, beyond the table: an abort never disturbs the other streams of a shared
HTTP/2 connection; a KeyboardInterrupt anywhere in the loop leaks nothing; and
``AbortController.abort()`` is safe from a signal handler, runs every callback, and
keys subscriptions by token."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import pytest

import sse_post
from sse_post import AbortController

from .drive import BOUND, make_client
from .kernel import Snapshot, wait_blocked
from .phases import PACED, H2Server, Probe, h1_script
from .server import WAIT

DRIVERS = ["sync", "asyncio", "trio"]
LEAVE = 1.0


@pytest.fixture(scope="module")
def h2server():
    h2 = H2Server()
    h2.start()
    yield h2
    h2.stop()


# --- 3. one abort, one stream ---------------------------------------------------------
@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_abort_waiting_for_headers_leaves_the_other_streams_alone(driver, flavour, h2server):
    # Two streams get their first event, then wait (the server holds them) while a third
    # waits for its headers on the same connection; it is aborted, then the two go on.
    # (The third starts only once the two have their first event: in httpcore's sync
    # HTTP/2, a thread waiting for headers starves the others' reads, abort or not.)
    paced = [Probe(), Probe()]
    hang = Probe()
    urls = [h2server.url("paced", p) for p in paced] + [h2server.url("hang", hang)]
    controller = AbortController()
    firsts = [threading.Event(), threading.Event()]
    hang_done = threading.Event()
    results: dict[int, list[Any]] = {}
    token: list[Any] = []

    def outcome(i: int, got: list[Any]) -> None:
        results[i] = got
        if i == 2:
            hang_done.set()

    def consume_sync(client: Any, i: int) -> None:
        got: list[Any] = []
        try:
            signal = controller.signal if i == 2 else None
            with sse_post.EventSource(
                urls[i], client=client, signal=signal, reconnect=False
            ) as source:
                for event in source:
                    got.append(event.data)
                    firsts[i].set()
        except Exception as exc:
            got.append(exc)
        outcome(i, got)

    async def consume_async(client: Any, i: int) -> None:
        got: list[Any] = []
        try:
            signal = controller.signal if i == 2 else None
            async with sse_post.AsyncEventSource(
                urls[i], client=client, signal=signal, reconnect=False
            ) as source:
                async for event in source:
                    got.append(event.data)
                    firsts[i].set()
        except Exception as exc:
            got.append(exc)
        outcome(i, got)

    async def main() -> None:
        token.append(anyio.lowlevel.current_token())
        async with make_client(flavour, "h2", True) as client, anyio.create_task_group() as tg:
            for i in range(2):
                tg.start_soon(consume_async, client, i)
            with anyio.fail_after(WAIT):
                await anyio.to_thread.run_sync(both_first)
            tg.start_soon(consume_async, client, 2)

    def both_first() -> None:
        assert all(first.wait(WAIT) for first in firsts)

    def run_sync() -> None:
        with make_client(flavour, "h2", False) as client:
            threads = [threading.Thread(target=consume_sync, args=(client, i)) for i in range(3)]
            for i, thread in enumerate(threads):
                if i == 2:
                    both_first()
                thread.start()
            for thread in threads:
                thread.join(WAIT)

    runner = threading.Thread(
        target=run_sync if driver == "sync" else lambda: anyio.run(main, backend=driver),
        daemon=True,
    )
    runner.start()
    assert all(first.wait(WAIT) for first in firsts), "the two streams never started"
    assert hang.reached.wait(WAIT), f"the third request never reached the server: {results}"
    if driver == "sync":
        controller.abort()
    else:
        anyio.from_thread.run_sync(controller.abort, token=token[0])
    problems = []
    if not hang_done.wait(BOUND):
        problems.append("the aborted source did not end")
    for url in urls[:2]:
        h2server.open_gate(url)
    runner.join(WAIT)
    if runner.is_alive():
        problems.append(f"the other streams did not end: {results}")
    if results.get(2) != []:
        problems.append(f"the aborted source ended with {results.get(2)}")
    if not hang.gone_within(LEAVE):
        problems.append("the server never saw the aborted stream reset")
    everything = [str(n) for n in range(1, PACED + 1)]
    if not results.get(0) == results.get(1) == everything:
        problems.append(f"the other streams got {results.get(0)} and {results.get(1)}")
    if len(set(paced[0].ports + paced[1].ports + hang.ports)) != 1:
        problems.append("the streams did not share one connection")
    assert not problems, "\n".join(problems)


# --- 4. KeyboardInterrupt ---------------------------------------------------------------
def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
@pytest.mark.parametrize("where", ["on_open", "loop-body", "sigint-headers", "sigint-silent"])
def test_keyboard_interrupt_in_the_sync_loop_leaks_nothing(where, flavour, server):
    probe = Probe()
    url = server.route(h1_script("hang" if where == "sigint-headers" else "silent", probe))
    ok_url = server.route(h1_script("ok", Probe()))
    options: dict[str, Any] = {"reconnect": False}
    if where == "on_open":
        options["on_open"] = _interrupt
    main = threading.main_thread()
    assert threading.current_thread() is main  # signals land in the main thread

    def kick() -> None:
        # Once the main thread sleeps in the loop (reading, or waiting for headers).
        if probe.reached.wait(WAIT) and wait_blocked(main):
            signal.pthread_kill(main.ident or 0, signal.SIGINT)

    before = Snapshot.take()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with make_client(flavour, "h1", False) as client:
            kicker = threading.Thread(target=kick, daemon=True)
            if where.startswith("sigint"):
                kicker.start()
            try:
                with sse_post.EventSource(url, client=client, **options) as source:
                    for _ in source:
                        if where == "loop-body":
                            raise KeyboardInterrupt
                interrupted = False
            except KeyboardInterrupt:
                interrupted = True
            assert interrupted
            if kicker.ident is not None:
                kicker.join(WAIT)
            assert probe.gone_within(LEAVE), "the server never saw the client go"
            timeout = type(client.timeout)(5.0, pool=1.0)
            assert client.get(ok_url, timeout=timeout).status_code == 200
    finally:
        signal.signal(signal.SIGINT, previous)
    assert before.wait_clean({server.port}, LEAVE) == []


@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
@pytest.mark.parametrize("where", ["on_open", "loop-body"])
@pytest.mark.parametrize("driver", ["asyncio", "trio"])
def test_keyboard_interrupt_in_the_async_loop_leaks_nothing(driver, where, flavour, server):
    probe = Probe()
    url = server.route(h1_script("silent", probe))
    ok_url = server.route(h1_script("ok", Probe()))
    options: dict[str, Any] = {"reconnect": False}
    if where == "on_open":
        options["on_open"] = _interrupt

    async def main() -> int:
        async with make_client(flavour, "h1", True) as client:
            try:
                async with sse_post.AsyncEventSource(url, client=client, **options) as source:
                    async for _ in source:
                        raise KeyboardInterrupt
                interrupted = False
            except KeyboardInterrupt:
                interrupted = True
            assert interrupted
            timeout = type(client.timeout)(5.0, pool=1.0)
            return int((await client.get(ok_url, timeout=timeout)).status_code)

    before = Snapshot.take()
    assert anyio.run(main, backend=driver) == 200  # the interrupted one left no slot taken
    assert probe.gone_within(LEAVE), "the server never saw the client go"
    assert before.wait_clean({server.port}, LEAVE) == []


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
