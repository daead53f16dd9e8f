"""Real servers for the protocol presets, each on 127.0.0.1 in a uvicorn thread.

- `mcp_app`: the MCP Python SDK's own Streamable HTTP server (``MCPServer``, stateful,
  with an in-memory event store, so streams carry event IDs and can be resumed); a
  second instance answers in JSON (``json_response=True``).
- `a2a_app`: the a2a-sdk JSON-RPC server with a streaming agent.
- `llmock_app`: LLMock, an OpenAI/Anthropic/Gemini-compatible mock from PyPI, with
  scripted stream faults.
- `replay_app`: byte-exact streams from ``protocol_streams.py``: every documented edge
  case (role-only delta, usage chunk, pings, errors after 200), cut before the end
  event, or held open after it; plus a background Responses stream to resume.

Every server is bounded: `serve` stops it when the block exits; handlers that wait do so
for at most `WAIT` seconds, on events the tests set, never on sleeps.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import anyio
import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from . import protocol_streams as s
from .server import WAIT


@contextlib.contextmanager
def serve(app: Any, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a thread; yield its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))  # listening before the thread starts
    # The pure-Python loop and h11, whatever extras are installed, so that every run
    # exercises the same server stack.
    config = uvicorn.Config(app, log_level="error", lifespan=lifespan, loop="asyncio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(WAIT)
        sock.close()


class Gate:
    """Lets a test hold a handler, and learn that it started or that its client left."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.gone = threading.Event()

    def reset(self) -> None:
        for event in (self.started, self.release, self.gone):
            event.clear()

    async def hold(self) -> None:
        """Mark started; wait (bounded) for release; mark gone if cancelled meanwhile."""
        self.started.set()
        try:
            await anyio.to_thread.run_sync(self.release.wait, WAIT, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            self.gone.set()
            raise


# --- MCP ------------------------------------------------------------------------------

MCP_GATE = Gate()


def _event_store() -> Any:
    from mcp.server.streamable_http import EventMessage, EventStore

    class MemoryEventStore(EventStore):
        """The smallest event store: every message of every stream, in order."""

        def __init__(self) -> None:
            self.events: list[tuple[str, str, Any]] = []

        async def store_event(self, stream_id: str, message: Any) -> str:
            event_id = str(len(self.events) + 1)
            self.events.append((event_id, stream_id, message))
            return event_id

        async def replay_events_after(self, last_event_id: str, send_callback: Any) -> Any:
            ids = [event[0] for event in self.events]
            if last_event_id not in ids:
                return None
            start = ids.index(last_event_id)
            stream_id = self.events[start][1]
            for event_id, stream, message in self.events[start + 1 :]:
                if stream == stream_id and message is not None:
                    await send_callback(EventMessage(message, event_id))
            return stream_id

    return MemoryEventStore()


def _mcp_server() -> Any:
    server = MCPServer("sse-post-tests")

    @server.tool()
    async def count(n: int, ctx: Context) -> str:
        """Report progress n times, then answer."""
        for i in range(1, n + 1):
            await ctx.report_progress(i, n, f"step {i}")
        return f"counted to {n}"

    @server.tool()
    async def hold(ctx: Context) -> str:
        """Report progress once, then wait for the test to release it."""
        await ctx.report_progress(1, 2, "holding")
        await MCP_GATE.hold()
        return "released"

    @server.tool()
    async def interrupted(ctx: Context) -> str:
        """Close this request's SSE stream after one notification; the rest is replayed."""
        await ctx.report_progress(1, 2, "before the break")
        await ctx.close_sse_stream()
        await ctx.report_progress(2, 2, "after the break")
        return "resumed"

    return server


def mcp_app() -> Starlette:
    """``/sse/mcp``: answers with SSE streams, event IDs and resumption;
    ``/json/mcp``: answers every request with ``application/json``."""
    streaming, plain = _mcp_server(), _mcp_server()
    sse_app = streaming.streamable_http_app(event_store=_event_store(), retry_interval=10)
    json_app = plain.streamable_http_app(json_response=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with streaming.session_manager.run(), plain.session_manager.run():
            yield

    return Starlette(
        routes=[Mount("/sse", app=sse_app), Mount("/json", app=json_app)], lifespan=lifespan
    )


# --- A2A ------------------------------------------------------------------------------

A2A_GATE = Gate()
A2A_HOLD_ALL = threading.Event()  # set: the agent holds on `A2A_GATE` whatever it is asked


def a2a_app() -> Starlette:
    """The a2a-sdk JSON-RPC server at ``/a2a`` (A2A 1.0, and 0.3 on the same endpoint).

    The agent answers "slow" (anything, while `A2A_HOLD_ALL` is set) by waiting on
    `A2A_GATE` after its first update; any other text with a working update, two
    artifact chunks and a completed status.
    """
    from a2a.helpers.proto_helpers import new_task_from_user_message, new_text_part
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_jsonrpc_routes
    from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
    from a2a.types import AgentCapabilities, AgentCard, AgentInterface, TaskState

    class Agent(AgentExecutor):
        async def execute(self, context: Any, event_queue: Any) -> None:
            task = context.current_task or new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, task.id, task.context_id)
            await updater.update_status(TaskState.TASK_STATE_WORKING)
            if context.get_user_input() == "slow" or A2A_HOLD_ALL.is_set():
                await A2A_GATE.hold()
            for i, word in enumerate(["hello", "world"]):
                await updater.add_artifact(
                    [new_text_part(word)], artifact_id="answer", append=i > 0, last_chunk=i == 1
                )
            await updater.complete()

        async def cancel(self, context: Any, event_queue: Any) -> None:
            raise NotImplementedError

    card = AgentCard(
        name="sse-post test agent",
        description="streams two words",
        version="1.0.0",
        supported_interfaces=[
            AgentInterface(
                url="http://127.0.0.1/a2a", protocol_binding="JSONRPC", protocol_version="1.0"
            )
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
    )
    handler = DefaultRequestHandler(Agent(), InMemoryTaskStore(), card)
    return Starlette(routes=create_jsonrpc_routes(handler, "/a2a", enable_v0_3_compat=True))


# --- LLMock ---------------------------------------------------------------------------


def llmock_app() -> Any:
    """LLMock's FastAPI app: ``/v1`` (OpenAI), ``/anthropic``, ``/gemini``.

    Script faults with ``app.state.llmock.scenarios.add(StreamFault(...))``.
    """
    from llmock.chaos import ChaosSettings
    from llmock.main import create_app
    from llmock.simulation import MockResponseSettings

    return create_app(chaos=ChaosSettings(), responses=MockResponseSettings())


# --- Replays of the documented wire formats -------------------------------------------

REPLAYS: dict[str, tuple[list[bytes], dict[str, str]]] = {
    "chat": (s.CHAT, {}),
    "chat-error": (s.CHAT_ERROR, {}),
    "responses": (s.RESPONSES, {}),
    "responses-error": (s.RESPONSES_ERROR, {}),
    "responses-failed": (s.RESPONSES_FAILED, {}),
    "anthropic": (s.ANTHROPIC, {}),
    "anthropic-error": (s.ANTHROPIC_ERROR, {}),
    "gemini": (s.GEMINI, {}),
    "gemini-error": (s.GEMINI_ERROR, {}),
    "vercel": (s.VERCEL, s.VERCEL_HEADERS),
    "vercel-error": (s.VERCEL_ERROR, s.VERCEL_HEADERS),
}

REPLAY_GATE = Gate()  # `gone` is set when a held-open replay notices its client left


async def replay(request: Request) -> Response:
    """``/replay/{name}`` sends a stream whole; ``?cut=1`` stops (cleanly) before its
    last event; ``?hold=1`` keeps the connection open after it until the client leaves."""
    blocks, headers = REPLAYS[request.path_params["name"]]
    cut = request.query_params.get("cut") == "1"
    hold = request.query_params.get("hold") == "1"

    async def body() -> AsyncIterator[bytes]:
        for block in blocks[:-1] if cut else blocks:
            yield block
        if hold:
            await REPLAY_GATE.hold()

    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


async def responses_background(request: Request) -> Response:
    """A background response (``/v1/responses``) that drops after three events, and its
    resumption ``GET /v1/responses/{id}?stream=true&starting_after=N``."""
    if request.method == "POST":
        body = await request.json()
        blocks = s.RESPONSES[:3] if body.get("background") else s.RESPONSES
    else:
        if (
            request.path_params.get("id") != s.RESP_ID
            or request.query_params.get("stream") != "true"
        ):
            return Response(
                '{"error": {"message": "not found"}}', 404, media_type="application/json"
            )
        after = int(request.query_params.get("starting_after", "-1"))
        blocks = s.RESPONSES[after + 1 :]
    RESUMES.append((request.method, str(request.url.path), dict(request.query_params)))
    return StreamingResponse(iter(blocks), media_type="text/event-stream")


RESUMES: list[tuple[str, str, dict[str, str]]] = []


def replay_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/replay/{name}", replay, methods=["GET", "POST"]),
            Route("/v1/responses", responses_background, methods=["POST"]),
            Route("/v1/responses/{id}", responses_background, methods=["GET"]),
        ]
    )
