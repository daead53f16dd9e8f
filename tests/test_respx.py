"""Error paths through respx: transport failures that a real server cannot easily make."""

from __future__ import annotations

import anyio
import httpx
import pytest
import respx

import sse_post
from sse_post import ReconnectPolicy

URL = "http://api.example.test/v1/stream"
FAST = ReconnectPolicy(initial_delay=0.0, max_delay=0.0, jitter=0.0, max_attempts=3)


def run(mode: str, **options: object) -> list[sse_post.ServerSentEvent]:
    if mode == "sync":
        with sse_post.EventSource(URL, **options) as source:  # type: ignore[arg-type]
            return list(source)

    async def main() -> list[sse_post.ServerSentEvent]:
        async with sse_post.AsyncEventSource(URL, **options) as source:  # type: ignore[arg-type]
            return [e async for e in source]

    return anyio.run(main, backend=mode)


@pytest.fixture(params=["sync", "asyncio", "trio"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_connect_errors_exhaust_the_policy(mode):
    with respx.mock:
        route = respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(
            sse_post.ReconnectError, match="gave up after 3 failed attempts"
        ) as info:
            run(mode, reconnect=FAST)
    assert route.call_count == 3
    assert isinstance(info.value.__cause__, sse_post.NetworkError)
    assert isinstance(info.value.__cause__.__cause__, httpx.ConnectError)


def test_post_whose_server_is_down_fails_at_once(mode):
    with respx.mock:
        route = respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(sse_post.NetworkError, match="refused") as info:
            run(mode, method="POST", reconnect=FAST)
    assert route.call_count == 1
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_connect_timeout_is_a_timeout_error(mode):
    with respx.mock:
        respx.get(URL).mock(side_effect=httpx.ConnectTimeout("slow"))
        with pytest.raises(sse_post.NetworkTimeoutError, match="timed out") as info:
            run(mode, reconnect=False)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectTimeout)


def test_connect_error_without_reconnect_is_wrapped(mode):
    with respx.mock:
        respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(sse_post.NetworkError) as info:
            run(mode, reconnect=False)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_connect_error_then_success(mode):
    with respx.mock:
        respx.get(URL).mock(
            side_effect=[
                httpx.ConnectTimeout("slow"),
                httpx.Response(
                    200, headers={"content-type": "text/event-stream"}, content=b"data: ok\n\n"
                ),
                httpx.Response(204),
            ]
        )
        assert [e.data for e in run(mode, reconnect=FAST)] == ["ok"]


def test_non_transport_errors_are_not_retried(mode):
    with respx.mock:
        route = respx.get(URL).mock(side_effect=RuntimeError("a bug"))
        with pytest.raises(RuntimeError, match="a bug"):
            run(mode, reconnect=FAST)
    assert route.call_count == 1


def test_mock_transport_in_the_callers_client(mode):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept"] == "text/event-stream"
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=b"data: mocked\n\n"
        )

    if mode == "sync":
        client: object = httpx.Client(transport=httpx.MockTransport(handler))
    else:
        client = None
    if client is not None:
        with client:  # type: ignore[attr-defined]
            assert [e.data for e in run(mode, method="POST", client=client)] == ["mocked"]
        return

    async def main() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as aclient:
            async with sse_post.AsyncEventSource(URL, method="POST", client=aclient) as source:
                return [e.data async for e in source]

    assert anyio.run(main, backend=mode) == ["mocked"]
