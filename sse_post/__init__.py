"""sse_post: Server-Sent Events over any HTTP method.

- `EventSource` and `AsyncEventSource`: clients on httpx that send any
  method, headers and body, yield `ServerSentEvent` objects, reconnect safely and stop
  at once when aborted through an `AbortController`.
- `SSEParser`, `parse`, `aparse`: the spec-exact, sans-I/O parser
  underneath, for any byte source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._abort import AbortController, AbortSignal
from ._errors import (
    ConnectionLostError,
    DeadlineExceededError,
    EventDataError,
    EventTooLargeError,
    IdleTimeoutError,
    IncompleteStreamError,
    NetworkError,
    NetworkTimeoutError,
    ReconnectError,
    RedirectError,
    ResponseError,
    ServerEventError,
    SSEError,
)
from ._events import Comment, ServerSentEvent
from ._parse import aparse, parse
from ._parser import DEFAULT_MAX_EVENT_SIZE, SSEParser
from ._policy import ReadyState, ReconnectPolicy
from ._protocol import ResumeState, StreamProtocol, StreamRequest
from ._redirects import SECRET_MARKERS, RedirectPolicy

if TYPE_CHECKING:
    from ._async_client import AsyncEventSource
    from ._sync_client import EventSource

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "SECRET_MARKERS",
    "AbortController",
    "AbortSignal",
    "AsyncEventSource",
    "Comment",
    "ConnectionLostError",
    "DeadlineExceededError",
    "EventDataError",
    "EventSource",
    "EventTooLargeError",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "NetworkError",
    "NetworkTimeoutError",
    "ReadyState",
    "ReconnectError",
    "ReconnectPolicy",
    "RedirectError",
    "RedirectPolicy",
    "ResponseError",
    "ResumeState",
    "SSEError",
    "SSEParser",
    "ServerEventError",
    "ServerSentEvent",
    "StreamProtocol",
    "StreamRequest",
    "__version__",
    "aparse",
    "parse",
]


# The clients load httpx and anyio; the parser needs neither, so code that only parses
# (over requests, aiohttp, a file) does not pay for importing them.
_LAZY = {"EventSource": "._sync_client", "AsyncEventSource": "._async_client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sse_post' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
