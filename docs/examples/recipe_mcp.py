"""Recipe: an MCP client session over Streamable HTTP (MCP 2025-11-25).

initialize, read the session ID from the response headers, send
notifications/initialized (answered 202), call a tool and show its progress
notifications, then end the session with DELETE.
"""

import itertools
import os
from collections.abc import Callable
from typing import Any

import httpx

from sse_post import EventSource, ServerEventError, protocols
from sse_post.protocols import JSONRPCError

URL = os.environ.get("MCP_URL", "http://127.0.0.1:8000/mcp")
PROTOCOL_VERSION = "2025-11-25"


class MCPSession:
    """One session: every request after initialize carries its ID and protocol version."""

    def __init__(self, url: str) -> None:
        self.url = url
        # The spec requires both: each answer is either JSON or an SSE stream.
        self.headers = {"Accept": "application/json, text/event-stream"}
        self.ids = itertools.count(1)

    def __enter__(self) -> "MCPSession":
        info = {"name": "sse-post-recipe", "version": "1.0"}
        params = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": info}
        result, headers = self._send("initialize", params)
        # The server names the session in a header of its answer to initialize (a
        # stateless server names none); every later request sends it back.
        self.session_id = headers.get("mcp-session-id")
        if self.session_id:
            self.headers["Mcp-Session-Id"] = self.session_id
        self.headers["MCP-Protocol-Version"] = result["protocolVersion"]
        self.server = result["serverInfo"]["name"]
        self.notify("notifications/initialized")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.session_id:  # let the server free the session now
            httpx.delete(self.url, headers=self.headers)

    def request(
        self,
        method: str,
        params: dict[str, Any],
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        """Send a request; return its result. A JSON-RPC error raises ServerEventError."""
        return self._send(method, params, on_progress)[0]

    def notify(self, method: str) -> None:
        # A notification has no id; the server answers 202 Accepted with no body, which
        # the preset turns into a loop with no events.
        body = {"jsonrpc": "2.0", "method": method}
        with EventSource(
            self.url, method="POST", json=body, headers=self.headers, protocol=protocols.mcp
        ) as source:
            list(source)  # 202 Accepted: the loop ends at once, with no events

    def _send(
        self,
        method: str,
        params: dict[str, Any],
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[Any, Any]:
        request_id = next(self.ids)
        if on_progress is not None:  # ask for progress notifications on this request
            params = {**params, "_meta": {"progressToken": request_id}}
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        result = None
        # The preset ends the loop at the response to this request (a JSON answer is one
        # event), raises on a JSON-RPC error, and resumes a dropped stream with a GET
        # carrying Last-Event-ID and Mcp-Session-Id.
        with EventSource(
            self.url, method="POST", json=body, headers=self.headers, protocol=protocols.mcp
        ) as source:
            for event in source:
                if not event.data:
                    continue  # a priming event: only an ID to resume from
                message = event.json()
                if message.get("method") == "notifications/progress" and on_progress:
                    on_progress(message["params"])
                elif message.get("id") == request_id and "method" not in message:
                    result = message["result"]  # the response: the last event
        return result, source.response_headers


def show_progress(params: dict[str, Any]) -> None:
    print(f"progress {params['progress']}/{params.get('total')}: {params.get('message')}")


with MCPSession(URL) as session:
    print("connected to", session.server)
    tools = session.request("tools/list", {})["tools"]
    print("tools:", ", ".join(sorted(tool["name"] for tool in tools)))
    call = {"name": "count", "arguments": {"n": 3}}
    result = session.request("tools/call", call, on_progress=show_progress)
    print("result:", result["content"][0]["text"])
    try:
        session.request("no/such/method", {})
    except ServerEventError as exc:
        error = exc.__cause__
        assert isinstance(error, JSONRPCError)  # the preset's cause for a JSON-RPC error
        print(f"error {error.code}: {error.message}")
