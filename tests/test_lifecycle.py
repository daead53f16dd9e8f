"""Issue 12, the stream lifecycle, as one scenario table: end and error events, JSON and
202 answers, resume with a different request, fresh credentials and feeds that come
back, each run through `EventSource` and `AsyncEventSource` (asyncio, trio), with our
own httpx client and with an httpx2 caller client, against the scripted local server.

A scenario is its server scripts (``"main"`` is the URL the source opens), the source's
options (built from the scripts' URLs), the data of the events the loop yields, the
error it ends with, and a check on what the server saw.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import sse_post

from .conftest import FAST, Outcome, Runner
from .lifecycle_kit import (
    AFTER_END,
    DONE,
    JSON,
    JSON_ERRORS,
    STOP,
    Case,
    Ctx,
    authorised,
    came_back,
    each_attempt,
    error_rule,
    excerpt,
    fresh_headers,
    json_event,
    left,
    one_request,
    per_request,
    post,
    refreshed,
    refreshing_auth,
    resume_rule,
    resumed_by_id,
    resumed_by_rule,
    server_event_error,
    stream,
)
from .server import Recorded

A, B = b"id: 1\ndata: a\n\n", b"id: 2\ndata: b\n\n"
BIG_JSON = b'{"text": "%s"}' % (b"x" * (3 << 20))


def whole_json(out: Outcome, reqs: dict[str, list[Recorded]], ctx: Ctx) -> None:
    (event,) = out.events
    assert (len(event.data), event.data[-3:]) == (len(BIG_JSON), 'x"}'), "cut short"


CASES: dict[str, Case] = {
    # 1. End events close at once, even when the server keeps the connection open.
    "end-sentinel-held-open": Case(
        {"main": stream(b"data: a\n\n", b"data: [DONE]\n\n", hold=True)},
        post(protocol=DONE),
        ["a"],
        check=left,
    ),
    "end-sentinel-get": Case(
        {"main": per_request(stream(b"data: a\n\ndata: [DONE]\n\n", hold=True))},
        lambda ctx: {"protocol": DONE, "reconnect": FAST},
        ["a"],
        check=left,  # and no reconnect, though GET reconnects after other ends
    ),
    "end-sentinel-mid-chunk": Case(
        {"main": stream(b"data: a\n\ndata: [DONE]\n\ndata: after\n\n", hold=True)},
        post(protocol=DONE),
        ["a"],
        check=left,
    ),
    "end-json-event-yielded": Case(
        {"main": stream(b"data: a\n\nevent: message_stop\ndata: {}\n\n", hold=True)},
        post(protocol=STOP),
        ["a", "{}"],
        check=left,
    ),
    # 2. A cut before the end event: an error after what came, unless resumable.
    "cut-clean-before-end": Case(
        {"main": stream(b"data: a\n\n", b"data: b\n\n")},
        post(protocol=DONE, reconnect=FAST),
        ["a", "b"],
        sse_post.IncompleteStreamError,
        one_request,
    ),
    "cut-dropped-before-end": Case(
        {"main": stream(b"data: a\n\n", b"data: b\n\n", drop=True, chunked=False)},
        post(protocol=DONE, reconnect=FAST),
        ["a", "b"],
        sse_post.IncompleteStreamError,
        one_request,
    ),
    "cut-with-ids-resumed": Case(
        {"main": per_request(stream(A), stream(B, b"data: [DONE]\n\n", hold=True))},
        post(protocol=DONE, reconnect=FAST),
        ["a", "b"],
        check=resumed_by_id,
    ),
    "cut-resume-rule-get": Case(
        {
            "main": per_request(
                stream(
                    b'id: 7\ndata: {"resp": "r1"}\n\ndata: half',
                    drop=True,
                    chunked=False,
                    headers={"X-Session": "s1"},
                ),
            ),
            "resume": stream(b"data: b\n\ndata: [DONE]\n\n", hold=True),
        },
        resume_rule(post_again=False),
        ['{"resp": "r1"}', "b"],
        check=resumed_by_rule(post_again=False),
    ),
    "cut-resume-rule-post": Case(
        {
            "main": per_request(
                stream(
                    b'id: 7\ndata: {"resp": "r1"}\n\ndata: half',
                    drop=True,
                    chunked=False,
                    headers={"X-Session": "s1"},
                ),
            ),
            "resume": stream(b"data: b\n\ndata: [DONE]\n\n", hold=True),
        },
        resume_rule(post_again=True),
        ['{"resp": "r1"}', "b"],
        check=resumed_by_rule(post_again=True),
    ),
    "cut-resume-rule-declines": Case(
        {"main": stream(b"data: a\n\n")},
        post(protocol=replace(DONE, resume=lambda state: None), reconnect=FAST),
        ["a"],
        sse_post.IncompleteStreamError,  # None: the default rules, which forbid a replay
        one_request,
    ),
    # 3. Error events: ServerEventError from the rule's exception, not retried.
    "error-event": Case(
        {
            "main": stream(
                A, b'event: error\ndata: {"error": {"type": "overloaded_error"}}\n\n', hold=True
            )
        },
        error_rule,
        ["a"],
        sse_post.ServerEventError,
        server_event_error,
    ),
    # 4. JSON and 202 answers.
    "json-answer": Case(
        {"main": lambda h: h.respond(200, b'{"result": 1}', content_type="application/json")},
        lambda ctx: {"protocol": JSON, "reconnect": FAST},
        ['{"result": 1}'],
        check=json_event,
    ),
    "json-plus-answer": Case(
        {"main": lambda h: h.respond(200, b"[1]", content_type="application/ld+json; q=1")},
        post(protocol=JSON, reconnect=FAST),
        ["[1]"],
        check=json_event,
    ),
    "json-error-answer": Case(
        {"main": lambda h: h.respond(200, b'{"error": 1}', content_type="application/json")},
        lambda ctx: {"protocol": JSON_ERRORS, "reconnect": FAST},
        [],  # as for an error event in a stream: raised, not yielded
        sse_post.ServerEventError,
        one_request,
    ),
    "json-large-within-limit": Case(
        {"main": lambda h: h.respond(200, BIG_JSON, content_type="application/json")},
        post(protocol=JSON),  # 3 MiB: under the default max_event_size of 16 MiB
        ["<3 MiB of JSON>"],
        check=whole_json,
    ),
    "json-too-large": Case(
        {
            "main": lambda h: h.respond(
                200, b"[%s1]" % (b"1," * 50), content_type="application/json"
            )
        },
        post(protocol=JSON, max_event_size=16),
        [],
        sse_post.EventTooLargeError,
    ),
    "json-not-accepted": Case(
        {
            "main": lambda h: h.respond(
                200, b'{"n": "not a stream"}', content_type="application/json"
            )
        },
        post(protocol=DONE, reconnect=FAST),
        [],
        sse_post.ResponseError,
        excerpt("not a stream"),
    ),
    "html-with-accept-json": Case(
        {"main": lambda h: h.respond(200, b"<h1>maintenance</h1>", content_type="text/html")},
        post(protocol=JSON, reconnect=FAST),
        [],
        sse_post.ResponseError,
        excerpt("maintenance"),
    ),
    "202-get": Case(
        {"main": lambda h: h.respond(202)}, lambda c: {"reconnect": FAST}, [], check=one_request
    ),
    "202-post": Case(
        {"main": lambda h: h.respond(202)}, post(reconnect=FAST), [], check=one_request
    ),
    "202-post-protocol": Case(
        {"main": lambda h: h.respond(202, b"{}")},
        post(reconnect=FAST, protocol=replace(DONE, accept_json=True)),
        [],
        check=one_request,
    ),
    # 6. Fresh credentials on every attempt.
    "headers-callable": Case(
        {"main": per_request(stream(A, drop=True), stream(B))},
        fresh_headers,
        ["a", "b"],
        check=each_attempt,
    ),
    "auth-refresh-on-401": Case({"main": authorised}, refreshing_auth, ["a"], check=refreshed),
    # 10. Feeds that end and come back.
    "post-ends": Case(
        {"main": per_request(stream(A))}, post(reconnect=FAST), ["a"], check=one_request
    ),
    "post-comes-back": Case(
        {"main": per_request(stream(A), stream(B), lambda h: h.respond(204))},
        post(reconnect=AFTER_END),
        ["a", "b"],
        check=came_back([None, "1", "2"]),
    ),
    "post-comes-back-no-ids": Case(
        {
            "main": per_request(
                stream(b"data: a\n\n"), stream(b"data: b\n\n"), lambda h: h.respond(204)
            )
        },
        post(reconnect=AFTER_END),
        ["a", "b"],
        check=came_back([None, None, None]),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lifecycle(run: Runner, server: Any, name: str) -> None:
    case = CASES[name]
    ctx = Ctx({key: server.route(script) for key, script in case.scripts.items()}, run.flavour)
    out = run(ctx.urls["main"], **case.options(ctx))
    # A huge event is named rather than printed in a failure; its check looks inside.
    assert [d if len(d) < 1000 else "<3 MiB of JSON>" for d in out.data] == case.data
    if case.error is None:
        assert out.error is None, repr(out.error)
    else:
        assert type(out.error) is case.error, repr(out.error)
    if case.check is not None:
        case.check(out, {key: server.requests_to(url) for key, url in ctx.urls.items()}, ctx)
