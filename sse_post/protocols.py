"""Presets for the protocols people stream over SSE; pass one as ``protocol=``.

Each preset is a plain `StreamProtocol`, built once and shared: it needs no arguments,
because every rule reads only the event in hand (and, to resume, the `ResumeState`)::

    from sse_post import EventSource, protocols

    with EventSource(url, method="POST", json=body, headers=auth,
                     protocol=protocols.openai_chat) as source:
        for event in source:        # ends after [DONE]; an error chunk raises
            print(protocols.text(event, protocols.openai_chat), end="")

What every preset does with the flow's rules:

- ``end``: the event that completes the answer. The loop ends there, even if the server
  keeps the connection open; a stream cut before it raises `IncompleteStreamError`.
- ``error``: an error the provider sends after its ``200``. The loop raises
  `ServerEventError` whose ``__cause__`` is a `ProviderError` (a `JSONRPCError` for
  MCP and A2A) carrying the provider's own ``code`` and ``message``.
- `text`: the generated text an event carries, for the presets that have one.

Where each rule comes from (read again in December 2026):

``openai_chat``
    OpenAI API reference, "Create chat completion" (``stream: true``) and "The chat
    completion chunk object": the first chunk's delta carries only the role; with
    ``stream_options.include_usage`` the last chunk has ``"choices": []`` and the usage;
    the stream ends with ``data: [DONE]``. openai-python ``Stream.__stream__`` stops at
    data starting with ``[DONE]`` and raises ``APIError`` for any chunk whose JSON has
    an ``"error"`` member.
``openai_responses``
    OpenAI API reference, "Streaming events" of the Responses API: every event names its
    ``type`` in ``event:`` and in the data, with a ``sequence_number``; an answer ends
    with ``response.completed``, ``response.incomplete`` or ``response.failed`` (the
    response's ``error`` says why); ``event: error`` reports a failure. OpenAI sends no
    ``[DONE]``; servers following the Open Responses specification send one after the
    terminal event, and it ends the loop too (not yielded). "Background mode": a response
    created with ``background: true`` and ``stream: true`` goes on after the connection
    drops, and is resumed with
    ``GET /v1/responses/{id}?stream=true&starting_after={sequence_number}``
    (openai-python ``responses.retrieve(..., stream=True, starting_after=N)``). The
    ``resume`` rule builds that request from ``response.created`` (the first event) and
    the last event; other responses die with their connection, so it returns ``None``.
``anthropic_messages``
    Anthropic docs, "Streaming Messages": ``message_start``, content blocks,
    ``message_delta``, then ``event: message_stop``; ``event: ping`` may come at any
    point (yielded, harmless); ``event: error`` with ``{"type": "error", "error":
    {"type": "overloaded_error", ...}}`` may come after the ``200``. Text arrives as
    ``content_block_delta`` with a ``text_delta``.
``gemini``
    Gemini API reference, ``models.streamGenerateContent`` with ``?alt=sse``: each
    ``data:`` is a whole ``GenerateContentResponse``; the last one carries
    ``finishReason``; the stream simply ends, with no end event, so this preset has no
    ``end`` rule (check ``finishReason`` to know the answer is whole). A failure after
    the ``200`` is a chunk ``{"error": {"code", "message", "status"}}``.
``mcp``
    MCP specification 2025-11-25, "Transports", Streamable HTTP: a POST carrying one
    JSON-RPC request is answered with ``application/json`` or an SSE stream that ends
    with the JSON-RPC response to that request (an ``id`` with ``result`` or ``error``,
    and no ``method``: server-to-client requests have a ``method``); notifications and
    responses get ``202 Accepted``; the server may send a priming event (an ID, empty
    data) and may close the stream early; the client resumes with a ``GET`` to the same
    endpoint carrying ``Last-Event-ID`` and ``Mcp-Session-Id``. The ``resume`` rule
    builds that GET when the stream gave event IDs. The MCP Python SDK's
    ``StreamableHTTPServerTransport`` ends each POST stream after the response. Send
    ``Accept: application/json, text/event-stream`` (the spec requires both) and, after
    ``initialize``, ``Mcp-Session-Id`` and ``MCP-Protocol-Version``; read the session
    from ``source.response_headers``.
``a2a``
    A2A specification 1.0 (``SendStreamingMessage``, ``SubscribeToTask``) and 0.3
    (``message/stream``, ``tasks/resubscribe``): JSON-RPC responses streamed as SSE;
    the server closes the stream once a status update makes the task terminal
    (completed, failed, canceled, rejected) or interrupted (input or auth required),
    once a ``Message`` answers, or, in 0.3, after a status update with ``"final":
    true`` (a2a-sdk's ``DefaultRequestHandlerV2`` stops there too). A whole ``Task``
    ends the loop only when terminal: an interrupted one is the snapshot that opens a
    resubscription. A JSON-RPC error may come as an event or as a plain JSON answer. A
    failed *task* is a result, not an error: it ends the loop and is yielded. To resume,
    call ``SubscribeToTask`` (0.3: ``tasks/resubscribe``) with the task id; the stream
    has no event IDs to resume by.
``vercel_ai``
    AI SDK docs, "Stream Protocols", UI message stream (header
    ``x-vercel-ai-ui-message-stream: v1``): every part is ``data: {"type": ...}``;
    text comes as ``text-delta`` parts; failures as ``{"type": "error", "errorText"}``;
    the stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _jsonrpc_rules as jsonrpc
from . import _protocol_rules as rules
from ._jsonrpc_rules import JSONRPCError
from ._protocol import StreamProtocol
from ._protocol_rules import ProviderError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._events import ServerSentEvent

__all__ = [
    "JSONRPCError",
    "ProviderError",
    "a2a",
    "anthropic_messages",
    "gemini",
    "mcp",
    "openai_chat",
    "openai_responses",
    "text",
    "text_rule",
    "vercel_ai",
]

#: OpenAI Chat Completions: ends at ``data: [DONE]`` (not yielded); a chunk with an
#: ``"error"`` member raises.
openai_chat = StreamProtocol(name="openai_chat", end=rules.is_done, error=rules.chat_error)

#: OpenAI Responses: ends at ``response.completed``, ``response.incomplete`` or
#: ``response.failed`` (which raises, as does ``event: error``); a background response
#: resumes with ``GET .../responses/{id}?stream=true&starting_after=N``.
openai_responses = StreamProtocol(
    name="openai_responses",
    end=rules.responses_end,
    error=rules.responses_error,
    resume=rules.responses_resume,
)

#: Anthropic Messages: ends at ``event: message_stop``; ``event: error`` raises.
anthropic_messages = StreamProtocol(
    name="anthropic_messages", end=rules.anthropic_end, error=rules.anthropic_error
)

#: Gemini ``streamGenerateContent?alt=sse``: the end of the stream is the end; a chunk
#: with an ``"error"`` member raises.
gemini = StreamProtocol(name="gemini", error=rules.gemini_error)

#: MCP Streamable HTTP (2025-11-25): ends at the JSON-RPC response; a JSON-RPC error
#: raises; a JSON answer is one event and ``202`` ends quietly; a stream with event IDs
#: resumes with a GET carrying ``Last-Event-ID`` and ``Mcp-Session-Id``.
mcp = StreamProtocol(
    name="mcp",
    end=jsonrpc.mcp_end,
    error=jsonrpc.mcp_error,
    accept_json=True,
    resume=jsonrpc.mcp_resume,
)

#: A2A (1.0 and 0.3): ends when the task is terminal or interrupted, a message answers,
#: or (0.3) ``"final": true``; a JSON-RPC error raises; a JSON answer is one event.
a2a = StreamProtocol(name="a2a", end=jsonrpc.a2a_end, error=jsonrpc.a2a_error, accept_json=True)

#: Vercel AI SDK UI message stream: ends at ``data: [DONE]``; an ``error`` part raises.
vercel_ai = StreamProtocol(name="vercel_ai", end=rules.is_done, error=rules.vercel_error)

_TEXT: dict[str, Callable[[ServerSentEvent], str]] = {
    "openai_chat": rules.chat_text,
    "openai_responses": rules.responses_text,
    "anthropic_messages": rules.anthropic_text,
    "gemini": rules.gemini_text,
    "vercel_ai": rules.vercel_text,
}


def text_rule(protocol: StreamProtocol) -> Callable[[ServerSentEvent], str] | None:
    """The function that extracts the generated text of one event, if the preset has one.

    Args:
        protocol: a preset of this module, or any `StreamProtocol` with one of their
            names.

    Returns:
        A function of a `ServerSentEvent` returning its text (``""`` for an event that
        carries none: a role-only delta, a ping, a usage chunk), or ``None`` for a
        protocol without generated text (``mcp``, ``a2a``, a custom one).
    """
    return _TEXT.get(protocol.name)


def text(event: ServerSentEvent, protocol: StreamProtocol) -> str:
    """The generated text that ``event`` carries under ``protocol``.

    Chat deltas (``openai_chat``), ``response.output_text.delta`` (``openai_responses``),
    ``text_delta`` blocks (``anthropic_messages``), candidate parts other than thoughts
    (``gemini``) and ``text-delta`` parts (``vercel_ai``). Never raises for what the
    server sent: an event that is not the expected JSON has no text.

    Args:
        event: an event the source yielded.
        protocol: the preset the source was opened with.

    Returns:
        The text, or ``""`` if the event carries none.

    Raises:
        ValueError: the protocol has no text rule (see `text_rule`).
    """
    rule = _TEXT.get(protocol.name)
    if rule is None:
        raise ValueError(
            f"expected a protocol with generated text ({', '.join(_TEXT)}), got {protocol.name!r}"
        )
    return rule(event)
