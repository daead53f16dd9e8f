"""sse_post: Server-Sent Events over any HTTP method.

- :class:`EventSource` and :class:`AsyncEventSource`: clients on httpx that send any
  method, headers and body, yield :class:`ServerSentEvent`\\ s, reconnect safely and stop
  at once when aborted through an :class:`AbortController`.
- :class:`SSEParser`, :func:`parse`, :func:`aparse`: the spec-exact, sans-I/O parser
  underneath, for any byte source.
"""

from __future__ import annotations

from ._abort import AbortController, AbortSignal
from ._async_client import AsyncEventSource
from ._errors import (
    ConnectionLostError,
    EventDataError,
    EventTooLargeError,
    IdleTimeoutError,
    ReconnectError,
    ResponseError,
    SSEError,
)
from ._events import ServerSentEvent
from ._parser import DEFAULT_MAX_EVENT_SIZE, SSEParser, aparse, parse
from ._reconnect import ReadyState, ReconnectPolicy
from ._sync_client import EventSource

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "AbortController",
    "AbortSignal",
    "AsyncEventSource",
    "ConnectionLostError",
    "EventDataError",
    "EventSource",
    "EventTooLargeError",
    "IdleTimeoutError",
    "ReadyState",
    "ReconnectError",
    "ReconnectPolicy",
    "ResponseError",
    "SSEError",
    "SSEParser",
    "ServerSentEvent",
    "__version__",
    "aparse",
    "parse",
]
