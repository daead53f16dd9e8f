"""Issue 10, beyond the table: an abort never disturbs the other streams of a shared
HTTP/2 connection, a KeyboardInterrupt anywhere in the loop leaks nothing (the next
request on a ``max_connections=1`` client succeeds), and the own client's interruptible
connect ends when the source closes it, however late its thread runs."""

from __future__ import annotations

import signal
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
from .phases import PACED, Backlog, H2Server, Probe, h1_script
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
@pytest.mark.parametrize("phase", ["headers", "silent"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_abort_leaves_the_other_streams_alone(driver, phase, flavour, h2server):
    # Two streams get their first event, then wait (the server holds them) while a third
    # waits for its headers (or, after one event, for more) on the same connection; it
    # is aborted: the server must see its stream reset, and the two go on.
    # (The third starts only once the two have their first event: in httpcore's sync
    # HTTP/2, a thread waiting for headers starves the others' reads, abort or not.)
    paced = [Probe(), Probe()]
    hang = Probe()
    third = h2server.url("hang" if phase == "headers" else "silent", hang)
    urls = [h2server.url("paced", p) for p in paced] + [third]
    controller = AbortController()
    firsts = [threading.Event(), threading.Event(), threading.Event()]
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
        assert all(first.wait(WAIT) for first in firsts[:2])

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
    assert all(first.wait(WAIT) for first in firsts[:2]), "the two streams never started"
    assert hang.reached.wait(WAIT), f"the third request never reached the server: {results}"
    if phase == "silent":
        assert firsts[2].wait(WAIT), f"the third stream never got its event: {results}"
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
    if results.get(2) != ([] if phase == "headers" else ["1"]):
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
        # Reading a silent stream: wait for the read itself, since a signal that lands
        # in httpcore's own bookkeeping (a lock, the GIL) can break its pool whatever
        # sse_post does. Waiting for headers, the main thread waits on sse_post's own
        # condition, while a worker sends.
        in_io = where == "sigint-silent"
        if probe.reached.wait(WAIT) and wait_blocked(main, in_io=in_io):
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


# --- the own client's connect ---------------------------------------------------------
def test_closing_the_connect_backend_ends_a_connect_in_flight() -> None:
    # A stopping source closes its client's backend, maybe before the worker thread has
    # seen the wake-up byte. Closing the wake-up pair then would drop it from the
    # worker's epoll set without waking it, and the connect would sit out its timeout.
    import httpcore

    from sse_post._httpcore import interruptible

    backlog = Backlog()
    backend = interruptible(httpcore.SyncBackend())
    outcome: list[BaseException] = []

    def connect() -> None:
        try:
            backend.connect_tcp("127.0.0.1", backlog.port, timeout=BOUND * 4)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    try:
        assert backlog.wait_connecting()
        backend.close()
        worker.join(LEAVE)
        assert not worker.is_alive(), "the connect outlived the close"
        assert [type(exc).__name__ for exc in outcome] == ["ConnectError"]
        assert backlog.gone_within(LEAVE)
        with pytest.raises(httpcore.ConnectError):  # closed for good
            backend.connect_tcp("127.0.0.1", backlog.port, timeout=BOUND)
    finally:
        backlog.close()
