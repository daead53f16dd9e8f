"""The behaviour table of issue 10: every way to stop a source, in every phase of a
stream, over HTTP/1.1 and HTTP/2, with sse_post's own client, a caller's httpx client and
an httpx2 one, through the sync driver and the async one on asyncio and trio.

Each cell starts a source, waits until the server (or the kernel, or the source's own
hooks) shows the client is in the phase, stops it, and reports every broken promise at
once:

1. the loop ends within 100 ms of the stop, quietly (an ``idle_timeout`` with its error);
2. the server sees the client leave within 1 s (HTTP/1.1: the connection closes; HTTP/2:
   the stream is reset or the connection closed, so hypercorn says ``http.disconnect``),
   and after ``close()``/``aclose()`` returns it has seen it already (a short settle);
3. a caller's ``max_connections=1`` client serves its next request;
4. no client thread or descriptor outlives the stop by more than 1 s.

With a caller's client, a sync source cannot interrupt the TCP connect itself (httpcore
gives nobody the socket before it is connected): there the loop must still end at once,
while what the blocked connect holds is the documented exception.
"""

from __future__ import annotations

import errno
import select
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import sse_post

from .drive import BOUND, Run
from .kernel import Snapshot
from .phases import Backlog, H2Server, Mute, Probe, h1_script, wait_drained
from .server import WAIT, ScriptedServer

LIMIT = 0.1  # seconds from the stop to the end of the loop
LEAVE = 1.0  # seconds from the stop until the server sees the client go
SETTLE = 0.2  # seconds after close()/aclose() returns for the server to see it
IDLE = 0.3  # idle_timeout of the idle rows
WAIT_60 = sse_post.ReconnectPolicy(initial_delay=60, max_delay=120, jitter=0)

PHASES = [
    "connect",  # the TCP connect hangs
    "tls",  # the TLS handshake hangs
    "headers",  # waiting for headers on a new connection
    "headers-reused",  # ... on a keep-alive connection of the caller's client
    "error-body",  # reading the excerpt of a 503 body that stalls
    "silent",  # blocked on a silent stream after one event
    "retry-wait",  # waiting to reconnect after `retry: 60000` and a clean end
    "retry-after-wait",  # waiting to reconnect after a 503 with Retry-After: 60
]
FLAVOURS = {"h1": ["own", "httpx", "httpx2"], "h2": ["httpx", "httpx2"]}
THREAD_ABORT_PHASES = ["headers", "error-body", "silent", "retry-wait"]


@dataclass(frozen=True)
class Row:
    phase: str
    http: str
    flavour: str
    way: str

    @property
    def id(self) -> str:
        return f"{self.phase}-{self.http}-{self.flavour}-{self.way}"


def cells() -> Iterator[Any]:
    for http, flavours in FLAVOURS.items():
        for flavour in flavours:
            for phase in PHASES:
                if phase == "headers-reused" and flavour == "own":
                    continue  # only a caller's client has a connection to reuse
                ways = ["abort", "close"] + (["idle"] if phase == "silent" else [])
                for way in ways:
                    row = Row(phase, http, flavour, way)
                    for driver in ("sync", "asyncio", "trio"):
                        yield pytest.param(row, driver, id=f"{row.id}-{driver}")
    # A plain thread aborts an async source: only public calls may cross into its loop.
    for http, flavour in (("h1", "own"), ("h2", "httpx")):
        for phase in THREAD_ABORT_PHASES:
            row = Row(phase, http, flavour, "abort-thread")
            for driver in ("asyncio", "trio"):
                yield pytest.param(row, driver, id=f"{row.id}-{driver}")


@pytest.fixture(scope="module")
def h2server() -> Iterator[H2Server]:
    h2 = H2Server()
    h2.start()
    yield h2
    h2.stop()


@dataclass
class Scene:
    url: str
    probe: Any  # .reached, .gone_within(seconds), maybe .gone_at
    reached: Callable[[Run], bool]
    in_flight: bool = True  # a request is open: the server must see the client leave
    options: dict[str, Any] = field(default_factory=dict)
    warm_url: str | None = None
    ok_url: str | None = None
    ports: set[int] = field(default_factory=set)
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def scene(row: Row, server: ScriptedServer, h2: H2Server) -> Scene:
    def url(kind: str, probe: Probe) -> str:
        if row.http == "h2":
            return h2.url(kind, probe)
        return server.route(h1_script(kind, probe))

    probe = Probe()
    on_server: Callable[[Run], bool] = lambda run: probe.reached.wait(WAIT)  # noqa: E731
    sc = Scene("", probe, on_server, ports={server.port, h2.port})
    if row.flavour != "own":
        sc.ok_url = url("ok", Probe())
    if row.phase == "connect":
        backlog = Backlog()
        sc.url, sc.probe, sc.cleanup = (
            f"http://127.0.0.1:{backlog.port}/",
            backlog,
            [backlog.close],
        )
        sc.reached = lambda run: backlog.wait_connecting()
        sc.ports.add(backlog.port)
    elif row.phase == "tls":
        mute = Mute()
        sc.url, sc.probe, sc.cleanup = f"https://127.0.0.1:{mute.port}/", mute.probe, [mute.close]
        sc.reached = lambda run: mute.probe.reached.wait(WAIT)
        sc.ports.add(mute.port)
    elif row.phase in ("headers", "headers-reused"):
        sc.url = url("hang", probe)
        if row.phase == "headers-reused":
            sc.warm_url = url("ok", probe)
    elif row.phase == "error-body":
        sc.url = url("error-body", probe)
        port = h2.port if row.http == "h2" else server.port
        sc.reached = lambda run: wait_drained(probe, port)
    elif row.phase == "silent":
        sc.url = url("silent", probe)
        sc.reached = lambda run: run.first.wait(WAIT) and probe.reached.wait(WAIT)
        if row.way == "idle":
            sc.options["idle_timeout"] = IDLE
    else:
        sc.url = url("retry" if row.phase == "retry-wait" else "unavailable", probe)
        sc.reached = lambda run: run.reconnecting.wait(WAIT)
        sc.in_flight = False
        sc.options["reconnect"] = WAIT_60
    return sc


def caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False


def test_a_full_backlog_holds_connects() -> None:
    # The connect rows rely on it: on this kernel, SYNs to a listener whose accept queue
    # is full go unanswered, so the connect stays in SYN_SENT.
    backlog = Backlog()
    client = socket.socket()
    try:
        client.setblocking(False)
        assert client.connect_ex(("127.0.0.1", backlog.port)) == errno.EINPROGRESS
        assert backlog.wait_connecting()
        assert select.select([], [client], [], 0.2)[1] == []  # not connected, not refused
    finally:
        client.close()
        backlog.close()


@pytest.mark.parametrize(("row", "driver"), list(cells()))
def test_stop(row: Row, driver: str, server: Any, h2server: H2Server) -> None:
    sc = scene(row, server, h2server)
    before = Snapshot.take()
    try:
        run = Run(
            driver,
            sc.url,
            flavour=row.flavour,
            http=row.http,
            way=row.way,
            warm_url=sc.warm_url,
            ok_url=sc.ok_url,
            **sc.options,
        ).start()
        assert sc.reached(run), f"the client never reached the phase; error {run.error!r}"
        run.stop()
        problems = check(row, driver, sc, run, before)
    finally:
        for cleanup in sc.cleanup:
            cleanup()
    assert not problems, "\n".join(problems)


def check(row: Row, driver: str, sc: Scene, run: Run, before: Snapshot) -> list[str]:
    problems: list[str] = []
    ended = run.join()
    # What a blocked TCP connect of a caller's client holds, a sync source cannot free.
    connect_exempt = row.phase == "connect" and row.flavour != "own" and driver == "sync"
    if row.way == "idle":
        stopped_at = (run.t_first or 0.0) + IDLE
        if not caused_by(run.error, sse_post.IdleTimeoutError):
            problems.append(f"the idle timeout ended the loop with {run.error!r}")
    else:
        stopped_at = run.t_stop or 0.0
        if run.t_stop is None:
            problems.append("the stop never ran")
        if run.error is not None:
            problems.append(f"the stop ended the loop with {run.error!r}")
    if not ended:
        problems.append(f"the loop still runs {BOUND} s after the stop")
    elif run.t_end is not None:
        took = run.t_end - stopped_at
        if not (-0.05 if row.way == "idle" else 0.0) <= took < LIMIT:
            problems.append(f"the loop ended {took * 1000:.0f} ms after the stop")
    if run.source is not None and run.source.ready_state is not sse_post.ReadyState.CLOSED:
        problems.append(f"ready_state is {run.source.ready_state!r} after the loop")
    if row.http == "h2" and set(getattr(sc.probe, "versions", None) or ["2"]) != {"2"}:
        problems.append(f"the client did not speak HTTP/2: {sc.probe.versions}")
    if row.phase == "headers-reused" and len(set(sc.probe.ports)) != 1:
        problems.append(f"the request did not reuse the connection: ports {sc.probe.ports}")
    if sc.in_flight and not connect_exempt:
        left = stopped_at + LEAVE - time.monotonic()
        if not sc.probe.gone_within(left):
            problems.append(f"the server did not see the client leave within {LEAVE} s")
        elif row.way == "close" and run.t_returned is not None and row.phase != "connect":
            gone_at = getattr(sc.probe, "gone_at", None)
            if gone_at is not None and gone_at - run.t_returned > SETTLE:
                late = (gone_at - run.t_returned) * 1000
                problems.append(f"close returned {late:.0f} ms before the server saw it")
    if row.flavour != "own" and not connect_exempt and ended and run.pool != 200:
        problems.append(f"the next request on the max_connections=1 client got {run.pool!r}")
    if ended and not connect_exempt:
        left = max(stopped_at + LEAVE - time.monotonic(), 0.0)
        stray = before.wait_clean(sc.ports, left)
        if stray:
            problems.append(f"outlived the stop by {LEAVE} s: {', '.join(stray)}")
    return problems
