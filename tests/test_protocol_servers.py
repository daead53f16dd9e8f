"""The presets against real servers: the MCP and A2A SDKs' own servers, LLMock (an
OpenAI/Anthropic/Gemini mock from PyPI) and replays of each provider's documented wire
format, through `EventSource` and `AsyncEventSource` on asyncio and trio.

The ``test_server_*`` tests check the servers themselves with plain httpx, so a failure
there is the fixture's, not sse_post's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from llmock.scenarios import Reply, StreamFault

import sse_post
from sse_post import protocols
from sse_post.protocols import JSONRPCError, ProviderError

from . import protocol_servers as ps
from . import protocol_streams as s
from .conftest import FAST, Outcome, Runner
from .server import WAIT

ACCEPT = {"Accept": "application/json, text/event-stream"}  # MCP requires both
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "sse-post-tests", "version": "1"},
    },
}


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with ps.serve(ps.mcp_app(), lifespan="on") as url:
        yield url


@pytest.fixture(scope="module")
def a2a_url() -> Iterator[str]:
    with ps.serve(ps.a2a_app()) as url:
        yield url + "/a2a"


@pytest.fixture(scope="module")
def llmock() -> Iterator[tuple[str, Any]]:
    app = ps.llmock_app()
    with ps.serve(app) as url:
        yield url, app.state.llmock.scenarios


@pytest.fixture(scope="module")
def replay_url() -> Iterator[str]:
    with ps.serve(ps.replay_app()) as url:
        yield url


@pytest.fixture(params=["sync", "asyncio", "trio"])
def run(request: pytest.FixtureRequest) -> Runner:
    return Runner(str(request.param))


def cause(outcome: Outcome) -> ProviderError:
    assert isinstance(outcome.error, sse_post.ServerEventError), outcome.error
    assert isinstance(outcome.error.__cause__, ProviderError)
    return outcome.error.__cause__


def texts(outcome: Outcome, protocol: sse_post.StreamProtocol) -> str:
    return "".join(protocols.text(e, protocol) for e in outcome.events)


def messages(outcome: Outcome) -> list[dict[str, Any]]:
    # MCP's priming event (an ID, empty data) is a real event; the JSON-RPC ones follow.
    return [e.json() for e in outcome.events if e.data]


# --- the servers themselves (plain httpx; these pass without the flow) -----------------


def mcp_session(base: str) -> dict[str, str]:
    """Initialize a session with plain httpx; return the headers later requests carry."""
    with httpx.Client(timeout=WAIT) as client:
        answer = client.post(base, json=INIT, headers=ACCEPT)
        assert answer.status_code == 200
        headers = {
            **ACCEPT,
            "Mcp-Session-Id": answer.headers["mcp-session-id"],
            "MCP-Protocol-Version": "2025-11-25",
        }
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert client.post(base, json=note, headers=headers).status_code == 202
    return headers


def test_server_mcp_streams_with_event_ids_or_answers_json(mcp_url):
    with httpx.Client(timeout=WAIT) as client:
        streamed = client.post(mcp_url + "/sse/mcp", json=INIT, headers=ACCEPT)
        plain = client.post(mcp_url + "/json/mcp", json=INIT, headers=ACCEPT)
    assert streamed.headers["content-type"] == "text/event-stream"
    assert streamed.text.startswith("id: ")  # the priming event: resumable from the start
    assert '"protocolVersion":"2025-11-25"' in streamed.text
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["result"]["protocolVersion"] == "2025-11-25"
    assert streamed.headers["mcp-session-id"] != plain.headers["mcp-session-id"]


def test_server_a2a_streams_to_the_completed_status(a2a_url):
    message = {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendStreamingMessage",
        "params": {"message": message},
    }
    with httpx.Client(timeout=WAIT) as client:
        answer = client.post(a2a_url, json=body, headers={"A2A-Version": "1.0"})
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.rstrip().endswith('"id": 1, "jsonrpc": "2.0"}')
    assert "TASK_STATE_COMPLETED" in answer.text.rsplit("data: ", 1)[1]


def test_server_llmock_streams_a_scripted_chat_reply(llmock):
    url, scenarios = llmock
    scenarios.add(Reply(text="Hi there"))
    body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    with httpx.Client(timeout=WAIT) as client:
        answer = client.post(url + "/v1/chat/completions", json=body)
    assert answer.text.endswith("data: [DONE]\n\n")
    assert "Hi" in answer.text


def test_server_replay_sends_the_documented_bytes_and_holds_when_asked(replay_url):
    with httpx.Client(timeout=WAIT) as client:
        whole = client.post(replay_url + "/replay/anthropic")
        cut = client.post(replay_url + "/replay/anthropic?cut=1")
        ps.REPLAY_GATE.reset()
        with client.stream("POST", replay_url + "/replay/chat?hold=1") as held:
            received = b""
            for chunk in held.iter_bytes():
                received += chunk
                if received.endswith(b"data: [DONE]\n\n"):
                    break
    assert whole.content == b"".join(s.ANTHROPIC)
    assert cut.content == b"".join(s.ANTHROPIC[:-1])
    assert received == b"".join(s.CHAT)
    assert ps.REPLAY_GATE.started.is_set()
    assert ps.REPLAY_GATE.gone.wait(WAIT)  # the held stream noticed the client leave


# --- MCP ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/sse/mcp", "/json/mcp"])
def test_mcp_initialize_and_read_the_session_from_the_source(run, mcp_url, endpoint):
    outcome = run(
        mcp_url + endpoint, method="POST", json=INIT, headers=ACCEPT, protocol=protocols.mcp
    )
    assert outcome.error is None
    assert messages(outcome)[-1]["result"]["protocolVersion"] == "2025-11-25"
    assert outcome.source.response_headers["mcp-session-id"]


def test_mcp_initialized_notification_gets_202_and_ends_quietly(run, mcp_url):
    headers = mcp_session(mcp_url + "/sse/mcp")
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    outcome = run(
        mcp_url + "/sse/mcp", method="POST", json=note, headers=headers, protocol=protocols.mcp
    )
    assert (outcome.events, outcome.error) == ([], None)


@pytest.mark.parametrize("endpoint", ["/sse/mcp", "/json/mcp"])
def test_mcp_tools_list_as_sse_or_json(run, mcp_url, endpoint):
    headers = mcp_session(mcp_url + endpoint)
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    outcome = run(
        mcp_url + endpoint, method="POST", json=body, headers=headers, protocol=protocols.mcp
    )
    assert outcome.error is None
    tools = {tool["name"] for tool in messages(outcome)[-1]["result"]["tools"]}
    assert tools == {"count", "hold", "interrupted"}


def _call(id: int, name: str, **arguments: Any) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments, "_meta": {"progressToken": f"p{id}"}}
    return {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}


def test_mcp_tools_call_delivers_progress_then_ends_at_the_response(run, mcp_url):
    headers = mcp_session(mcp_url + "/sse/mcp")
    outcome = run(
        mcp_url + "/sse/mcp",
        method="POST",
        json=_call(3, "count", n=3),
        headers=headers,
        protocol=protocols.mcp,
    )
    assert outcome.error is None
    got = messages(outcome)
    assert [m["params"]["progress"] for m in got[:-1]] == [1, 2, 3]
    assert got[-1] == {
        "jsonrpc": "2.0",
        "id": 3,
        "result": {
            "content": [{"text": "counted to 3", "type": "text"}],
            "isError": False,
            "structuredContent": {"result": "counted to 3"},
        },
    }


def test_mcp_unknown_method_raises_the_jsonrpc_error(run, mcp_url):
    headers = mcp_session(mcp_url + "/sse/mcp")
    body = {"jsonrpc": "2.0", "id": 4, "method": "no/such/method"}
    outcome = run(
        mcp_url + "/sse/mcp", method="POST", json=body, headers=headers, protocol=protocols.mcp
    )
    error = cause(outcome)
    assert isinstance(error, JSONRPCError)
    assert error.code == -32601


def test_mcp_abort_mid_call_ends_the_loop(run, mcp_url):
    headers = mcp_session(mcp_url + "/sse/mcp")
    ps.MCP_GATE.reset()
    controller = sse_post.AbortController()

    def on_event(outcome: Outcome, source: Any) -> None:
        if outcome.events[-1].data:  # the progress notification, after the priming event
            controller.abort("stop button")

    try:
        outcome = run(
            mcp_url + "/sse/mcp",
            method="POST",
            json=_call(5, "hold"),
            headers=headers,
            protocol=protocols.mcp,
            signal=controller.signal,
            on_event=on_event,
        )
    finally:
        ps.MCP_GATE.release.set()
    assert outcome.error is None
    assert [m.get("method") for m in messages(outcome)] == ["notifications/progress"]
    assert ps.MCP_GATE.started.is_set()


def test_mcp_resumes_a_closed_stream_with_get_and_last_event_id(run, mcp_url):
    headers = mcp_session(mcp_url + "/sse/mcp")
    outcome = run(
        mcp_url + "/sse/mcp",
        method="POST",
        json=_call(6, "interrupted"),
        headers=headers,
        protocol=protocols.mcp,
        reconnect=FAST,
    )
    assert outcome.error is None
    got = messages(outcome)
    assert [m["params"]["message"] for m in got[:-1]] == ["before the break", "after the break"]
    assert got[-1]["result"]["content"][0]["text"] == "resumed"


# --- A2A ------------------------------------------------------------------------------


def _a2a_send(text: str, version: str) -> tuple[dict[str, Any], dict[str, str]]:
    if version == "1.0":
        message = {"messageId": f"m-{text}", "role": "ROLE_USER", "parts": [{"text": text}]}
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendStreamingMessage",
            "params": {"message": message},
        }
        return body, {"A2A-Version": "1.0"}
    message = {
        "kind": "message",
        "messageId": f"m-{text}",
        "role": "user",
        "parts": [{"kind": "text", "text": text}],
    }
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/stream",
        "params": {"message": message},
    }, {}


@pytest.mark.parametrize("version", ["1.0", "0.3"])
def test_a2a_message_stream_to_the_final_event(run, a2a_url, version):
    body, headers = _a2a_send("hi", version)
    outcome = run(a2a_url, method="POST", json=body, headers=headers, protocol=protocols.a2a)
    assert outcome.error is None
    results = [e.json()["result"] for e in outcome.events]
    assert len(results) == 5
    last = results[-1]
    if version == "1.0":
        assert last["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
        words = [r["artifactUpdate"]["artifact"]["parts"][0]["text"] for r in results[2:4]]
    else:
        assert last["final"] is True
        words = [r["artifact"]["parts"][0]["text"] for r in results[2:4]]
    assert words == ["hello", "world"]


def test_a2a_jsonrpc_error_answered_as_json_raises(run, a2a_url):
    body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "SubscribeToTask",
        "params": {"id": "no-such-task"},
    }
    outcome = run(
        a2a_url, method="POST", json=body, headers={"A2A-Version": "1.0"}, protocol=protocols.a2a
    )
    error = cause(outcome)
    assert isinstance(error, JSONRPCError)
    assert (error.code, error.message, error.id) == (-32001, "Task not found", 3)


def test_a2a_abort_mid_stream_ends_the_loop(run, a2a_url):
    ps.A2A_GATE.reset()
    controller = sse_post.AbortController()

    def on_event(outcome: Outcome, source: Any) -> None:
        if "statusUpdate" in outcome.events[-1].json()["result"]:
            controller.abort("stop button")

    body, headers = _a2a_send("slow", "1.0")
    try:
        outcome = run(
            a2a_url,
            method="POST",
            json=body,
            headers=headers,
            protocol=protocols.a2a,
            signal=controller.signal,
            on_event=on_event,
        )
    finally:
        ps.A2A_GATE.release.set()
    assert outcome.error is None
    assert len(outcome.events) == 2  # the task, then the working status
    assert ps.A2A_GATE.started.wait(WAIT)


# --- OpenAI, Anthropic, Gemini through LLMock -----------------------------------------

LLM = {
    "openai_chat": (
        "/v1/chat/completions",
        {
            "model": "gpt-4o-mini",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "x"}],
        },
    ),
    "openai_responses": ("/v1/responses", {"model": "gpt-4.1", "stream": True, "input": "x"}),
    "anthropic_messages": (
        "/anthropic/v1/messages",
        {
            "model": "claude-sonnet-4-5",
            "stream": True,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "x"}],
        },
    ),
    "gemini": (
        "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
    ),
}


@pytest.mark.parametrize("name", list(LLM))
def test_llmock_stream_ends_at_its_end_event_with_the_scripted_text(run, llmock, name):
    url, scenarios = llmock
    path, body = LLM[name]
    scenarios.clear()
    scenarios.add(Reply(text="The quick brown fox"))
    protocol = getattr(protocols, name)
    outcome = run(url + path, method="POST", json=body, protocol=protocol)
    assert outcome.error is None
    assert texts(outcome, protocol).split() == ["The", "quick", "brown", "fox"]
    assert "[DONE]" not in [e.data for e in outcome.events]
    if name == "openai_chat":
        assert outcome.events[-1].json()["choices"] == []  # the usage chunk is delivered
    if name == "anthropic_messages":
        assert outcome.events[-1].event == "message_stop"


@pytest.mark.parametrize("kind", ["truncate", "disconnect"])
@pytest.mark.parametrize("name", ["openai_chat", "openai_responses", "anthropic_messages"])
def test_llmock_stream_cut_before_its_end_event_is_incomplete(run, llmock, name, kind):
    url, scenarios = llmock
    path, body = LLM[name]
    scenarios.clear()
    scenarios.add(Reply(text="The quick brown fox"), StreamFault(kind, after_chunks=3))
    outcome = run(url + path, method="POST", json=body, protocol=getattr(protocols, name))
    assert isinstance(outcome.error, sse_post.IncompleteStreamError), outcome.error
    assert len(outcome.events) == 3


# --- the documented wire formats, replayed --------------------------------------------

REPLAYED = {  # name: (preset, expected text, expected count of events delivered)
    "chat": ("openai_chat", "Hello!", 5),
    "responses": ("openai_responses", "Hi there", 6),
    "anthropic": ("anthropic_messages", "Hello!", 8),
    "gemini": ("gemini", "Hello world", 3),
    "vercel": ("vercel_ai", "Hello, world", 8),
}


@pytest.mark.parametrize("name", list(REPLAYED))
def test_replay_documented_stream(run, replay_url, name):
    preset, text, count = REPLAYED[name]
    protocol = getattr(protocols, preset)
    outcome = run(replay_url + f"/replay/{name}", method="POST", json={}, protocol=protocol)
    assert outcome.error is None
    assert (texts(outcome, protocol), len(outcome.events)) == (text, count)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("chat-error", "server_error"),
        ("responses-error", "ERR_SOMETHING"),
        ("responses-failed", "server_error"),
        ("anthropic-error", "overloaded_error"),
        ("gemini-error", "UNAVAILABLE"),
        ("vercel-error", None),
    ],
)
def test_replay_error_after_200_raises_server_event_error(run, replay_url, name, code):
    preset = REPLAYED[name.split("-")[0]][0]
    outcome = run(
        replay_url + f"/replay/{name}", method="POST", json={}, protocol=getattr(protocols, preset)
    )
    assert cause(outcome).code == code
    assert outcome.error is not None
    assert outcome.error.payload == json.loads(outcome.error.event.data)


@pytest.mark.parametrize("name", ["chat", "responses", "anthropic", "vercel"])
def test_replay_cut_before_the_end_event_raises_incomplete(run, replay_url, name):
    protocol = getattr(protocols, REPLAYED[name][0])
    outcome = run(replay_url + f"/replay/{name}?cut=1", method="POST", json={}, protocol=protocol)
    assert isinstance(outcome.error, sse_post.IncompleteStreamError), outcome.error


@pytest.mark.parametrize("name", ["chat", "responses", "anthropic", "vercel"])
def test_replay_held_open_after_the_end_event_ends_the_loop_and_the_connection(
    run, replay_url, name
):
    ps.REPLAY_GATE.reset()
    protocol = getattr(protocols, REPLAYED[name][0])
    try:
        outcome = run(
            replay_url + f"/replay/{name}?hold=1", method="POST", json={}, protocol=protocol
        )
        assert outcome.error is None
        assert len(outcome.events) == REPLAYED[name][2]
        assert ps.REPLAY_GATE.gone.wait(WAIT)  # the server saw the connection close
    finally:
        ps.REPLAY_GATE.release.set()


def test_replay_background_response_resumes_after_its_last_sequence_number(run, replay_url):
    ps.RESUMES.clear()
    body = {"model": "gpt-4.1", "input": "x", "stream": True, "background": True}
    outcome = run(
        replay_url + "/v1/responses",
        method="POST",
        json=body,
        protocol=protocols.openai_responses,
        reconnect=FAST,
    )
    assert outcome.error is None
    assert [e.json()["sequence_number"] for e in outcome.events] == [0, 1, 2, 3, 4, 5]
    assert ps.RESUMES == [
        ("POST", "/v1/responses", {}),
        ("GET", f"/v1/responses/{s.RESP_ID}", {"stream": "true", "starting_after": "2"}),
    ]
