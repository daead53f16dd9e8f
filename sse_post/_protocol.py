"""What a protocol on top of SSE adds: its end event, error events, JSON answers and resume.

`StreamProtocol` is plain data: callables the flow asks at the right moments. The rules
live in the flow (``_flow.py``), so both clients follow them; the presets for the
protocols people stream (OpenAI, Anthropic, Gemini, MCP, A2A, Vercel AI) are in
``sse_post.protocols``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, final

if TYPE_CHECKING:
    from ._events import ServerSentEvent

__all__ = ["ResumeRule", "ResumeState", "StreamProtocol", "StreamRequest"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class StreamRequest:
    """A request, as a `StreamProtocol`'s ``resume`` rule sees and returns it.

    Attributes:
        method: the HTTP method.
        url: the absolute URL, query included.
        headers: the request headers (the caller's, plus ``Accept`` and
            ``Cache-Control``); ``Last-Event-ID`` is added by sse_post on every attempt
            that has one, so a resume rule need not set it.
        json: a JSON body, or ``None``.
        content: a body as bytes or str, or ``None``.
    """

    method: str = "GET"
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | str | None = None


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeState:
    """What a ``resume`` rule knows when a stream must be resumed.

    Attributes:
        request: the original request.
        last_event_id: the last event ID received (``""`` if none).
        first_event: the first event the stream delivered, or ``None`` (OpenAI's
            ``response.created`` carries the response's ID, say).
        last_event: the last event delivered, or ``None``.
        response_headers: the headers of the first response that opened the stream
            (lower-case names), such as ``mcp-session-id``.
        attempt: the number of this reconnect attempt, from 1.
    """

    request: StreamRequest
    last_event_id: str
    first_event: ServerSentEvent | None
    last_event: ServerSentEvent | None
    response_headers: Mapping[str, str]
    attempt: int


#: A ``resume`` rule: the request to send instead of replaying the original, or ``None``
#: to follow the default rules (replay a GET, resume a POST that has event IDs).
ResumeRule: TypeAlias = Callable[[ResumeState], "StreamRequest | Mapping[str, Any] | None"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class StreamProtocol:
    """The rules of a protocol streamed over SSE; pass it as ``protocol=``.

    Attributes:
        end: is this the event that completes the answer? The loop ends there and the
            connection is closed, even if the server would keep it open. An end event
            whose data is not JSON (a bare sentinel such as ``[DONE]``) is not yielded;
            any other is yielded, then the loop ends. With an ``end`` rule, a stream that
            stops before its end event raises `IncompleteStreamError` unless it can be
            resumed.
        error: an exception for an event that reports a failure, or ``None``. The loop
            raises `ServerEventError` with that exception as its ``__cause__``; it is
            not retried.
        accept_json: a ``200`` whose media type is ``application/json`` (or
            ``application/*+json``) is one event (type ``"message"``, data the body
            text), then the loop ends.
        resume: the request that resumes a broken stream (see `ResumeState`), or
            ``None`` for the default rules. A stream with a ``resume`` rule counts as
            resumable: the original request is never replayed.
        name: a short name for messages.
    """

    end: Callable[[ServerSentEvent], bool] | None = None
    error: Callable[[ServerSentEvent], BaseException | None] | None = None
    accept_json: bool = False
    resume: ResumeRule | None = None
    name: str = "custom"
