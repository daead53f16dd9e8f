"""Issue 10, beyond the table: a caller's client is honoured (redirect setting, event
hooks, auth, and the caller's contextvars in them), and the twins behave the same
(``break`` closes, a second concurrent iteration fails clearly, ``__anext__`` is always
a checkpoint, ``last_event_id`` and ``retry`` survive the end of the loop)."""

from __future__ import annotations

import contextvars
import importlib
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest

import sse_post

from .drive import BOUND, make_client
from .phases import Probe, h1_script
from .server import WAIT

DRIVERS = ["sync", "asyncio", "trio"]
FLAVOURS = ["httpx", "httpx2"]
LEAVE = 1.0
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def consume(
    driver: str, url: str, client_options: dict[str, Any], flavour: str, **kw: Any
) -> tuple[list[str], BaseException | None]:
    """Iterates a source on a caller's client to its end: (data list, error)."""
    got: list[str] = []

    def sync() -> BaseException | None:
        REQUEST_ID.set("caller-42")
        with make_client(flavour, "h1", False, **client_options) as client:
            try:
                with sse_post.EventSource(url, client=client, reconnect=False, **kw) as source:
                    got.extend(event.data for event in source)
            except Exception as exc:
                return exc
        return None

    async def main() -> BaseException | None:
        REQUEST_ID.set("caller-42")
        async with make_client(flavour, "h1", True, **client_options) as client:
            try:
                async with sse_post.AsyncEventSource(
                    url, client=client, reconnect=False, **kw
                ) as source:
                    got.extend([event.data async for event in source])
            except Exception as exc:
                return exc
        return None

    error = sync() if driver == "sync" else anyio.run(main, backend=driver)
    return got, error


# --- 6. the caller's client -------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("driver", DRIVERS)
def test_the_callers_follow_redirects_false_is_kept(driver, flavour, server):
    target = server.route(lambda h: (h.start(), h.send(b"data: moved\n\n"), h.end()))
    url = server.route(lambda h: h.respond(302, headers={"Location": target}))
    got, error = consume(driver, url, {"follow_redirects": False}, flavour)
    assert isinstance(error, sse_post.ResponseError), repr(error)
    assert error.status_code == 302
    assert got == []
    assert server.requests_to(target) == []


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("driver", DRIVERS)
def test_the_callers_hooks_and_auth_run_in_the_callers_context(driver, flavour, server):
    seen: list[tuple[str, str]] = []
    lib = importlib.import_module(flavour)

    class Refreshing(lib.Auth):  # type: ignore[misc,name-defined]
        def auth_flow(self, request: Any) -> Any:
            seen.append(("auth", REQUEST_ID.get()))
            request.headers["Authorization"] = "Bearer stale"
            response = yield request
            if response.status_code == 401:
                seen.append(("refresh", REQUEST_ID.get()))
                request.headers["Authorization"] = "Bearer fresh"
                yield request

    def hook(kind: str) -> Any:
        def sync_hook(_: Any) -> None:
            seen.append((kind, REQUEST_ID.get()))

        async def async_hook(_: Any) -> None:
            seen.append((kind, REQUEST_ID.get()))

        return sync_hook if driver == "sync" else async_hook

    def script(h: Any) -> None:
        if h.headers.get("Authorization") != "Bearer fresh":
            h.respond(401, b"token expired")
        else:
            h.start()
            h.send(b"data: hi\n\n")
            h.end()

    url = server.route(script)
    options: dict[str, Any] = {
        "auth": Refreshing(),
        "event_hooks": {"request": [hook("request")], "response": [hook("response")]},
    }
    got, error = consume(driver, url, options, flavour)
    assert (got, error) == (["hi"], None)
    assert [r.headers["authorization"] for r in server.requests_to(url)] == [
        "Bearer stale",
        "Bearer fresh",
    ]
    kinds = sorted(kind for kind, _ in seen)
    assert kinds == ["auth", "refresh", "request", "request", "response", "response"]
    assert {value for _, value in seen} == {"caller-42"}, seen


# --- 7. the twins -----------------------------------------------------------------------
@pytest.mark.parametrize("driver", DRIVERS)
def test_break_closes_the_connection(driver, server):
    probe = Probe()
    url = server.route(h1_script("silent", probe))

    def sync() -> bool:
        source = sse_post.EventSource(url, reconnect=False)
        try:
            for _ in source:
                break
            return probe.gone_within(LEAVE)
        finally:
            source.close()

    async def main() -> bool:
        source = sse_post.AsyncEventSource(url, reconnect=False)
        try:
            async for _ in source:
                break
            # Wait in a thread, so that the event loop runs whatever closes the stream.
            return await anyio.to_thread.run_sync(probe.gone_within, LEAVE)
        finally:
            await source.aclose()

    gone = sync() if driver == "sync" else anyio.run(main, backend=driver)
    assert gone, "the server never saw the client go after break"


