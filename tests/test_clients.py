"""Client behaviour against the scripted server, in every mode: sync, asyncio and trio."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

import sse_post
from sse_post import ReadyState, ReconnectPolicy
from sse_post import ServerSentEvent as E

from .conftest import FAST


def stream(*parts: bytes, end: bool = True, **start: object):
    def script(h):
        h.start(**start)
        for part in parts:
            h.send(part)
        if end:
            h.end()

    return script


class TestRequests:
    def test_post_sends_method_json_body_and_headers(self, run, server):
        url = server.route(stream(b"data: ok\n\n"))
        headers = {"Authorization": "Bearer k"}
        out = run(
            url,
            method="POST",
            json={"messages": [{"role": "user", "content": "hi"}]},
            headers=headers,
        )
        assert out.error is None
        assert out.data == ["ok"]
        (req,) = server.requests_to(url)
        assert req.method == "POST"
        assert json.loads(req.body) == {"messages": [{"role": "user", "content": "hi"}]}
        assert req.headers["authorization"] == "Bearer k"
        assert req.headers["accept"] == "text/event-stream"
        assert req.headers["cache-control"] == "no-cache"
        assert req.headers["content-type"] == "application/json"
        assert "last-event-id" not in req.headers
        assert headers == {"Authorization": "Bearer k"}  # the caller's dict is untouched

    def test_caller_accept_header_is_kept(self, run, server):
        url = server.route(stream(b"data: ok\n\n"))
        run(url, headers=[("accept", "text/event-stream; q=1"), ("X-Extra", "1")])
        (req,) = server.requests_to(url)
        assert req.headers["accept"] == "text/event-stream; q=1"
        assert req.headers["x-extra"] == "1"

    @pytest.mark.parametrize(
        ("kwargs", "body"),
        [
            ({"content": b"raw"}, b"raw"),
            ({"content": "text"}, b"text"),
            ({"data": {"a": "1"}}, b"a=1"),
        ],
    )
    def test_bodies(self, run, server, kwargs, body):
        url = server.route(stream(b"data: ok\n\n"))
        out = run(url, method="PUT", **kwargs)
        assert out.data == ["ok"]
        assert server.requests_to(url)[0].body == body

    def test_params_and_any_method(self, run, server):
        url = server.route(stream(b"data: ok\n\n"))
        run(url, method="patch", params={"q": "1"})
        (req,) = server.requests_to(url)
        assert (req.method, req.path.split("?")[1]) == ("PATCH", "q=1")

    def test_last_event_id_sent_from_first_request_as_utf8(self, run, server):
        url = server.route(stream(b"data: ok\n\n"))
        out = run(url, last_event_id="caf\u00e9-7")
        (req,) = server.requests_to(url)
        assert req.headers["last-event-id"].encode("latin-1").decode() == "caf\u00e9-7"
        assert out.events == [E(data="ok", id="caf\u00e9-7")]

    def test_body_options_are_exclusive(self):
        with pytest.raises(TypeError, match="at most one of json=, data= and content="):
            sse_post.EventSource("http://127.0.0.1:1/", json={}, content=b"x")

    def test_options_are_keyword_only(self):
        with pytest.raises(TypeError):
            sse_post.EventSource("http://127.0.0.1:1/", "POST")  # type: ignore[misc]


class TestResponses:
    def test_content_type_with_parameters_and_case_opens(self, run, server):
        url = server.route(
            stream(b"data: a\n\n", content_type="Text/Event-Stream; charset=latin-1")
        )
        out = run(url)
        assert out.data == ["a"]
        assert out.states == [ReadyState.OPEN]
        assert out.source.ready_state is ReadyState.CLOSED

    def test_trickle_one_byte_per_write(self, run, server):
        payload = b"id: 7\r\ndata: tr\xc3\xa9s\r\ndata: lent\r\n\r\n"

        def script(h):
            h.start()
            for i in range(len(payload)):
                h.send(payload[i : i + 1])
            h.end()

        url = server.route(script)
        out = run(url, method="POST")
        assert out.events == [E(data="tr\u00e9s\nlent", id="7")]

    def test_gzip_encoded_stream(self, run, server):
        import gzip

        body = gzip.compress(b"data: packed\n\ndata: twice\n\n")
        url = server.route(stream(body[:10], body[10:], headers={"Content-Encoding": "gzip"}))
        out = run(url, method="POST")
        assert (out.data, out.error) == (["packed", "twice"], None)

    def test_close_delimited_stream(self, run, server):
        url = server.route(stream(b"data: a\n\n", b"data: b\n\n", chunked=False))
        out = run(url, method="POST")
        assert (out.data, out.error) == (["a", "b"], None)

    def test_204_ends_quietly(self, run, server):
        url = server.route(lambda h: h.respond(204))
        out = run(url)
        assert (out.events, out.error) == ([], None)
        assert len(server.requests_to(url)) == 1

    def test_401_raises_response_error_with_body_and_no_retry(self, run, server):
        url = server.route(
            lambda h: h.respond(401, b'{"error": "bad key"}', content_type="application/json")
        )
        out = run(url, method="POST", json={})
        assert isinstance(out.error, sse_post.ResponseError)
        assert (
            str(out.error)
            == 'expected 200 text/event-stream, got 401 application/json: {"error": "bad key"}'
        )
        assert out.error.status_code == 401
        assert out.error.content_type == "application/json"
        assert out.error.body == '{"error": "bad key"}'
        assert out.error.headers["content-type"] == "application/json"
        assert len(server.requests_to(url)) == 1

    def test_200_with_wrong_content_type(self, run, server):
        url = server.route(
            lambda h: h.respond(200, b"<html>login</html>", content_type="text/html")
        )
        out = run(url)
        assert isinstance(out.error, sse_post.ResponseError)
        assert "got 200 text/html: <html>login</html>" in str(out.error)

    def test_error_body_excerpt_is_capped(self, run, server):
        url = server.route(lambda h: h.respond(500, b"x" * 100_000))
        out = run(url)
        assert isinstance(out.error, sse_post.ResponseError)
        assert 4096 <= len(out.error.body) < 100_000

    def test_503_is_retried_honouring_retry_after(self, run, server):
        calls = []

        def script(h):
            calls.append(1)
            if len(calls) == 1:
                h.respond(503, b"busy", headers={"Retry-After": "0"})
            else:
                stream(b"data: ok\n\n")(h)

        url = server.route(script)
        out = run(url, method="POST", reconnect=replace(FAST, retry_unopened=True))
        assert (out.data, out.error) == (["ok"], None)
        assert len(server.requests_to(url)) == 2

    def test_retryable_status_gives_up_with_reconnect_error(self, run, server):
        url = server.route(lambda h: h.respond(503, b"down"))
        policy = ReconnectPolicy(max_attempts=3, initial_delay=0.01, min_delay=0, jitter=0)
        out = run(url, reconnect=policy)
        assert isinstance(out.error, sse_post.ReconnectError)
        assert out.error.attempts == 3
        assert isinstance(out.error.__cause__, sse_post.ResponseError)
        assert out.error.__cause__.status_code == 503
        assert len(server.requests_to(url)) == 3

    def test_retryable_status_without_reconnect_raises_response_error(self, run, server):
        url = server.route(lambda h: h.respond(429, b"slow down"))
        out = run(url, reconnect=False)
        assert isinstance(out.error, sse_post.ResponseError)
        assert out.error.status_code == 429

    def test_response_and_url_attributes(self, run, server):
        seen = []
        url = server.route(stream(b"data: a\n\n"))

        def check(outcome, source):
            seen.append(
                (source.response.status_code, source.url, source.response.headers["content-type"])
            )

        run(url, on_event=check)
        assert seen == [(200, url, "text/event-stream")]


class TestReconnection:
    def test_get_resumes_after_drop_with_last_event_id(self, run, server):
        def script(h):
            resume = h.headers.get("Last-Event-ID")
            h.start()
            if resume is None:
                h.send(b"retry: 10\nid: 1\ndata: one\n\nid: 2\ndata: tw")
                h.drop()
            elif resume == "1":
                h.send(b"id: 2\ndata: two\n\nid: 3\ndata: three\n\n")
                h.end()
            else:
                h.end()

        url = server.route(script)
        out = run(url, reconnect=FAST)
        assert out.data[:3] == ["one", "two", "three"]
        assert [e.id for e in out.events[:3]] == ["1", "2", "3"]
        ids = [r.headers.get("last-event-id") for r in server.requests_to(url)]
        assert ids[:3] == [None, "1", "3"]

    def test_get_reconnects_after_clean_end_and_204_stops(self, run, server):
        def script(h):
            if h.headers.get("Last-Event-ID"):
                h.respond(204)
            else:
                stream(b"id: a\ndata: 1\n\n")(h)

        url = server.route(script)
        out = run(url, reconnect=FAST)
        assert (out.data, out.error) == (["1"], None)
        assert [r.headers.get("last-event-id") for r in server.requests_to(url)] == [None, "a"]

    def test_post_clean_end_ends_without_reconnecting(self, run, server):
        url = server.route(stream(b"id: 9\ndata: 1\n\n"))
        out = run(url, method="POST", json={"x": 1})
        assert (out.data, out.error) == (["1"], None)
        assert len(server.requests_to(url)) == 1

    @pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
    def test_post_drop_without_id_raises_after_delivered_events(self, run, server, reset):
        delivered = threading.Event()

        def script(h):
            h.start()
            h.send(b"data: 1\n\n")
            # A reset may discard data the client has not read yet: drop once it has.
            delivered.wait(10)
            h.send(b"data: par")
            h.drop(reset=reset)

        url = server.route(script)
        out = run(
            url,
            method="POST",
            json={},
            reconnect=FAST,
            on_event=lambda outcome, source: delivered.set(),
        )
        assert out.data == ["1"]
        assert type(out.error) is sse_post.ConnectionLostError
        assert "may have had effects" in str(out.error)
        assert out.error.__cause__ is not None
        assert len(server.requests_to(url)) == 1

    def test_post_drop_with_id_resumes_with_same_body(self, run, server):
        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"id: 1\ndata: 1\n\ndata: lost")
                h.drop()
            else:
                h.send(b"id: 2\ndata: 2\n\n")
                h.end()

        url = server.route(script)
        out = run(url, method="POST", json={"q": 1}, reconnect=FAST)
        assert (out.data, out.error) == (["1", "2"], None)
        first, second = server.requests_to(url)
        assert second.method == "POST"
        assert second.body == first.body
        assert json.loads(first.body) == {"q": 1}
        assert second.headers["last-event-id"] == "1"

    def test_post_drop_replayed_when_caller_opts_in(self, run, server):
        def script(h):
            h.start()
            if len(server.requests_to(url)) == 1:
                h.send(b"data: 1\n\n")
                h.drop()
            else:
                h.send(b"data: again\n\n")
                h.end()

        url = server.route(script)
        policy = ReconnectPolicy(initial_delay=0.01, jitter=0, replay_non_idempotent=True)
        out = run(url, method="POST", json={}, reconnect=policy)
        assert (out.data, out.error) == (["1", "again"], None)

    def test_callable_body_called_per_attempt(self, run, server):
        bodies = iter([b"first", b"second"])

        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"id: 1\ndata: 1\n\n")
                h.drop()
            else:
                h.end()

        url = server.route(script)
        out = run(url, method="POST", content=lambda: next(bodies), reconnect=FAST)
        assert out.error is None
        assert [r.body for r in server.requests_to(url)] == [b"first", b"second"]

    def test_one_shot_iterator_body_cannot_be_replayed(self, run, server):
        def script(h):
            h.start()
            h.send(b"id: 1\ndata: 1\n\n")
            h.drop()

        url = server.route(script)
        if run.is_async:

            async def chunks():
                yield b"once"

            content = chunks()
        else:
            content = iter([b"once"])
        out = run(url, method="POST", content=content, reconnect=FAST)
        assert out.data == ["1"]
        assert type(out.error) is sse_post.ConnectionLostError
        assert "one-shot iterator" in str(out.error)
        assert server.requests_to(url)[0].body == b"once"

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_drop_before_response_headers_replays_only_safe_methods(self, run, server, method):
        def script(h):
            if len(server.requests_to(url)) == 1:
                h.drop()  # the request arrived; no response at all
            else:
                h.respond(204)

        url = server.route(script)
        out = run(url, method=method, reconnect=FAST)
        if method == "GET":
            assert out.error is None
            assert len(server.requests_to(url)) == 2
        else:
            # A POST whose first connection failed reports at once, the transport's
            # error as the cause; even an explicit policy never replays it (it may
            # have reached the server).
            assert type(out.error) is sse_post.NetworkError
            assert out.error.__cause__ is not None
            assert len(server.requests_to(url)) == 1
            url = server.route(script)
            out = run(url, method=method, reconnect=replace(FAST, retry_unopened=True))
            assert type(out.error) is sse_post.ConnectionLostError
            assert len(server.requests_to(url)) == 1

    def test_drops_exhaust_policy(self, run, server):
        def script(h):
            h.start()
            h.send(b"id: 1\n: no event yet\n")
            h.drop()

        url = server.route(script)
        out = run(url, reconnect=ReconnectPolicy(max_attempts=2, initial_delay=0.01, jitter=0))
        assert isinstance(out.error, sse_post.ReconnectError)
        assert out.error.attempts == 2
        assert len(server.requests_to(url)) == 2

    def test_reconnect_false_raises_on_drop(self, run, server):
        def script(h):
            h.start()
            h.send(b"id: 1\ndata: 1\n\n")
            h.drop()

        url = server.route(script)
        out = run(url, reconnect=False)
        assert out.data == ["1"]
        assert type(out.error) is sse_post.ConnectionLostError
        assert "reconnect=False" in str(out.error)

    def test_server_retry_sets_reconnection_time(self, run, server):
        seen = []
        url = server.route(stream(b"retry: 1500\ndata: 1\n\n"))
        run(url, method="POST", on_event=lambda out, source: seen.append(source.retry))
        assert seen == [1.5]

    def test_idle_timeout_counts_only_events(self, run, server):
        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"id: 1\ndata: 1\n\n")
                h.send(b": ping\n\n")
                h.wait_client_gone()
            else:
                h.end()

        url = server.route(script)
        out = run(url, idle_timeout=0.2, method="POST", reconnect=FAST)
        assert out.data == ["1"]
        assert out.error is None
        first = server.requests_to(url)[0]
        assert first.client_gone.wait(10)
        assert server.requests_to(url)[1].headers["last-event-id"] == "1"

    def test_idle_timeout_error_when_not_resumable(self, run, server):
        def script(h):
            h.start()
            h.send(b"data: 1\n\n: ping\n\n")
            h.wait_client_gone()

        url = server.route(script)
        out = run(url, idle_timeout=0.2, method="POST", reconnect=FAST)
        assert isinstance(out.error, sse_post.ConnectionLostError)
        assert isinstance(out.error, TimeoutError)  # caused by a timeout
        assert "timed out" in str(out.error)
        assert isinstance(out.error.__cause__, sse_post.IdleTimeoutError)
        assert isinstance(out.error.__cause__, TimeoutError)


class TestLimits:
    def test_event_too_large_after_delivered_events(self, run, server):
        url = server.route(stream(b"data: ok\n\n", b"data: " + b"x" * 5000, end=False))
        out = run(url, max_event_size=1000)
        assert out.data == ["ok"]
        assert isinstance(out.error, sse_post.EventTooLargeError)

    def test_event_too_large_in_the_read_of_earlier_events_raises_at_once(self, run, server):
        # One write holds an event and the start of one over the limit, then the server
        # waits: the error comes right after the event, not with bytes that never come.
        def script(h):
            h.start()
            h.send(b"data: ok\n\ndata: " + b"x" * 5000)
            h.wait_client_gone()

        url = server.route(script)
        out = run(url, max_event_size=1000, idle_timeout=30)
        assert out.data == ["ok"]
        assert isinstance(out.error, sse_post.EventTooLargeError)
        # The client left first: the error did not wait for the server to give up.
        (request,) = server.requests_to(url)
        assert request.client_gone.wait(10)


class TestHooks:
    def test_on_open_and_on_reconnect(self, run, server):
        def script(h):
            h.start(headers={"X-Server": "scripted"})
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"retry: 20\nid: 1\ndata: 1\n\n")
                h.drop()
            else:
                h.end()

        opened, waits = [], []
        url = server.route(script)
        policy = ReconnectPolicy(jitter=0, min_delay=0)
        out = run(
            url,
            method="POST",
            reconnect=policy,
            on_open=lambda r: opened.append((r.status_code, r.headers["x-server"], str(r.url))),
            on_reconnect=lambda delay, error: waits.append((delay, error is not None)),
        )
        assert (out.data, out.error) == (["1"], None)
        assert opened == [(200, "scripted", url)] * 2
        assert waits == [(0.02, True)]


class TestEndMidEvent:
    @pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
    def test_post_ending_mid_event(self, run, server, chunked):
        url = server.route(stream(b"data: 1\n\ndata: cut", chunked=chunked))
        out = run(url, method="POST", reconnect=FAST)
        assert out.data == ["1"]
        if chunked:  # the server ended a chunked body on purpose: the stream just ends
            assert out.error is None
        else:  # a close-delimited body cut mid-event: a drop, which a POST cannot resume
            assert type(out.error) is sse_post.ConnectionLostError
