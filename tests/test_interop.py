"""Against what users deploy: uvicorn serving sse-starlette's EventSourceResponse (CRLF
line ends, comments as pings) and a plain Starlette POST endpoint, on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
import uvicorn
from sse_starlette.sse import EventSourceResponse
from sse_starlette.sse import ServerSentEvent as StarletteEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

import sse_post
from sse_post import ReconnectPolicy

from .server import WAIT

GONE = threading.Event()  # set when the endless endpoint notices its client left


async def feed(request: Request) -> Response:
    last = request.headers.get("last-event-id")
    if last == "2":
        return Response(status_code=204)
    start = int(last) + 1 if last else 0

    async def events() -> AsyncIterator[StarletteEvent]:
        for i in range(start, 3):
            yield StarletteEvent(comment="ping")
            yield StarletteEvent(data=f"tick {i}\nline two", id=str(i), event="tick", retry=10)

    return EventSourceResponse(events())


async def chat(request: Request) -> Response:
    if request.headers.get("authorization") != "Bearer test-key":
        return Response('{"error": "bad key"}', status_code=401, media_type="application/json")
    body = await request.json()
    words = body["messages"][-1]["content"].split()

    async def tokens() -> AsyncIterator[bytes]:
        for word in words:
            chunk = {"choices": [{"delta": {"content": word + " "}}]}
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(tokens(), media_type="text/event-stream")


async def endless(request: Request) -> Response:
    async def tokens() -> AsyncIterator[bytes]:
        try:
            yield b'data: {"choices":[{"delta":{"content":"thinking"}}]}\n\n'
            await anyio.sleep_forever()
        finally:
            GONE.set()
        yield b""  # pragma: no cover

    return StreamingResponse(tokens(), media_type="text/event-stream")


APP = Starlette(
    routes=[
        Route("/feed", feed),
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/endless", endless, methods=["POST"]),
    ]
)


@pytest.fixture(scope="module")
def uvicorn_url() -> Iterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))  # listening before the thread starts
    server = uvicorn.Server(uvicorn.Config(APP, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(WAIT)
    sock.close()


@pytest.fixture(params=["sync", "asyncio", "trio"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def collect(mode: str, url: str, **options: object) -> list[sse_post.ServerSentEvent]:
    if mode == "sync":
        with sse_post.EventSource(url, **options) as source:  # type: ignore[arg-type]
            return list(source)

    async def main() -> list[sse_post.ServerSentEvent]:
        async with sse_post.AsyncEventSource(url, **options) as source:  # type: ignore[arg-type]
            return [event async for event in source]

    return anyio.run(main, backend=mode)


def test_sse_starlette_feed_with_crlf_pings_and_resume(mode, uvicorn_url):
    events = collect(mode, uvicorn_url + "/feed", reconnect=ReconnectPolicy(jitter=0))
    assert [(e.event, e.data, e.id, e.retry) for e in events] == [
        ("tick", f"tick {i}\nline two", str(i), 10) for i in range(3)
    ]


def test_sse_starlette_feed_resumes_from_last_event_id(mode, uvicorn_url):
    events = collect(
        mode, uvicorn_url + "/feed", last_event_id="0", reconnect=ReconnectPolicy(jitter=0)
    )
    assert [e.id for e in events] == ["1", "2"]


def test_starlette_chat_completion_post(mode, uvicorn_url):
    events = collect(
        mode,
        uvicorn_url + "/v1/chat/completions",
        method="POST",
        headers={"Authorization": "Bearer test-key"},
        json={"messages": [{"role": "user", "content": "stream these words"}]},
    )
    assert events[-1].data == "[DONE]"
    text = "".join(e.json()["choices"][0]["delta"]["content"] for e in events[:-1])
    assert text == "stream these words "


def test_starlette_401_says_what_the_server_answered(mode, uvicorn_url):
    with pytest.raises(
        sse_post.ResponseError, match=r'got 401 application/json: \{"error": "bad key"\}'
    ):
        collect(mode, uvicorn_url + "/v1/chat/completions", method="POST", json={"messages": []})


def test_stop_button_ends_the_stream_and_the_server_notices(mode, uvicorn_url):
    GONE.clear()
    controller = sse_post.AbortController()
    first = threading.Event()
    got: list[str] = []

    def stop_button() -> None:
        assert first.wait(WAIT)
        controller.abort("stop button")

    stopper = threading.Thread(target=stop_button, daemon=True)
    stopper.start()
    options = {"method": "POST", "json": {}, "signal": controller.signal}
    if mode == "sync":
        with sse_post.EventSource(uvicorn_url + "/endless", **options) as source:
            for event in source:
                got.append(event.json()["choices"][0]["delta"]["content"])
                first.set()
    else:

        async def main() -> None:
            async with sse_post.AsyncEventSource(uvicorn_url + "/endless", **options) as source:
                async for event in source:
                    got.append(event.json()["choices"][0]["delta"]["content"])
                    first.set()

        anyio.run(main, backend=mode)
    stopper.join(WAIT)
    assert got == ["thinking"]
    assert controller.signal.reason == "stop button"
    assert GONE.wait(WAIT)
