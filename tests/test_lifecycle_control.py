"""Issue 12, the rest of the lifecycle: deadline, comments, restart, and what a source
still shows after its loop ends (failures: ``test_lifecycle_failures.py``); through
`EventSource` and `AsyncEventSource` (asyncio, trio), with our own httpx client and an
httpx2 caller client, against the scripted local server."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import anyio
import pytest

import sse_post
from sse_post import AbortController, ReconnectPolicy

from .conftest import FAST, Outcome, Runner, in_thread
from .lifecycle_kit import BODY, per_request, stream, timed
from .server import WAIT

#: A policy whose waits are far longer than any test here: a restart must not wait.
SLOW = ReconnectPolicy(initial_delay=5.0, min_delay=5.0, max_delay=5.0, jitter=0.0)
#: How fast a deadline must end the loop once it has passed.
PROMPT = 1.5


# --- 7. deadline -----------------------------------------------------------------------


def assert_deadline(error: BaseException | None) -> None:
    assert isinstance(error, sse_post.DeadlineExceededError), repr(error)
    assert isinstance(error, sse_post.SSEError)
    assert isinstance(error, TimeoutError)
    assert "timed out" in str(error)


def test_deadline_ends_a_quiet_open_stream(run, server):
    url = server.route(stream(b"data: a\n\n", hold=True))
    out, took = timed(run, url, method="POST", json=BODY, deadline=0.3)
    assert out.data == ["a"]
    assert_deadline(out.error)
    assert server.requests_to(url)[0].client_gone.wait(WAIT)
    assert took < 0.3 + PROMPT


def test_deadline_counts_the_reconnects(run, server):
    url = server.route(lambda h: h.respond(503, b"busy"))
    out, took = timed(run, url, reconnect=replace(FAST, max_attempts=None), deadline=0.3)
    assert_deadline(out.error)
    assert len(server.requests_to(url)) >= 2
    assert took < 0.3 + PROMPT


def test_deadline_ends_a_request_never_answered(run, server):
    url = server.route(lambda h: h.wait_client_gone())
    out, took = timed(run, url, method="POST", json=BODY, deadline=0.3)
    assert_deadline(out.error)
    assert server.requests_to(url)[0].client_gone.wait(WAIT)
    assert took < 0.3 + PROMPT


# --- 8. comments -----------------------------------------------------------------------


def test_comments_reach_on_comment_in_stream_order(run, server):
    # Fails until the flow passes the parser's comments (SSEParser(comments=True)).
    url = server.route(stream(b":hello\n\ndata: a\n\n:two\ndata: b\n\n:three\n\n"))
    seen: list[tuple[str, str]] = []
    out = run(
        url,
        on_comment=lambda text: seen.append(("comment", text)),
        on_event=lambda out, source: seen.append(("event", out.events[-1].data)),
    )
    assert out.error is None, repr(out.error)
    assert seen == [
        ("comment", "hello"),
        ("event", "a"),
        ("comment", "two"),
        ("event", "b"),
        ("comment", "three"),
    ]


# --- 9. restart ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["thread", "iterating", "any-moment"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_restart_reconnects_at_once(run, server, where, method):
    first = stream(b"id: 1\ndata: a\n\n" if method == "GET" else b"data: a\n\n", hold=True)
    url = server.route(per_request(first, stream(b"data: b\n\n", hold=True)))

    def on_event(out: Outcome, source: Any) -> None:
        if out.data == ["a"]:
            if where == "thread":
                in_thread(source.restart).join(WAIT)
            elif where == "any-moment":  # maybe while the loop is blocked reading
                in_thread(source.restart)
            else:
                source.restart()
        else:
            controller.abort()

    controller = AbortController()
    body = {"json": BODY} if method == "POST" else {}
    out, took = timed(
        run,
        url,
        method=method,
        reconnect=SLOW,
        signal=controller.signal,
        on_event=on_event,
        **body,
    )
    assert out.error is None, repr(out.error)
    assert out.data == ["a", "b"]
    first_request, second = server.requests_to(url)
    assert first_request.client_gone.wait(WAIT)
    assert second.method == method
    assert second.body == first_request.body
    assert second.headers.get("last-event-id") == ("1" if method == "GET" else None)
    assert took < SLOW.min_delay  # at once, not after the policy's wait


def test_restart_while_waiting_to_reconnect_connects_at_once(run, server):
    waiting = threading.Event()
    url = server.route(per_request(lambda h: h.respond(503, b"busy"), stream(b"data: b\n\n")))

    def on_reconnect(delay: float, error: BaseException | None) -> None:
        waiting.set()

    def before(source: Any) -> None:
        in_thread(lambda: waiting.wait(WAIT) and source.restart())

    out, took = timed(
        run,
        url,
        reconnect=replace(SLOW, max_attempts=None),
        on_reconnect=on_reconnect,
        before=before,
        signal=(controller := AbortController()).signal,
        on_event=lambda out, source: controller.abort(),
    )
    assert out.error is None, repr(out.error)
    assert out.data == ["b"]
    assert len(server.requests_to(url)) == 2
    assert took < SLOW.min_delay


# --- what a source shows after its loop ------------------------------------------------

SHOWN = b"retry: 1234\nid: 9\ndata: a\n\n"


@pytest.mark.parametrize("how", ["end", "abort", "error", "break", "close"])
def test_state_is_kept_after_the_loop(run, server, how):
    ending = {"end": {}, "abort": {"hold": True}, "break": {"hold": True}, "close": {"hold": True}}
    url = server.route(stream(SHOWN, headers={"X-Trace": "t1"}, **ending.get(how, {"drop": True})))
    if how in ("break", "close"):
        source = loop_and_leave(run, url, how)
    else:
        controller = AbortController()
        out = run(
            url,
            method="POST",
            json=BODY,
            signal=controller.signal,
            on_event=lambda out, source: how == "abort" and controller.abort(),
        )
        assert out.data == ["a"]
        assert (out.error is not None) == (how == "error"), repr(out.error)
        source = out.source
    assert source.ready_state is sse_post.ReadyState.CLOSED
    assert source.response_headers["x-trace"] == "t1"
    assert source.last_event_id == "9"
    assert source.retry == 1.234


def loop_and_leave(run: Runner, url: str, how: str) -> Any:
    """Iterate to the first event, then ``break`` out of the loop or ``close()``."""
    options: dict[str, Any] = {"method": "POST", "json": BODY, "reconnect": False}
    client = run._client()
    if not run.is_async:
        with sse_post.EventSource(url, client=client, **options) as source:
            for _ in source:
                if how == "close":
                    source.close()
                break
        if client is not None:
            client.close()
        return source

    async def main() -> Any:
        async with sse_post.AsyncEventSource(url, client=client, **options) as source:
            async for _ in source:
                if how == "close":
                    await source.aclose()
                break
        if client is not None:
            await client.aclose()
        return source

    return anyio.run(main, backend=run.mode)
