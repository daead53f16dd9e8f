"""Scripts, scenario records and checks for the lifecycle scenario table
(``test_lifecycle.py``): issue 12, run through every client against the scripted server."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import sse_post
from sse_post import StreamProtocol

from .conftest import FAST, Outcome, Runner
from .server import WAIT, Handler, Recorded

BODY = {"prompt": "hi"}
DONE = StreamProtocol(end=lambda e: e.data == "[DONE]")
STOP = StreamProtocol(end=lambda e: e.event == "message_stop")
JSON = StreamProtocol(accept_json=True)
JSON_ERRORS = StreamProtocol(
    accept_json=True, error=lambda e: ValueError(e.data) if "error" in e.json() else None
)
AFTER_END = replace(FAST, reconnect_after_end=True)


def timed(run: Runner, url: str, **options: Any) -> tuple[Outcome, float]:
    """Run a source; return what happened and how long it took, in seconds."""
    start = time.monotonic()
    out = run(url, **options)
    return out, time.monotonic() - start


def nth(h: Handler) -> int:
    """Which request to this script this is, from 1."""
    return len(h.server.owner.requests_to(f"http://x{h.path}"))


def stream(*chunks: bytes, hold: bool = False, drop: bool = False, **start: Any):
    """A script that sends ``chunks`` as one event stream, then ends it, drops it, or
    (``hold``) keeps it open until the client leaves: an event it sends after WAIT s
    shows that the client stayed."""

    def script(h: Handler) -> None:
        h.start(**start)
        for chunk in chunks:
            h.send(chunk)
        if drop:
            h.drop()
        elif hold and not h.wait_client_gone():
            h.send(b"data: the client stayed\n\n")
            h.end()
        elif not hold:
            h.end()

    return script


def per_request(*scripts: Callable[[Handler], None]):
    """Request n gets script n; any request after the last gets a 500 (never asked)."""

    def script(h: Handler) -> None:
        n = nth(h)
        if n > len(scripts):
            h.respond(500, b"one request too many")
        else:
            scripts[n - 1](h)

    return script


@dataclass
class Ctx:
    urls: dict[str, str]
    flavour: str
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    scripts: dict[str, Callable[[Handler], None]]
    options: Callable[[Ctx], dict[str, Any]]
    data: list[str]
    error: type[BaseException] | None = None
    check: Callable[[Outcome, dict[str, list[Recorded]], Ctx], None] | None = None


def post(**more: Any) -> Callable[[Ctx], dict[str, Any]]:
    return lambda ctx: {"method": "POST", "json": BODY, **more}


def left(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    (only,) = reqs["main"]
    assert only.client_gone.wait(WAIT), "the client kept the connection open"


def one_request(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    assert len(reqs["main"]) == 1, "retried"


def resumed_by_id(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    assert [r.headers.get("last-event-id") for r in reqs["main"]] == [None, "1"]
    assert all(r.method == "POST" and json.loads(r.body) == {"prompt": "hi"} for r in reqs["main"])


def resume_rule(post_again: bool) -> Callable[[Ctx], dict[str, Any]]:
    """A resume rule that GETs the resume URL (a mapping), or POSTs to it (a
    StreamRequest, as A2A's resubscribe call does)."""

    def options(ctx: Ctx) -> dict[str, Any]:
        def resume(state: sse_post.ResumeState) -> Any:
            ctx.notes["state"] = state
            after = state.first_event.json()["resp"] if state.first_event else "?"
            headers = {"X-Session": state.response_headers["x-session"]}
            url = f"{ctx.urls['resume']}?after={after}"
            if post_again:
                return sse_post.StreamRequest(
                    method="POST", url=url, headers=headers, json={"resubscribe": after}
                )
            return {"url": url, "headers": headers}

        protocol = replace(DONE, resume=resume)
        return {"method": "POST", "json": BODY, "reconnect": FAST, "protocol": protocol}

    return options


def resumed_by_rule(post_again: bool) -> Callable[..., None]:
    def check(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
        assert len(reqs["main"]) == 1, "the POST was replayed"
        (again,) = reqs["resume"]
        assert again.path.split("?")[1] == "after=r1"
        if post_again:
            assert (again.method, json.loads(again.body)) == ("POST", {"resubscribe": "r1"})
        else:
            assert (again.method, again.body) == ("GET", b"")
        assert again.headers["x-session"] == "s1"
        assert again.headers["last-event-id"] == "7"
        state = ctx.notes["state"]
        assert (state.request.method, state.request.json) == ("POST", BODY)
        assert state.request.url == ctx.urls["main"]
        assert (state.last_event_id, state.attempt) == ("7", 1)
        assert state.first_event.data == state.last_event.data == '{"resp": "r1"}'
        assert state.response_headers["x-session"] == "s1"

    return check


def error_rule(ctx: Ctx) -> dict[str, Any]:
    raised = ctx.notes["raised"] = RuntimeError("overloaded")
    rule = StreamProtocol(error=lambda e: raised if e.event == "error" else None)
    return {"protocol": rule, "reconnect": FAST}


def server_event_error(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    error = out.error
    assert isinstance(error, sse_post.ServerEventError)
    assert error.event.event == "error"
    assert error.payload == {"error": {"type": "overloaded_error"}}
    assert error.__cause__ is ctx.notes["raised"]
    left(out, reqs, ctx)  # not retried, and the connection closed


def json_event(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    assert [e.event for e in out.events] == ["message"]
    one_request(out, reqs, ctx)


def excerpt(words: str) -> Callable[[Outcome, dict[str, list[Recorded]], Ctx], None]:
    def check(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
        assert isinstance(out.error, sse_post.ResponseError)
        assert words in out.error.body
        assert str(out.error).count(words) == 1
        one_request(out, reqs, ctx)

    return check


def fresh_headers(ctx: Ctx) -> dict[str, Any]:
    calls = ctx.notes["calls"] = itertools.count(1)
    return {
        "method": "POST",
        "json": BODY,
        "reconnect": FAST,
        "headers": lambda: {"Authorization": f"Bearer t{next(calls)}"},
    }


def each_attempt(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    assert [r.headers["authorization"] for r in reqs["main"]] == ["Bearer t1", "Bearer t2"]
    assert next(ctx.notes["calls"]) == 3  # called once per attempt, no more
    resumed_by_id(out, reqs, ctx)


def refreshing_auth(ctx: Ctx) -> dict[str, Any]:
    import httpx
    import httpx2

    lib: Any = httpx if ctx.flavour == "httpx" else httpx2

    class Refresh(lib.Auth):  # type: ignore[misc]
        token, refreshes = "stale", 0

        def auth_flow(self, request: Any) -> Any:
            request.headers["Authorization"] = f"Bearer {self.token}"
            response = yield request
            if response.status_code == 401:
                self.token, self.refreshes = "fresh", self.refreshes + 1
                request.headers["Authorization"] = "Bearer fresh"
                yield request

    auth = ctx.notes["auth"] = Refresh()
    return {"method": "POST", "json": BODY, "reconnect": FAST, "auth": auth}


def authorised(h: Handler) -> None:
    if h.headers.get("Authorization") != "Bearer fresh":
        h.respond(401, b"token expired", headers={"WWW-Authenticate": "Bearer"})
    else:
        stream(b"data: a\n\n")(h)


def refreshed(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    got = [(r.headers["authorization"], r.body) for r in reqs["main"]]
    assert [(auth, json.loads(body)) for auth, body in got] == [
        ("Bearer stale", {"prompt": "hi"}),
        ("Bearer fresh", {"prompt": "hi"}),
    ]
    assert ctx.notes["auth"].refreshes == 1


def came_back(ids: list[str | None]) -> Callable[..., None]:
    def check(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
        assert [r.headers.get("last-event-id") for r in reqs["main"]] == ids
        assert all(
            r.method == "POST" and json.loads(r.body) == {"prompt": "hi"} for r in reqs["main"]
        )

    return check
