"""The rules of the JSON-RPC presets (MCP, A2A) in `sse_post.protocols`.

Pure functions of one event (and, to resume, of the `ResumeState`), like the rules in
``_protocol_rules``; remote input never raises here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._protocol_rules import ProviderError, payload, resume_headers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._events import ServerSentEvent
    from ._protocol import ResumeState, StreamRequest


class JSONRPCError(ProviderError):
    """A JSON-RPC 2.0 error response (MCP, A2A); ``code`` is the JSON-RPC error code.

    Attributes:
        id: the id of the request it answers (``None`` if the server could not read it).
        data: the error's optional ``data`` member, or ``None``.
    """

    def __init__(self, protocol: str, error: Mapping[str, Any], id: Any) -> None:
        code = error.get("code")
        message = error.get("message")
        super().__init__(
            protocol,
            code if isinstance(code, int) else None,
            message if isinstance(message, str) else "",
            dict(error),
        )
        self.id = id
        self.data = error.get("data")


# --- JSON-RPC (MCP, A2A) --------------------------------------------------------------


def is_jsonrpc_response(data: dict[str, Any]) -> bool:
    # A response has an id and a result or an error, and never a method; a request from
    # the server to the client (sampling, elicitation) has an id *and* a method.
    return "id" in data and "method" not in data and ("result" in data or "error" in data)


def jsonrpc_error(protocol: str, event: ServerSentEvent) -> JSONRPCError | None:
    data = payload(event)
    error = data.get("error")
    if "method" in data or not isinstance(error, dict):
        return None
    return JSONRPCError(protocol, error, data.get("id"))


def mcp_end(event: ServerSentEvent) -> bool:
    return is_jsonrpc_response(payload(event))


def mcp_error(event: ServerSentEvent) -> JSONRPCError | None:
    return jsonrpc_error("mcp", event)


def mcp_resume(state: ResumeState) -> StreamRequest | None:
    from ._protocol import StreamRequest

    if not state.last_event_id:
        return None  # no event ID, no resumption: the server could not know where to start
    headers = resume_headers(state.request, accept="text/event-stream")
    if not any(k.lower() == "mcp-session-id" for k in headers):
        session = state.response_headers.get("mcp-session-id")
        if session:
            headers["mcp-session-id"] = session
    return StreamRequest(method="GET", url=state.request.url, headers=headers)


# A2A 1.0 (proto JSON names) and 0.3 (kebab-case) task states. The server closes a
# stream once a status update reaches a terminal or an interrupted state (the task waits
# for the client); a2a-sdk's DefaultRequestHandlerV2 stops tailing a task there too.
A2A_TERMINAL_STATES = frozenset(
    {
        *(f"TASK_STATE_{s}" for s in ("COMPLETED", "FAILED", "CANCELED", "REJECTED")),
        *("completed", "failed", "canceled", "rejected"),
    }
)
A2A_FINAL_STATES = A2A_TERMINAL_STATES | {
    "TASK_STATE_INPUT_REQUIRED",
    "TASK_STATE_AUTH_REQUIRED",
    "input-required",
    "auth-required",
}


def _a2a_state(task: Any) -> Any:
    status = task.get("status") if isinstance(task, dict) else None
    return status.get("state") if isinstance(status, dict) else None


def a2a_end(event: ServerSentEvent) -> bool:
    data = payload(event)
    result = data.get("result")
    if not isinstance(result, dict):
        return is_jsonrpc_response(data)  # an error answer ends the stream too
    if result.get("final") is True:  # 0.3 TaskStatusUpdateEvent
        return True
    if "message" in result or result.get("kind") == "message":
        return True  # a Message answers the request; no task follows it
    if _a2a_state(result.get("statusUpdate")) in A2A_FINAL_STATES:
        return True
    # A whole Task is also the snapshot that opens a resubscription, where an interrupted
    # task is where the stream starts, not where it ends: only a terminal Task ends it.
    task = result if result.get("kind") == "task" else result.get("task")
    return _a2a_state(task) in A2A_TERMINAL_STATES


def a2a_error(event: ServerSentEvent) -> JSONRPCError | None:
    return jsonrpc_error("a2a", event)
