"""Issue 12, the rest of the lifecycle: deadline, comments, restart, what each failure
raises (and how fast), and what a source still shows after its loop ends; through
`EventSource` and `AsyncEventSource` (asyncio, trio), with our own httpx client and an
httpx2 caller client, against the scripted local server."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from typing import Any

import anyio
import pytest

import sse_post
from sse_post import AbortController, ReconnectPolicy

from .conftest import FAST, Outcome, Runner, in_thread
from .lifecycle_kit import BODY, per_request, stream
from .server import WAIT, Handler

#: A policy whose waits are far longer than any test here: a restart must not wait.
SLOW = ReconnectPolicy(initial_delay=5.0, min_delay=5.0, max_delay=5.0, jitter=0.0)
#: How fast a POST that cannot reach its server must report (issue 12, point 11).
PROMPT = 1.5


def timed(run: Runner, url: str, **options: Any) -> tuple[Outcome, float]:
    start = time.monotonic()
    out = run(url, **options)
    return out, time.monotonic() - start


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


# --- 11. failures a caller can act on --------------------------------------------------


@pytest.mark.parametrize("url", ["127.0.0.1:8000/sse", "localhost:8000/sse", "ftp://x/sse"])
def test_a_bad_url_raises_at_construction(run, url):
    start = time.monotonic()
    with pytest.raises(ValueError, match="expected an absolute http"):
        run(url, method="POST", json=BODY, reconnect=True)
    assert time.monotonic() - start < PROMPT


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/sse"


@pytest.mark.parametrize("where", ["refused", "unknown-host", "502"])
def test_a_post_that_cannot_start_reports_at_once(run, server, where):
    if where == "502":
        url = server.route(lambda h: h.respond(502, b"bad gateway: upstream down"))
    else:
        url = refused_url() if where == "refused" else "http://nonexistent.invalid/sse"
    out, took = timed(run, url, method="POST", json=BODY, reconnect=True)
    assert isinstance(out.error, sse_post.SSEError), repr(out.error)
    assert took < PROMPT
    if where == "502":
        assert len(server.requests_to(url)) == 1
        assert isinstance(out.error, sse_post.ResponseError)
        assert out.error.status_code == 502
        assert str(out.error).count("upstream down") == 1
    else:
        assert type(out.error) is sse_post.NetworkError
        assert type(out.error.__cause__).__name__ == "ConnectError"
        assert type(out.error.__cause__).__module__.split(".")[0] == run.flavour


def test_a_get_feed_keeps_retrying(run, server):
    second = threading.Event()

    def script(h: Handler) -> None:
        if len(server.requests_to(url)) >= 2:
            second.set()
        h.respond(502, b"bad gateway")

    url = server.route(script)
    controller = AbortController()
    in_thread(lambda: second.wait(WAIT) and controller.abort())
    out = run(url, reconnect=True, signal=controller.signal)
    assert second.is_set(), "no second attempt"
    assert out.error is None, repr(out.error)


def test_reconnect_error_carries_the_last_response(run, server):
    url = server.route(lambda h: h.respond(503, b"overloaded, try later"))
    out = run(url, reconnect=replace(FAST, max_attempts=2))
    error = out.error
    assert isinstance(error, sse_post.ReconnectError), repr(error)
    assert error.attempts == 2
    assert error.response_error is not None
    assert (error.response_error.status_code, error.response_error.body) == (
        503,
        "overloaded, try later",
    )
    assert str(error).count("overloaded, try later") == 1


def test_a_timeout_is_a_network_timeout_error(run, server):
    url = server.route(lambda h: h.wait_client_gone())  # never answers
    out = run(url, method="POST", json=BODY, reconnect=True, timeout=0.2)
    assert isinstance(out.error, sse_post.NetworkTimeoutError), repr(out.error)
    assert isinstance(out.error, TimeoutError)
    assert "timed out" in str(out.error)
    assert type(out.error.__cause__).__name__ == "ReadTimeout"


def test_a_reset_mid_stream_is_an_sse_error_with_the_transport_cause(run, server):
    url = server.route(stream(b"data: a\n\n", b"data: b", drop=True))
    out = run(url, method="POST", json=BODY, reconnect=True)
    assert out.data == ["a"]
    assert isinstance(out.error, sse_post.ConnectionLostError), repr(out.error)
    cause = out.error.__cause__
    assert isinstance(cause, sse_post.NetworkError | ConnectionError), repr(cause)


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
