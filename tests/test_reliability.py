"""Fault injection against real local servers: drops, stalls, status faults, redirects,
hostile bodies, leaks and concurrency. Every server and wait is bounded in time."""

from __future__ import annotations

import json
import os
import random
import threading
from dataclasses import replace

import anyio
import httpx
import pytest

import sse_post
from sse_post import ReconnectPolicy

from .server import WAIT

RESUME = ReconnectPolicy(initial_delay=0.0, max_delay=0.0, jitter=0.0)


def numbered(n: int) -> bytes:
    return b"id: %d\ndata: event %d\ndata: second line\n\n" % (n, n)


def flaky_script(total: int, seed: int, *, post: bool, stats: dict[str, int]):
    """Serves events 1..total, resuming from Last-Event-ID, and cuts every connection
    after one to three events: mid-event or between events, with a FIN or a reset, over
    chunked or close-delimited bodies."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def script(h):
        last = h.headers.get("Last-Event-ID")
        start = int(last) + 1 if last else 1
        if start > total:
            h.respond(204)
            return
        with lock:
            chunked = rng.random() < 0.5
            count = rng.randint(1, 3)
            where = rng.choice(["mid", "between"])
            # Not the first connection: a reset can discard what the client had not read
            # yet, the response headers included, and a POST whose stream never opened
            # is not replayed (nothing to resume from yet).
            reset = rng.random() < 0.5 and last is not None
            cut_seed = rng.random()
        if post and not chunked and not reset:
            # A clean FIN ending a close-delimited body between events is exactly how
            # such a body ends; only a half-sent event shows it was cut off.
            where = "mid"
        h.start(chunked=chunked)
        end = min(start + count, total + 1)
        for n in range(start, end):
            h.send(numbered(n))
        if end > total:
            h.end()
            return
        if where == "mid":
            event = numbered(end)
            first_line = event.index(b"\n") + 1
            h.send(event[: first_line + 1 + int(cut_seed * (len(event) - first_line - 2))])
        stats["drops"] += 1
        h.drop(reset=reset)

    return script


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_dozens_of_drops_lose_and_duplicate_nothing(run, server, method):
    stats = {"drops": 0}
    url = server.route(
        flaky_script(60, seed=len(run.mode) * 7 + len(method), post=method == "POST", stats=stats)
    )
    out = run(url, method=method, json={"q": 1} if method == "POST" else None, reconnect=RESUME)
    assert out.error is None, repr(out.error)
    assert [e.id for e in out.events] == [str(n) for n in range(1, 61)]
    assert all(e.data == f"event {e.id}\nsecond line" for e in out.events)
    assert stats["drops"] >= 20
    requests = server.requests_to(url)
    assert len(requests) >= stats["drops"] + 1
    if method == "POST":
        assert all(r.method == "POST" and json.loads(r.body) == {"q": 1} for r in requests)


class TestStalls:
    def test_pause_longer_than_read_timeout_reconnects(self, run, server):
        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"id: 1\ndata: before\n\n")
                h.wait_client_gone()  # silent until the client's read timeout gives up
            else:
                h.send(b"id: 2\ndata: after\n\n")
                h.end()

        url = server.route(script)
        out = run(url, method="POST", timeout=0.3, reconnect=RESUME)
        assert (out.data, out.error) == (["before", "after"], None)
        assert server.requests_to(url)[0].client_gone.wait(WAIT)

    def test_headers_then_silence_times_out(self, run, server):
        url = server.route(lambda h: (h.start(), h.wait_client_gone()))
        out = run(url, timeout=0.2, reconnect=ReconnectPolicy(max_attempts=2, initial_delay=0))
        assert isinstance(out.error, sse_post.ReconnectError)
        assert isinstance(out.error.__cause__, sse_post.NetworkTimeoutError)
        assert type(out.error.__cause__.__cause__).__name__ == "ReadTimeout"  # either httpx
        assert len(server.requests_to(url)) == 2

    def test_pings_forever_trip_the_idle_timeout(self, run, server):
        def script(h):
            h.start()
            for _ in range(1000):
                if h.recorded.client_gone.is_set():
                    return
                h.send(b": ping\n\n")
                if h.wait_client_gone(0.01):
                    return

        url = server.route(script)
        out = run(
            url, idle_timeout=0.2, reconnect=ReconnectPolicy(max_attempts=1, initial_delay=0)
        )
        assert isinstance(out.error, sse_post.ReconnectError)
        assert isinstance(out.error.__cause__, sse_post.IdleTimeoutError)


class TestStatusFaults:
    @pytest.mark.parametrize("status", [500, 401, 403, 404])
    @pytest.mark.parametrize(
        ("body", "ctype"),
        [(b'{"error": "nope"}', "application/json"), (b"<h1>nope</h1>", "text/html")],
    )
    def test_errors_fail_at_once_with_the_body(self, run, server, status, body, ctype):
        url = server.route(lambda h: h.respond(status, body, content_type=ctype))
        out = run(url, reconnect=RESUME)
        assert isinstance(out.error, sse_post.ResponseError)
        assert (out.error.status_code, out.error.content_type) == (status, ctype)
        assert body.decode() in str(out.error)
        assert len(server.requests_to(url)) == 1

    @pytest.mark.parametrize("status", [502, 503])
    @pytest.mark.parametrize("retry_after", [None, "0"])
    def test_retryable_then_ok(self, run, server, status, retry_after):
        def script(h):
            if len(server.requests_to(url)) < 3:
                h.respond(
                    status, b"later", headers={"Retry-After": retry_after} if retry_after else None
                )
            else:
                h.start()
                h.send(b"data: finally\n\n")
                h.end()

        url = server.route(script)
        out = run(url, method="POST", reconnect=replace(RESUME, retry_unopened=True))
        assert (out.data, out.error) == (["finally"], None)
        assert len(server.requests_to(url)) == 3

    def test_post_to_a_failing_server_reports_at_once(self, run, server):
        url = server.route(lambda h: h.respond(502, b"bad gateway"))
        out = run(url, method="POST", json={}, reconnect=True)
        assert isinstance(out.error, sse_post.ResponseError)
        assert (out.error.status_code, out.error.body) == (502, "bad gateway")
        assert len(server.requests_to(url)) == 1

    @pytest.mark.parametrize(
        ("status", "keeps_body"), [(307, True), (308, True), (302, False), (301, False)]
    )
    def test_redirects(self, run, server, status, keeps_body):
        target = server.route(lambda h: (h.start(), h.send(b"data: moved\n\n"), h.end()))
        url = server.route(lambda h: h.respond(status, headers={"Location": target}))
        out = run(url, method="POST", json={"keep": True})
        if run.flavour == "httpx2":  # the caller's client does not follow redirects
            assert isinstance(out.error, sse_post.ResponseError)
            assert out.error.status_code == status
            return
        assert (out.data, out.error) == (["moved"], None)
        assert out.source.url == target
        (moved,) = server.requests_to(target)
        if keeps_body:
            assert (moved.method, json.loads(moved.body)) == ("POST", {"keep": True})
        else:
            assert (moved.method, moved.body) == ("GET", b"")

    def test_secrets_not_sent_to_another_origin(self, run, server):
        target = server.route(lambda h: (h.start(), h.send(b"data: there\n\n"), h.end()))
        other_origin = target.replace("127.0.0.1", "localhost") + "?api_key=k&x=1"
        url = server.route(lambda h: h.respond(307, headers={"Location": other_origin}))
        secrets = {"Authorization": "Bearer s", "X-API-Key": "k", "X-Session": "s"}
        out = run(url, headers={**secrets, "X-Plain": "p"}, client_follows=True)
        assert out.data == ["there"]
        assert server.requests_to(url)[0].headers["x-api-key"] == "k"
        moved = server.requests_to(target)[0]
        assert {"authorization", "x-api-key", "x-session"}.isdisjoint(moved.headers)
        assert moved.headers["x-plain"] == "p"
        assert moved.path.endswith("?x=1")

    def test_body_not_sent_to_another_origin(self, run, server):
        target = server.route(lambda h: (h.start(), h.send(b"data: there\n\n"), h.end()))
        other_origin = target.replace("127.0.0.1", "localhost")
        url = server.route(lambda h: h.respond(307, headers={"Location": other_origin}))
        out = run(url, method="POST", json={"prompt": "secret"}, client_follows=True)
        assert isinstance(out.error, sse_post.RedirectError)
        assert out.error.target == other_origin
        assert other_origin in str(out.error)
        assert server.requests_to(target) == []
        policy = sse_post.RedirectPolicy(send_body_cross_origin=True)
        out = run(url, method="POST", json={"p": 1}, redirects=policy, client_follows=True)
        assert out.data == ["there"]
        assert json.loads(server.requests_to(target)[0].body) == {"p": 1}

    def test_redirect_loops_are_bounded(self, run, server):
        url = server.route(lambda h: h.respond(302, headers={"Location": h.path}))
        out = run(url, client_follows=True)
        assert isinstance(out.error, sse_post.RedirectError)
        assert len(server.requests_to(url)) == 21


class TestHostileBodies:
    def test_endless_line_stops_at_the_size_cap(self, run, server):
        def script(h):
            h.start()
            h.send(b"data: ok\n\n")
            h.send(b"data: ")
            for _ in range(2000):  # 16 MB if nobody stops it
                if h.recorded.client_gone.is_set():
                    return
                try:
                    h.send(b"x" * 8192)
                except OSError:
                    return

        url = server.route(script)
        out = run(url, max_event_size=64 * 1024)
        assert out.data == ["ok"]
        assert isinstance(out.error, sse_post.EventTooLargeError)
        assert out.error.limit == 64 * 1024

    def test_endless_data_lines_stop_at_the_size_cap(self, run, server):
        def script(h):
            h.start()
            for _ in range(20000):
                try:
                    h.send(b"data: " + b"y" * 100 + b"\n")
                except OSError:
                    return

        url = server.route(script)
        out = run(url, max_event_size=64 * 1024)
        assert isinstance(out.error, sse_post.EventTooLargeError)

    def test_a_million_comment_lines(self, run, server):
        block = b": keep-alive\n" * 10_000

        def script(h):
            h.start()
            for _ in range(100):
                h.send(block)
            h.send(b"data: after a million comments\n\n")
            h.end()

        url = server.route(script)
        out = run(url, method="POST")
        assert out.data == ["after a million comments"]

    def test_nul_bytes_and_invalid_utf8(self, run, server):
        url = server.route(
            lambda h: (h.start(), h.send(b"id: a\0b\ndata: \0 \xff\xfe ok\n\n"), h.end())
        )
        out = run(url, method="POST")
        assert out.events == [sse_post.ServerSentEvent(data="\0 \ufffd\ufffd ok")]

    def test_huge_retry_is_clamped(self, run, server):
        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"retry: 99999999999999999999\nid: 1\ndata: 1\n\n")
                h.drop()
            else:
                h.end()

        waits = []
        url = server.route(script)
        policy = ReconnectPolicy(initial_delay=0, max_delay=0.05, jitter=0)
        out = run(url, method="POST", reconnect=policy, on_reconnect=lambda d, e: waits.append(d))
        assert (out.data, out.error) == (["1"], None)
        assert waits == [0.05]

    def test_non_ascii_ids_go_back_as_utf8(self, run, server):
        ident = "caf\u00e9 \u2603 \u2028 id"

        def script(h):
            h.start()
            if h.headers.get("Last-Event-ID") is None:
                h.send(b"id: " + ident.encode() + b"\ndata: 1\n\n")
                h.drop()
            else:
                h.end()

        url = server.route(script)
        out = run(url, method="POST", reconnect=RESUME)
        assert (out.data, out.error) == (["1"], None)
        sent = server.requests_to(url)[1].headers["last-event-id"]
        assert sent.encode("latin-1").decode("utf-8") == ident


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def join_strays(before: set[threading.Thread]) -> None:
    for thread in set(threading.enumerate()) - before:
        thread.join(WAIT)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_300_open_abort_cycles_leak_nothing(server):
    url = server.route(lambda h: (h.start(), h.send(b"data: hi\n\n"), h.wait_client_gone()))
    threads_before = set(threading.enumerate())

    def sync_cycles(client):
        for _ in range(300):
            controller = sse_post.AbortController()
            with sse_post.EventSource(url, client=client, signal=controller.signal) as source:
                for _event in source:
                    controller.abort()

    async def async_cycles():
        tasks = len(anyio.get_running_tasks())
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                controller = sse_post.AbortController()
                async with sse_post.AsyncEventSource(
                    url, client=client, signal=controller.signal
                ) as source:
                    async for _event in source:
                        controller.abort()
        assert len(anyio.get_running_tasks()) == tasks

    with httpx.Client() as client:
        sync_cycles(client)  # warm up the pool and lazy imports
        fds = open_fds()
        sync_cycles(client)
        join_strays(threads_before)
        assert open_fds() <= fds
    fds = open_fds()
    for backend in ("asyncio", "trio"):
        anyio.run(async_cycles, backend=backend)
    join_strays(threads_before)
    assert open_fds() <= fds
    assert set(threading.enumerate()) - threads_before == set()


@pytest.mark.anyio
async def test_200_concurrent_streams_half_aborted(server):
    def script(h):
        h.start()
        try:
            for n in range(1, 21):
                h.send(b"id: %d\ndata: %d\n\n" % (n, n))
            h.end()
        except OSError:
            pass  # an aborted client

    url = server.route(script)
    results: dict[int, list[str]] = {}
    tasks_before = len(anyio.get_running_tasks())

    async def stream(i: int, client: httpx.AsyncClient) -> None:
        controller = sse_post.AbortController()
        got: list[str] = []
        async with sse_post.AsyncEventSource(
            url, method="POST", client=client, signal=controller.signal
        ) as source:
            async for event in source:
                got.append(event.data)
                if i % 2 and len(got) == 5:
                    controller.abort()
        results[i] = got

    limits = httpx.Limits(max_connections=250)
    async with httpx.AsyncClient(limits=limits) as client, anyio.create_task_group() as tg:
        for i in range(200):
            tg.start_soon(stream, i, client)
    assert len(results) == 200
    for i, got in results.items():
        assert got == (
            [str(n) for n in range(1, 6)] if i % 2 else [str(n) for n in range(1, 21)]
        ), i
    assert len(anyio.get_running_tasks()) == tasks_before


class TestReconnectStorms:
    """retry: 0 and one event per connection, then a close: the waits the source takes
    (seen through on_reconnect, so no clock is read) never let it storm."""

    def storm(self, run, server, policy, connections=6):
        def script(h):
            h.start()
            h.send(b"retry: 0\ndata: x\n\n")
            h.end()

        url = server.route(script)
        waits: list[float] = []

        def on_event(outcome, source):
            if len(outcome.events) >= connections:
                source.close()

        run(url, reconnect=policy, on_event=on_event, on_reconnect=lambda d, e: waits.append(d))
        return waits

    def test_default_policy_waits_at_least_a_second_and_backs_off(self, run, server):
        policy = ReconnectPolicy(jitter=0, max_attempts=None)
        waits = self.storm(run, server, policy, connections=2)
        # One wait of the default floor (the backoff's doubling is shown below, faster):
        # with the floor alone at most 10 reconnects fit in any 10 s.
        assert waits == [1.0]

    def test_the_floor_and_backoff_are_configurable(self, run, server):
        policy = ReconnectPolicy(
            jitter=0, max_attempts=None, initial_delay=0.01, min_delay=0.01, max_delay=0.04
        )
        waits = self.storm(run, server, policy)
        assert waits == [0.01, 0.02, 0.04, 0.04, 0.04]
