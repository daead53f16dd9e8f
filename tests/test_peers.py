"""What the docs' comparison table claims about other Python SSE parsers, checked.

Each test feeds the same bytes to sse_post and to httpx-sse 0.4, httpx2's built-in SSE and
openai's internal SSEDecoder, through their real paths. If a peer changes, a test here
fails and the tables in docs/index.md and docs/comparison.md must change with it. The
second half runs the peers end to end against a local server: httpx2's ``client.sse()``,
httpx-sse's ``connect_sse`` and openai's client.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import httpx2
import httpx_sse
import openai
import pytest
from openai._streaming import SSEDecoder

import sse_post
from sse_post import protocols

from .kernel import wait_blocked
from .server import WAIT, ScriptedServer

OPENAI = protocols.openai_chat

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


# --- docs/comparison.md: the same rows, through each peer's real path ----------------


def _counting(chunks: list[bytes]) -> tuple[list[bytes], Iterator[bytes]]:
    consumed: list[bytes] = []

    def gen() -> Iterator[bytes]:
        for chunk in chunks:
            consumed.append(chunk)
            yield chunk

    return consumed, gen()


CR_STREAM = [b"data: x\r\r", b"data: y\r\r"]


def test_httpx2_holds_back_a_final_cr_and_openai_does_not():
    consumed, chunks = _counting(CR_STREAM)
    response = httpx2.Response(
        200,
        headers={"content-type": "text/event-stream"},
        content=chunks,
        request=httpx2.Request("GET", "http://peer.test/"),
    )
    for _ in httpx2.EventSource(response):
        assert len(consumed) == 2  # "x" only once the second read has come
        break
    consumed, chunks = _counting(CR_STREAM)
    for _ in SSEDecoder().iter_bytes(chunks):
        assert len(consumed) == 1  # at once
        break


def test_event_size_limits():
    big = [b"data: " + b"x" * (sse_post.DEFAULT_MAX_EVENT_SIZE + 1) + b"\n\n"]
    with pytest.raises(sse_post.EventTooLargeError):
        ours(big)
    with pytest.raises(httpx2.SSEError, match="byte limit"):  # 1 MiB by default
        via_httpx2(big)
    # No limit at all: the whole event is held in memory and delivered.
    assert [len(row[1]) for row in via_httpx_sse(big)] == [len(big[0]) - 8]
    assert [len(row[1]) for row in via_openai(big)] == [len(big[0]) - 8]


def test_httpx_inflates_a_read_whole_and_httpx2_in_pieces():
    # httpx-sse and openai read through httpx, which inflates each read at once: 20 KiB
    # of gzip is 32 MiB in memory before any parser sees it. httpx2 inflates by pieces.
    bomb = gzip.compress(b"data: " + b"x" * (32 * 2**20) + b"\n\n")
    assert len(bomb) < 64 * 1024
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    whole = httpx.Response(
        200, headers=headers, content=iter([bomb]), request=httpx.Request("GET", "http://p/")
    )
    assert len(next(whole.iter_bytes())) > 32 * 2**20
    pieces = httpx2.Response(
        200, headers=headers, content=iter([bomb]), request=httpx2.Request("GET", "http://p/")
    )
    assert len(next(pieces.iter_bytes())) <= 2**20


CHAT = [
    b'data: {"choices": [{"delta": {"content": "Hel"}}]}\n\n',
    b'data: {"choices": [{"delta": {"content": "lo"}}]}\n\n',
]


def _chat_route(server: ScriptedServer, script: Callable[[Any], None]) -> str:
    # openai's client posts to {base_url}/chat/completions.
    url = server.route(script)
    server.routes[url.split(str(server.port), 1)[1] + "/chat/completions"] = script
    return url


def _openai_chat(base_url: str) -> Any:
    client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=WAIT)
    messages: Any = [{"role": "user", "content": "x"}]
    return client, client.chat.completions.create(model="m", messages=messages, stream=True)


def test_end_event_held_open_ours_and_openai_end_httpx2_does_not_know_it(server):
    def held(h: Any) -> None:
        h.start()
        h.send(b"".join(CHAT) + b"data: [DONE]\n\n")
        h.wait_client_gone()

    url = _chat_route(server, held)
    events = list(sse_post.EventSource(url, method="POST", json={}, protocol=OPENAI))
    assert [e.data for e in events] == [c[6:-2].decode() for c in CHAT]
    client, stream = _openai_chat(url)
    with client:
        assert [c.choices[0].delta.content for c in stream] == ["Hel", "lo"]
    for recorded in server.requests_to(url) + server.requests_to(url + "/chat/completions"):
        assert recorded.client_gone.wait(WAIT)  # both closed the connection at [DONE]
    # httpx2's client.sse() has no end event: [DONE] is one more event, and the loop
    # would wait on the open connection; the caller must know to break.
    with (
        httpx2.Client(timeout=WAIT) as client2,
        client2.sse(url, method="POST", json={}) as source,
    ):
        datas = []
        for event in source:
            datas.append(event.data)
            if event.data == "[DONE]":
                break
    assert datas[-1] == "[DONE]"


def test_a_stream_cut_before_its_end_is_silent_for_the_peers(server):
    url = _chat_route(server, lambda h: (h.start(), h.send(b"".join(CHAT)), h.end()))
    with pytest.raises(sse_post.IncompleteStreamError):
        list(sse_post.EventSource(url, method="POST", json={}, protocol=OPENAI))
    client, stream = _openai_chat(url)
    with client:
        assert [c.choices[0].delta.content for c in stream] == ["Hel", "lo"]  # no error
    with (
        httpx2.Client(timeout=WAIT) as client2,
        client2.sse(url, method="POST", json={}) as source,
    ):
        assert len(list(source)) == 2  # no error either
    with (
        httpx.Client(timeout=WAIT) as client3,
        httpx_sse.connect_sse(client3, "POST", url, json={}) as source3,
    ):
        assert len(list(source3.iter_sse())) == 2


def test_error_events_ours_and_openai_raise_the_others_yield_them(server):
    error = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    url = _chat_route(server, lambda h: (h.start(), h.send(CHAT[0] + error), h.end()))
    with pytest.raises(sse_post.ServerEventError):
        list(sse_post.EventSource(url, method="POST", json={}, protocol=OPENAI))
    client, stream = _openai_chat(url)
    with client, pytest.raises(openai.APIError, match="overloaded"):
        list(stream)
    with (
        httpx2.Client(timeout=WAIT) as client2,
        client2.sse(url, method="POST", json={}) as source,
    ):
        assert '"error"' in list(source)[-1].data  # an ordinary event


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [(200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "result": {}}'), (202, "", b"")],
)
def test_json_and_202_answers(server, status, content_type, body):
    url = server.route(lambda h: h.respond(status, body, content_type=content_type))
    events = list(sse_post.EventSource(url, method="POST", json={}, protocol=protocols.mcp))
    assert [e.data for e in events] == ([body.decode()] if body else [])
    with httpx2.Client(timeout=WAIT) as client, client.sse(url, method="POST", json={}) as source:
        with pytest.raises(httpx2.SSEError, match="content type"):
            list(source)
    with (
        httpx.Client(timeout=WAIT) as client2,
        httpx_sse.connect_sse(client2, "POST", url, json={}) as source2,
    ):
        with pytest.raises(httpx_sse.SSEError):
            list(source2.iter_sse())


def test_a_dropped_get_stream_resumes_only_with_ours(server):
    def feed(h: Any) -> None:
        h.start()
        if "last-event-id" in h.recorded.headers:
            h.send(b"id: 2\ndata: b\n\n")
            h.end()
        else:
            h.send(b"retry: 1\nid: 1\ndata: a\n\n")
            h.drop()

    url = server.route(feed)
    policy = sse_post.ReconnectPolicy(initial_delay=0.01, jitter=0.0, min_delay=0.0)
    with sse_post.EventSource(url, reconnect=policy) as source:
        datas = []
        for event in source:
            datas.append(event.data)
            if event.data == "b":
                break
    assert datas == ["a", "b"]
    assert server.requests_to(url)[1].headers["last-event-id"] == "1"
    with httpx2.Client(timeout=WAIT) as client, client.sse(url) as peer:
        with pytest.raises(httpx2.RemoteProtocolError):  # the drop ends the loop: no resume
            [event.data for event in peer]
    assert len(server.requests_to(url)) == 3


def _redirecting(server: ScriptedServer) -> tuple[str, str]:
    target = server.route(lambda h: (h.start(), h.send(b"data: x\n\n"), h.end()))
    other_origin = target.replace("127.0.0.1", "localhost")
    start = server.route(lambda h: h.respond(307, headers={"Location": other_origin}))
    return start, target


SECRETS = {"Authorization": "Bearer sk-1", "X-Api-Key": "k-1"}


def test_redirects_to_another_origin_keep_secrets_home_only_with_ours(server):
    start, target = _redirecting(server)
    with httpx2.Client(timeout=WAIT, follow_redirects=True) as client:
        with client.sse(start, method="POST", json={"prompt": 1}, headers=SECRETS) as source:
            assert [e.data for e in source] == ["x"]
    with httpx.Client(timeout=WAIT, follow_redirects=True) as client2:
        with httpx_sse.connect_sse(
            client2, "POST", start, json={"prompt": 1}, headers=SECRETS
        ) as source2:
            assert [e.data for e in source2.iter_sse()] == ["x"]
    for seen in server.requests_to(target):
        assert seen.headers["x-api-key"] == "k-1"  # sent to the other origin
        assert "authorization" not in seen.headers  # httpx drops only this one
        assert json.loads(seen.body) == {"prompt": 1}  # and the POST body goes along
    with pytest.raises(sse_post.RedirectError):  # ours refuses to carry the body there
        list(sse_post.EventSource(start, method="POST", json={"prompt": 1}, headers=SECRETS))
    start, target = _redirecting(server)
    assert [e.data for e in sse_post.EventSource(start, headers=SECRETS, reconnect=False)] == ["x"]
    (seen,) = server.requests_to(target)
    assert "x-api-key" not in seen.headers
    assert "authorization" not in seen.headers


def test_httpx2_closing_from_another_thread_does_not_unblock_a_read(server):
    # httpx2 has no abort: the nearest is closing the response from another thread. The
    # read blocked on a silent stream goes on until the read timeout. (Ours: test_abort.)
    url = server.route(lambda h: (h.start(), h.send(b"data: first\n\n"), h.wait_client_gone()))
    first = threading.Event()
    reader = threading.current_thread()
    with httpx2.Client(timeout=1.0) as client, client.sse(url) as source:
        # Closed once the reader sleeps in its read, not before it starts it.
        closer = threading.Thread(
            target=lambda: (first.wait(WAIT), wait_blocked(reader), source.response.close())
        )
        closer.start()

        def read_all() -> None:
            for _ in source:
                first.set()

        started = time.monotonic()
        with pytest.raises(httpx2.TransportError):
            read_all()
        closer.join(WAIT)
        assert time.monotonic() - started >= 1.0  # ended by the read timeout, not the close
