from __future__ import annotations

import anyio
import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

import sse_post
from sse_post import ServerSentEvent as E
from sse_post.testing import format_event, sse_response

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
ONE_LINE = TEXT.filter(lambda s: "\r" not in s and "\n" not in s)


@given(
    data=TEXT,
    event=ONE_LINE,
    id=ONE_LINE.filter(lambda s: "\0" not in s),
    retry=st.none() | st.integers(0, 10**6),
)
def test_format_event_round_trips(data, event, id, retry):
    parser = sse_post.SSEParser()
    (parsed,) = parser.feed(format_event(data, event=event, id=id, retry=retry, comment="c"))
    expected_data = data.replace("\r\n", "\n").replace("\r", "\n")  # SSE normalises line ends
    assert parsed == E(event=event or "message", data=expected_data, id=id, retry=retry)
    assert parser.last_event_id == id


def test_format_event_without_data_dispatches_nothing():
    parser = sse_post.SSEParser()
    assert parser.feed(format_event(id="7", retry=10)) == []
    assert (parser.last_event_id, parser.retry) == ("7", 10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"id": "a\nb"}, "id on one line"),
        ({"id": "a\0b"}, "without NUL"),
        ({"event": "a\rb"}, "event on one line"),
        ({"comment": "a\nb"}, "comment on one line"),
        ({"retry": -1}, "retry of 0 or more"),
    ],
)
def test_format_event_rejects_what_cannot_be_read_back(kwargs, match):
    with pytest.raises(ValueError, match=match):
        format_event("x", **kwargs)


EVENTS = [
    {"data": "one", "id": "1"},
    {"data": "two\nlines", "event": "x"},
    b": raw comment\n\n",
    "data: three\n\n",
]
EXPECTED = [
    E(data="one", id="1"),
    E(event="x", data="two\nlines", id="1"),
    E(data="three", id="1"),
]


@pytest.fixture(params=["sync", "asyncio", "trio"])
def mode(request):
    return request.param


def collect(mode, url, **options):
    options.setdefault("reconnect", False)
    if mode == "sync":
        with sse_post.EventSource(url, **options) as source:
            return list(source)

    async def main():
        async with sse_post.AsyncEventSource(url, **options) as source:
            return [e async for e in source]

    return anyio.run(main, backend=mode)


@pytest.mark.parametrize("chunk_size", [None, 1, 7])
def test_sse_response_with_respx(mode, chunk_size):
    with respx.mock:
        respx.post("http://api.test/stream").mock(
            return_value=sse_response(EVENTS, chunk_size=chunk_size)
        )
        assert collect(mode, "http://api.test/stream", method="POST") == EXPECTED


def test_sse_response_in_a_mock_transport(mode):
    def handler(request: httpx.Request) -> httpx.Response:
        return sse_response([{"data": "hi"}], delay=0.001)

    if mode == "sync":
        with httpx.Client(transport=httpx.MockTransport(handler)) as client:
            assert collect(mode, "http://t/", client=client) == [E(data="hi")]
        return

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            async with sse_post.AsyncEventSource(
                "http://t/", client=client, reconnect=False
            ) as source:
                return [e async for e in source]

    assert anyio.run(main, backend=mode) == [E(data="hi")]


def test_sse_response_drop_then_resume(mode):
    with respx.mock:
        respx.get("http://api.test/feed").mock(
            side_effect=[
                sse_response([{"data": "1", "id": "1"}, {"data": "2", "id": "2"}], drop_after=25),
                sse_response([{"data": "2", "id": "2"}]),
                httpx.Response(204),
            ]
        )
        policy = sse_post.ReconnectPolicy(initial_delay=0, min_delay=0, jitter=0)
        events = collect(mode, "http://api.test/feed", reconnect=policy)
    assert [e.data for e in events] == ["1", "2"]


def test_sse_response_status_and_headers(mode):
    with respx.mock:
        respx.get("http://api.test/x").mock(
            return_value=sse_response(
                [b"nope"], status_code=403, headers={"Content-Type": "text/plain"}
            )
        )
        with pytest.raises(sse_post.ResponseError, match="got 403 text/plain: nope"):
            collect(mode, "http://api.test/x")