def _clear(error: BaseException | None) -> None:
    assert isinstance(error, RuntimeError), repr(error)
    message = str(error)
    assert "already executing" not in message
    assert "already running" not in message


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_second_concurrent_iteration_fails_clearly(driver, server):
    probe = Probe()
    url = server.route(h1_script("silent", probe))
    first = threading.Event()
    second: list[BaseException | None] = []

    def sync() -> None:
        with sse_post.EventSource(url, reconnect=False) as source:

            def iterate_again() -> None:
                try:
                    next(iter(source))
                    second.append(None)
                except BaseException as exc:
                    second.append(exc)

            def iterate() -> None:
                for _ in source:
                    first.set()

            owner = threading.Thread(target=iterate, daemon=True)
            owner.start()
            assert first.wait(WAIT)
            other = threading.Thread(target=iterate_again, daemon=True)
            other.start()
            other.join(BOUND)
            source.close()
            owner.join(BOUND)

    async def main() -> None:
        async with sse_post.AsyncEventSource(url, reconnect=False) as source:
            started = anyio.Event()

            async def iterate() -> None:
                async for _ in source:
                    started.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(iterate)
                await started.wait()
                try:
                    with anyio.fail_after(BOUND):
                        await source.__anext__()
                    second.append(None)
                except BaseException as exc:
                    second.append(exc)
                tg.cancel_scope.cancel()

    if driver == "sync":
        sync()
    else:
        anyio.run(main, backend=driver)
    assert len(second) == 1, "the second iteration blocked"
    _clear(second[0])


@pytest.mark.parametrize("way", ["self", "outer", "shielded", "another-task"])
@pytest.mark.parametrize("driver", ["asyncio", "trio"])
def test_anext_is_a_checkpoint_even_with_events_queued(driver, way, server):
    # The scope around the call is cancelled by the task itself (its own scope, or an
    # outer one), or the call comes from another task than the last one; a shielded
    # scope inside a cancelled one must not raise.
    url = server.route(
        lambda h: (h.start(), h.send(b"data: 1\n\ndata: 2\n\ndata: 3\n\n"), h.wait_client_gone())
    )

    async def call_cancelled(source: Any) -> tuple[bool, object]:
        got: object = None
        with anyio.CancelScope() as outer:
            with anyio.CancelScope(shield=way == "shielded") as inner:
                (inner if way == "self" else outer).cancel()
                got = await source.__anext__()
        return outer.cancelled_caught or inner.cancelled_caught, got

    async def main() -> tuple[str, bool, object]:
        async with sse_post.AsyncEventSource(url, reconnect=False) as source:
            first = await source.__anext__()  # the chunk queued "2" and "3" behind it
            if way != "another-task":
                return (first.data, *await call_cancelled(source))
            result: list[tuple[bool, object]] = []

            async def other() -> None:
                result.append(await call_cancelled(source))

            async with anyio.create_task_group() as tg:
                tg.start_soon(other)
            return (first.data, *result[0])

    first, cancelled, got = anyio.run(main, backend=driver)
    assert first == "1"
    if way == "shielded":
        assert not cancelled
        assert getattr(got, "data", None) == "2", got
    else:
        assert cancelled, f"__anext__ returned {got!r} inside a cancelled scope"


@pytest.mark.parametrize("end", ["break", "abort", "close", "error"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_last_event_id_and_retry_survive_the_end(driver, end, server):
    def script(h: Any) -> None:
        h.start()
        h.send(b"retry: 1234\nid: 7\ndata: x\n\n")
        if end == "error":
            h.send(b"data: " + b"y" * 3000 + b"\n\n")  # over max_event_size
        h.wait_client_gone()

    url = server.route(script)
    controller = sse_post.AbortController()
    options: dict[str, Any] = {
        "reconnect": False,
        "max_event_size": 1024,
        "signal": controller.signal,
    }

    def sync() -> Any:
        with sse_post.EventSource(url, **options) as source:
            try:
                for _ in source:
                    if end == "break":
                        break
                    if end == "abort":
                        controller.abort()
                    if end == "close":
                        source.close()
            except sse_post.EventTooLargeError:
                pass
        return source

    async def main() -> Any:
        async with sse_post.AsyncEventSource(url, **options) as source:
            try:
                async for _ in source:
                    if end == "break":
                        break
                    if end == "abort":
                        controller.abort()
                    if end == "close":
                        await source.aclose()
            except sse_post.EventTooLargeError:
                pass
        return source

    source = sync() if driver == "sync" else anyio.run(main, backend=driver)
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert (source.last_event_id, source.retry) == ("7", 1.234)
