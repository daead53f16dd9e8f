"""Byte-exact streams in each provider's documented wire format, shared by the unit tests
of `sse_post.protocols` and the replay servers in ``protocol_servers.py``.

The shapes follow each provider's public API reference (OpenAI "chat completion chunk"
and Responses "streaming events"; Anthropic "Streaming Messages"; Gemini
``streamGenerateContent?alt=sse``; MCP 2025-11-25 Streamable HTTP; A2A 1.0 and 0.3;
AI SDK "Stream Protocols", UI message stream). Ids and texts are ours.
"""

from __future__ import annotations

import json
from typing import Any


def sse(data: Any, event: str | None = None, *, id: str | None = None, eol: str = "\n") -> bytes:
    """One event block; ``data`` is JSON-encoded unless it is already a str."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = (f"event: {event}{eol}" if event else "") + (f"id: {id}{eol}" if id else "")
    return f"{head}data: {text}{eol}{eol}".encode()


# --- OpenAI Chat Completions ----------------------------------------------------------
_CHUNK = {
    "id": "chatcmpl-123",
    "object": "chat.completion.chunk",
    "created": 1694268190,
    "model": "gpt-4o-mini",
    "system_fingerprint": "fp_44709d6fcb",
}


def _chat(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return sse({**_CHUNK, "choices": [choice]})


CHAT_ROLE = _chat({"role": "assistant", "content": "", "refusal": None})
CHAT_USAGE = sse(
    {
        **_CHUNK,
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
)
CHAT = [
    CHAT_ROLE,
    _chat({"content": "Hello"}),
    _chat({"content": "!"}),
    _chat({}, "stop"),
    CHAT_USAGE,
    b"data: [DONE]\n\n",
]
CHAT_ERROR_CHUNK = sse(
    {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
)
CHAT_ERROR = [CHAT_ROLE, _chat({"content": "Hel"}), CHAT_ERROR_CHUNK]

# --- OpenAI Responses -----------------------------------------------------------------
RESP_ID = "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654"


def _response(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": RESP_ID,
        "object": "response",
        "created_at": 1741290958,
        "status": status,
        "background": False,
        "error": None,
        "model": "gpt-4.1-2025-04-14",
        "output": [],
        **extra,
    }


def _resp(kind: str, seq: int, **fields: Any) -> bytes:
    return sse({"type": kind, "sequence_number": seq, **fields}, kind)


def _delta(seq: int, text: str) -> bytes:
    return _resp(
        "response.output_text.delta",
        seq,
        item_id="msg_67c9fdcf",
        output_index=0,
        content_index=0,
        delta=text,
        logprobs=[],
    )


RESP_CREATED = _resp("response.created", 0, response=_response("in_progress"))
RESPONSES = [
    RESP_CREATED,
    _resp("response.in_progress", 1, response=_response("in_progress")),
    _delta(2, "Hi"),
    _delta(3, " there"),
    _resp(
        "response.output_text.done",
        4,
        item_id="msg_67c9fdcf",
        output_index=0,
        content_index=0,
        text="Hi there",
        logprobs=[],
    ),
    _resp("response.completed", 5, response=_response("completed")),
]
RESPONSES_ERROR = [
    RESP_CREATED,
    sse(
        {
            "type": "error",
            "code": "ERR_SOMETHING",
            "message": "Something went wrong",
            "param": None,
            "sequence_number": 1,
        },
        "error",
    ),
]
RESPONSES_FAILED = [
    RESP_CREATED,
    _resp(
        "response.failed",
        1,
        response=_response(
            "failed",
            error={"code": "server_error", "message": "The model failed to generate a response."},
        ),
    ),
]
RESPONSES_INCOMPLETE = [
    RESP_CREATED,
    _delta(1, "Hi"),
    _resp(
        "response.incomplete",
        2,
        response=_response("incomplete", incomplete_details={"reason": "max_output_tokens"}),
    ),
]

# --- Anthropic Messages ---------------------------------------------------------------
MSG_START = sse(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-opus-4-6",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 25, "output_tokens": 1},
        },
    },
    "message_start",
)
PING = sse({"type": "ping"}, "ping")


def _text_delta(text: str) -> bytes:
    return sse(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        "content_block_delta",
    )


ANTHROPIC = [
    MSG_START,
    sse(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        "content_block_start",
    ),
    PING,
    _text_delta("Hello"),
    _text_delta("!"),
    sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
    sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        },
        "message_delta",
    ),
    sse({"type": "message_stop"}, "message_stop"),
]
ANTHROPIC_ERROR = [
    MSG_START,
    PING,
    sse(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error"
    ),
]

# --- Gemini (alt=sse; the API ends its lines with CRLF) -------------------------------


def _gemini(text: str, finish: str | None = None) -> bytes:
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "index": 0,
    }
    if finish:
        candidate["finishReason"] = finish
    usage = {"promptTokenCount": 8, "candidatesTokenCount": 2, "totalTokenCount": 10}
    return sse(
        {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.5-flash",
            "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
        },
        eol="\r\n",
    )


GEMINI_THOUGHT = sse(
    {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "Thinking about greetings", "thought": True}],
                    "role": "model",
                },
                "index": 0,
            }
        ]
    },
    eol="\r\n",
)
GEMINI = [GEMINI_THOUGHT, _gemini("Hello"), _gemini(" world", "STOP")]
GEMINI_ERROR = [
    _gemini("Hello"),
    sse(
        {
            "error": {
                "code": 503,
                "message": "The model is overloaded. Please try again later.",
                "status": "UNAVAILABLE",
            }
        },
        eol="\r\n",
    ),
]

# --- Vercel AI SDK UI message stream --------------------------------------------------
VERCEL_HEADERS = {"x-vercel-ai-ui-message-stream": "v1"}
VERCEL = [
    sse({"type": "start", "messageId": "msg-123"}),
    sse({"type": "start-step"}),
    sse({"type": "text-start", "id": "text-1"}),
    sse({"type": "text-delta", "id": "text-1", "delta": "Hello"}),
    sse({"type": "text-delta", "id": "text-1", "delta": ", world"}),
    sse({"type": "text-end", "id": "text-1"}),
    sse({"type": "finish-step"}),
    sse({"type": "finish"}),
    b"data: [DONE]\n\n",
]
VERCEL_ERROR = [
    sse({"type": "start", "messageId": "msg-123"}),
    sse({"type": "error", "errorText": "Rate limit exceeded"}),
    b"data: [DONE]\n\n",
]

# --- MCP Streamable HTTP (2025-11-25) -------------------------------------------------
# The priming event: an ID and an empty `data:` line, dispatched as an event with data "".
MCP_PRIMING = b"id: 1\ndata: \n\n"
MCP_PROGRESS = sse(
    {
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": "t1", "progress": 1, "total": 2},
    },
    "message",
    id="2",
)
MCP_SAMPLING = sse(
    {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "sampling/createMessage",
        "params": {"messages": [], "maxTokens": 10},
    },
    "message",
    id="3",
)
MCP_RESULT = sse(
    {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {"content": [{"type": "text", "text": "done"}], "isError": False},
    },
    "message",
    id="4",
)
MCP_CALL = [MCP_PRIMING, MCP_PROGRESS, MCP_SAMPLING, MCP_RESULT]
MCP_ERROR = [
    MCP_PRIMING,
    sse(
        {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "Unknown tool: nope"}},
        "message",
        id="2",
    ),
]

# --- A2A ------------------------------------------------------------------------------


def _a2a(result: dict[str, Any], id: int = 1) -> bytes:
    return sse({"jsonrpc": "2.0", "id": id, "result": result})


def _status(state: str) -> dict[str, Any]:
    return {"statusUpdate": {"taskId": "t1", "contextId": "c1", "status": {"state": state}}}


A2A_V1 = [
    _a2a({"task": {"id": "t1", "contextId": "c1", "status": {"state": "TASK_STATE_SUBMITTED"}}}),
    _a2a(_status("TASK_STATE_WORKING")),
    _a2a(
        {
            "artifactUpdate": {
                "taskId": "t1",
                "contextId": "c1",
                "artifact": {"artifactId": "a1", "parts": [{"text": "hello"}]},
                "lastChunk": True,
            }
        }
    ),
    _a2a(_status("TASK_STATE_COMPLETED")),
]
A2A_V1_INPUT = [A2A_V1[0], _a2a(_status("TASK_STATE_INPUT_REQUIRED"))]
A2A_V1_MESSAGE = [
    _a2a({"message": {"messageId": "m2", "role": "ROLE_AGENT", "parts": [{"text": "hi"}]}})
]
A2A_V03 = [
    _a2a({"kind": "task", "id": "t1", "contextId": "c1", "status": {"state": "submitted"}}),
    _a2a(
        {
            "kind": "status-update",
            "taskId": "t1",
            "contextId": "c1",
            "status": {"state": "working"},
            "final": False,
        }
    ),
    _a2a(
        {
            "kind": "artifact-update",
            "taskId": "t1",
            "contextId": "c1",
            "artifact": {"artifactId": "a1", "parts": [{"kind": "text", "text": "hello"}]},
        }
    ),
    _a2a(
        {
            "kind": "status-update",
            "taskId": "t1",
            "contextId": "c1",
            "status": {"state": "completed"},
            "final": True,
        }
    ),
]
A2A_ERROR = [
    A2A_V1[0],
    sse(
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "Task not found"}},
        "error",
    ),
]
