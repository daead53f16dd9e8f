"""What the docs' comparison table claims about other Python SSE parsers, checked.

Each test feeds the same bytes to sse_post and to httpx-sse 0.4, httpx2's built-in SSE and
openai's internal SSEDecoder, through their real paths. If a peer changes, a test here
fails and the table in docs/index.md must change with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import httpx2
import httpx_sse
import pytest
from openai._streaming import SSEDecoder

import sse_post

Row = tuple[str, str, str, int | None]


def ours(chunks: list[bytes]) -> list[Row]:
    return [(e.event, e.data, e.id, e.retry) for e in sse_post.parse(chunks)]


def via_httpx_sse(chunks: list[bytes]) -> list[Row]:
    request = httpx.Request("GET", "http://peer.test/")
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=iter(chunks), request=request
    )
    return [(e.event, e.data, e.id, e.retry) for e in httpx_sse.EventSource(response).iter_sse()]


def via_httpx2(chunks: list[bytes]) -> list[Row]:
    request = httpx2.Request("GET", "http://peer.test/")
    response = httpx2.Response(
        200, headers={"content-type": "text/event-stream"}, content=iter(chunks), request=request
    )
    return [(e.event, e.data, e.id, e.retry) for e in httpx2.EventSource(response)]


def via_openai(chunks: list[bytes]) -> list[Row]:
    return [
        (e.event or "message", e.data, e.id or "", e.retry)
        for e in SSEDecoder().iter_bytes(iter(chunks))
    ]


PEERS: list[Callable[[list[bytes]], list[Row]]] = [via_httpx_sse, via_httpx2, via_openai]


@pytest.mark.parametrize("peer", PEERS)
def test_a_leading_bom_loses_the_first_event(peer):
    stream = [b"\xef\xbb\xbfdata: 1\n\n"]
    assert ours(stream) == [("message", "1", "", None)]
    assert peer(stream) == []


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("block", [b"id: 1\n\n", b"event: update\n\n"])
def test_blocks_without_data_make_phantom_events(peer, block):
    stream = [block + b"data: x\n\n"]
    assert [row[1] for row in ours(stream)] == ["x"]
    assert [row[1] for row in peer(stream)] == ["", "x"]


@pytest.mark.parametrize("peer", PEERS)
def test_retry_with_a_sign_is_accepted(peer):
    stream = [b"retry: +5\ndata: x\n\n"]  # the spec: only ASCII digits count
    assert ours(stream)[0][3] is None
    assert peer(stream)[0][3] == 5


def test_httpx_sse_holds_back_a_final_cr():
    consumed: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for chunk in (b"data: x\r\r", b"data: y\r\r"):
            consumed.append(chunk)
            yield chunk

    request = httpx.Request("GET", "http://peer.test/")
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=chunks(), request=request
    )
    delivered_after = [len(consumed) for _ in httpx_sse.EventSource(response).iter_sse()]
    assert delivered_after[0] == 2  # "x" only once the second read has come

    parser = sse_post.SSEParser()
    assert [e.data for e in parser.feed(b"data: x\r\r")] == ["x"]  # at once


def test_peers_hide_the_status_of_an_error_response():
    body = b'{"error": "bad key"}'
    response = httpx.Response(
        401,
        headers={"content-type": "application/json"},
        content=body,
        request=httpx.Request("GET", "http://p/"),
    )
    with pytest.raises(httpx_sse.SSEError) as httpx_sse_error:
        list(httpx_sse.EventSource(response).iter_sse())
    response2 = httpx2.Response(
        401,
        headers={"content-type": "application/json"},
        content=body,
        request=httpx2.Request("GET", "http://p/"),
    )
    with pytest.raises(httpx2.SSEError) as httpx2_error:
        list(httpx2.EventSource(response2))
    for error in (httpx_sse_error.value, httpx2_error.value):
        assert "401" not in str(error)
        assert "bad key" not in str(error)
    ours_error = sse_post.ResponseError(401, "application/json", {}, body.decode())
    assert (
        str(ours_error)
        == 'expected 200 text/event-stream, got 401 application/json: {"error": "bad key"}'
    )
