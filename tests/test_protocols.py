"""The presets' rules, event by event, on streams in each provider's documented format.

`follow` applies a preset the way the flow does (issue 12): the error rule first, then
the end rule; an end event whose data is not JSON is not delivered. No I/O here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from sse_post import ServerEventError, ServerSentEvent, SSEParser, StreamProtocol, protocols
from sse_post._protocol import ResumeState, StreamRequest
from sse_post.protocols import JSONRPCError, ProviderError

from . import protocol_streams as s


@dataclass
class Followed:
    events: list[ServerSentEvent] = field(default_factory=list)
    ended: bool = False
    error: ServerEventError | None = None

    def text(self, protocol: StreamProtocol) -> str:
        return "".join(protocols.text(e, protocol) for e in self.events)


def parse(blocks: list[bytes]) -> list[ServerSentEvent]:
    parser = SSEParser()
    events = [e for block in blocks for e in parser.feed(block)]
    return events + parser.close()


def follow(protocol: StreamProtocol, blocks: list[bytes]) -> Followed:
    out = Followed()
    for event in parse(blocks):
        cause = protocol.error(event) if protocol.error else None
        if cause is not None:
            try:
                payload = json.loads(event.data)
            except ValueError:
                payload = None
            out.error = ServerEventError(event, payload)
            out.error.__cause__ = cause
            return out
        if protocol.end and protocol.end(event):
            try:  # "[DONE]" starts like JSON: only decoding tells a bare sentinel
                json.loads(event.data)
            except ValueError:
                pass
            else:
                out.events.append(event)
            out.ended = True
            return out
        out.events.append(event)
    return out


def cause(result: Followed) -> ProviderError:
    assert result.error is not None
    assert isinstance(result.error.__cause__, ProviderError)
    return result.error.__cause__


def test_presets_are_stream_protocols_with_their_names():
    names = ["openai_chat", "openai_responses", "anthropic_messages", "gemini", "mcp", "a2a"]
    for name in [*names, "vercel_ai"]:
        preset = getattr(protocols, name)
        assert isinstance(preset, StreamProtocol)
        assert preset.name == name
    assert [p for p in [*names, "vercel_ai"] if getattr(protocols, p).accept_json] == [
        "mcp",
        "a2a",
    ]


# --- OpenAI Chat Completions ----------------------------------------------------------


def test_openai_chat_ends_at_done_without_yielding_it_and_keeps_the_usage_chunk():
    result = follow(protocols.openai_chat, s.CHAT)
    assert result.ended
    assert result.error is None
    assert result.events[-1].json()["choices"] == []  # the usage chunk is delivered
    assert "[DONE]" not in [e.data for e in result.events]
    assert len(result.events) == 5


def test_openai_chat_text_skips_role_only_finish_and_usage_chunks():
    result = follow(protocols.openai_chat, s.CHAT)
    texts = [protocols.text(e, protocols.openai_chat) for e in result.events]
    assert texts == ["", "Hello", "!", "", ""]


def test_openai_chat_error_chunk_raises_with_the_provider_error_type():
    result = follow(protocols.openai_chat, s.CHAT_ERROR)
    assert result.text(protocols.openai_chat) == "Hel"
    error = cause(result)
    assert error.code == "server_error"
    assert error.message.startswith("The server had an error")
    assert result.error is not None
    assert result.error.payload == json.loads(s.CHAT_ERROR_CHUNK[6:])


def test_openai_chat_content_mentioning_error_is_not_an_error():
    chunk = s.sse({"choices": [{"index": 0, "delta": {"content": 'say "error"'}}]})
    assert follow(protocols.openai_chat, [chunk]).error is None


def test_openai_chat_without_done_does_not_end():
    assert not follow(protocols.openai_chat, s.CHAT[:-1]).ended


# --- OpenAI Responses -----------------------------------------------------------------


def test_openai_responses_ends_at_completed_and_yields_it():
    result = follow(protocols.openai_responses, s.RESPONSES)
    assert result.ended
    assert result.error is None
    assert result.events[-1].event == "response.completed"
    assert result.text(protocols.openai_responses) == "Hi there"  # not the .done text again


def test_openai_responses_incomplete_is_an_end_not_an_error():
    result = follow(protocols.openai_responses, s.RESPONSES_INCOMPLETE)
    assert result.ended
    assert result.error is None
    assert result.events[-1].json()["response"]["incomplete_details"]["reason"] == (
        "max_output_tokens"
    )


def test_openai_responses_error_event_raises():
    error = cause(follow(protocols.openai_responses, s.RESPONSES_ERROR))
    assert (error.code, error.message) == ("ERR_SOMETHING", "Something went wrong")


def test_openai_responses_failed_raises_with_the_responses_error():
    error = cause(follow(protocols.openai_responses, s.RESPONSES_FAILED))
    assert error.code == "server_error"
    assert error.message == "The model failed to generate a response."


def test_openai_responses_rules_read_the_type_when_a_proxy_drops_event_lines():
    stripped = [
        b"\n".join(x for x in b.split(b"\n") if not x.startswith(b"event:")) for b in s.RESPONSES
    ]
    result = follow(protocols.openai_responses, stripped)
    assert result.ended
    assert result.text(protocols.openai_responses) == "Hi there"


def test_openai_responses_ends_at_an_open_responses_done_without_yielding_it():
    result = follow(protocols.openai_responses, [*s.RESPONSES[:-1], b"data: [DONE]\n\n"])
    assert result.ended
    assert [e.data for e in result.events if e.data == "[DONE]"] == []


def _state(request: StreamRequest, blocks: list[bytes], **kw: object) -> ResumeState:
    events = parse(blocks)
    options: dict[str, object] = {
        "last_event_id": "",
        "first_event": events[0] if events else None,
        "last_event": events[-1] if events else None,
        "response_headers": {},
        "attempt": 1,
    }
    options.update(kw)
    return ResumeState(request=request, **options)  # type: ignore[arg-type]


def test_openai_responses_resumes_a_background_response_after_its_last_sequence_number():
    request = StreamRequest(
        method="POST",
        url="https://api.openai.com/v1/responses",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        json={"model": "gpt-4.1", "input": "hi", "stream": True, "background": True},
    )
    assert protocols.openai_responses.resume is not None
    resumed = protocols.openai_responses.resume(_state(request, s.RESPONSES[:4]))
    assert isinstance(resumed, StreamRequest)
    assert resumed.method == "GET"
    assert resumed.url == (
        f"https://api.openai.com/v1/responses/{s.RESP_ID}?stream=true&starting_after=3"
    )
    assert dict(resumed.headers) == {"Authorization": "Bearer k"}
    assert resumed.json is None
    assert resumed.content is None


def test_openai_responses_does_not_resume_a_foreground_response_or_one_without_an_id():
    resume = protocols.openai_responses.resume
    assert resume is not None
    plain = StreamRequest(method="POST", url="http://h/v1/responses", json={"stream": True})
    assert resume(_state(plain, s.RESPONSES[:3])) is None
    background = StreamRequest(
        method="POST", url="http://h/v1/responses", json={"background": True}
    )
    assert resume(_state(background, [])) is None


# --- Anthropic Messages ---------------------------------------------------------------


def test_anthropic_ends_at_message_stop_yields_pings_and_extracts_text_deltas():
    result = follow(protocols.anthropic_messages, s.ANTHROPIC)
    assert result.ended
    assert result.error is None
    assert result.events[-1].event == "message_stop"
    assert "ping" in [e.event for e in result.events]
    assert result.text(protocols.anthropic_messages) == "Hello!"


def test_anthropic_error_event_after_200_raises_overloaded_error():
    result = follow(protocols.anthropic_messages, s.ANTHROPIC_ERROR)
    error = cause(result)
    assert (error.code, error.message) == ("overloaded_error", "Overloaded")
    assert [e.event for e in result.events] == ["message_start", "ping"]


def test_anthropic_cut_before_message_stop_does_not_end():
    assert not follow(protocols.anthropic_messages, s.ANTHROPIC[:-1]).ended


# --- Gemini ---------------------------------------------------------------------------


def test_gemini_has_no_end_event_and_reads_crlf_chunks_text_without_thoughts():
    assert protocols.gemini.end is None
    result = follow(protocols.gemini, s.GEMINI)
    assert result.error is None
    assert len(result.events) == 3
    assert result.text(protocols.gemini) == "Hello world"
    assert result.events[-1].json()["candidates"][0]["finishReason"] == "STOP"


def test_gemini_error_chunk_raises_with_its_status():
    result = follow(protocols.gemini, s.GEMINI_ERROR)
    error = cause(result)
    assert error.code == "UNAVAILABLE"
    assert error.body["code"] == 503


# --- MCP ------------------------------------------------------------------------------


def test_mcp_ends_at_the_response_not_at_notifications_or_server_requests():
    result = follow(protocols.mcp, s.MCP_CALL)
    assert result.ended
    assert result.error is None
    assert (result.events[0].data, result.events[0].id) == ("", "1")  # priming, not an end
    methods = [e.json().get("method") for e in result.events[1:]]
    assert methods == ["notifications/progress", "sampling/createMessage", None]
    assert result.events[-1].json()["result"]["content"][0]["text"] == "done"
    assert result.events[-1].id == "4"


def test_mcp_jsonrpc_error_raises_jsonrpc_error_with_code_and_id():
    error = cause(follow(protocols.mcp, s.MCP_ERROR))
    assert isinstance(error, JSONRPCError)
    assert (error.code, error.message, error.id) == (-32602, "Unknown tool: nope", 3)


def test_mcp_json_answer_is_an_end_and_a_notification_is_not():
    answer = ServerSentEvent(data='{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}')
    assert protocols.mcp.end is not None
    assert protocols.mcp.end(answer)
    note = ServerSentEvent(data='{"jsonrpc":"2.0","method":"notifications/message","params":{}}')
    assert not protocols.mcp.end(note)
    assert protocols.mcp.error is not None
    assert protocols.mcp.error(note) is None


def test_mcp_resumes_with_a_get_carrying_the_session_and_not_the_body():
    request = StreamRequest(
        method="POST",
        url="http://127.0.0.1:1/mcp",
        headers={
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": "2025-11-25",
        },
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {}},
    )
    state = _state(
        request, s.MCP_CALL[:2], last_event_id="2", response_headers={"mcp-session-id": "abc"}
    )
    assert protocols.mcp.resume is not None
    resumed = protocols.mcp.resume(state)
    assert isinstance(resumed, StreamRequest)
    assert (resumed.method, resumed.url, resumed.json) == ("GET", request.url, None)
    assert dict(resumed.headers) == {
        "MCP-Protocol-Version": "2025-11-25",
        "accept": "text/event-stream",
        "mcp-session-id": "abc",
    }


def test_mcp_does_not_resume_a_stream_without_event_ids():
    request = StreamRequest(method="POST", url="http://127.0.0.1:1/mcp", json={})
    assert protocols.mcp.resume is not None
    assert protocols.mcp.resume(_state(request, [], last_event_id="")) is None


# --- A2A ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [s.A2A_V1, s.A2A_V03], ids=["1.0", "0.3"])
def test_a2a_ends_at_the_final_status_update(stream):
    result = follow(protocols.a2a, stream)
    assert result.ended
    assert result.error is None
    assert len(result.events) == 4


@pytest.mark.parametrize(
    ("stream", "count"), [(s.A2A_V1_INPUT, 2), (s.A2A_V1_MESSAGE, 1)], ids=["input", "message"]
)
def test_a2a_ends_when_the_task_waits_for_input_or_a_message_answers(stream, count):
    result = follow(protocols.a2a, stream)
    assert result.ended
    assert len(result.events) == count


@pytest.mark.parametrize(
    "result",
    [
        {"task": {"id": "t1", "status": {"state": "TASK_STATE_INPUT_REQUIRED"}}},
        {"kind": "task", "id": "t1", "status": {"state": "input-required"}},
    ],
    ids=["1.0", "0.3"],
)
def test_a2a_interrupted_task_snapshot_opening_a_resubscription_is_not_an_end(result):
    snapshot = s.sse({"jsonrpc": "2.0", "id": 1, "result": result})
    assert not follow(protocols.a2a, [snapshot]).ended
    done = (
        {**result, "status": {"state": "completed"}}
        if "kind" in result
        else {"task": {"id": "t1", "status": {"state": "TASK_STATE_COMPLETED"}}}
    )
    assert follow(protocols.a2a, [s.sse({"jsonrpc": "2.0", "id": 1, "result": done})]).ended


def test_a2a_jsonrpc_error_raises():
    result = follow(protocols.a2a, s.A2A_ERROR)
    error = cause(result)
    assert isinstance(error, JSONRPCError)
    assert (error.code, error.message) == (-32001, "Task not found")
    assert len(result.events) == 1


def test_a2a_failed_task_is_an_end_not_an_error():
    failed = s.sse(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "result": {"statusUpdate": {"taskId": "t1", "status": {"state": "TASK_STATE_FAILED"}}},
        }
    )
    result = follow(protocols.a2a, [failed])
    assert result.ended
    assert result.error is None


# --- Vercel AI ------------------------------------------------------------------------


def test_vercel_ai_ends_at_done_and_extracts_text_deltas():
    result = follow(protocols.vercel_ai, s.VERCEL)
    assert result.ended
    assert result.error is None
    assert result.events[-1].json() == {"type": "finish"}
    assert result.text(protocols.vercel_ai) == "Hello, world"


def test_vercel_ai_error_part_raises_with_its_error_text():
    error = cause(follow(protocols.vercel_ai, s.VERCEL_ERROR))
    assert error.message == "Rate limit exceeded"


# --- text() and robustness ------------------------------------------------------------


def test_text_rule_is_none_for_presets_without_generated_text_and_text_says_so():
    assert protocols.text_rule(protocols.mcp) is None
    assert protocols.text_rule(protocols.openai_chat) is not None
    with pytest.raises(ValueError, match=r"expected a protocol with generated text .*got 'a2a'"):
        protocols.text(ServerSentEvent(data="{}"), protocols.a2a)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "[DONE]",
        "not json",
        "{",
        "[1, 2]",
        "null",
        '"error"',
        '{"error": "plain string"}',
        '{"choices": "x"}',
        '{"candidates": [1]}',
        '{"result": [], "id": 1}',
        '{"delta": 5}',
        '{"error": {"code": true, "message": 3}}',
    ],
)
@pytest.mark.parametrize(
    "name",
    ["openai_chat", "openai_responses", "anthropic_messages", "gemini", "mcp", "a2a", "vercel_ai"],
)
@pytest.mark.parametrize("kind", ["message", "error", "content_block_delta", "response.failed"])
def test_rules_never_raise_on_unexpected_data(name, data, kind):
    preset = getattr(protocols, name)
    event = ServerSentEvent(event=kind, data=data)
    error = preset.error(event) if preset.error else None
    assert error is None or isinstance(error, ProviderError)
    if preset.end:
        assert isinstance(preset.end(event), bool)
    rule = protocols.text_rule(preset)
    if rule:
        assert isinstance(rule(event), str)


def test_importing_the_presets_loads_no_http_client_nor_event_loop():
    code = (
        "import sys, sse_post.protocols\n"
        "bad = {'httpx', 'anyio', 'asyncio', 'trio', 'socket'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_provider_error_message_is_shown_as_sent():
    from sse_post.protocols import ProviderError

    assert str(ProviderError("gemini", "UNAVAILABLE", "Overloaded", {})) == (
        "gemini stream reported an error: UNAVAILABLE: Overloaded"
    )
    assert str(ProviderError("vercel_ai", None, "", {"type": "error"})) == (
        "vercel_ai stream reported an error: {'type': 'error'}"
    )
