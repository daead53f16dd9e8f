"""sse_post: Server-Sent Events over any HTTP method.

A spec-exact, sans-I/O parser (:class:`SSEParser`, :func:`parse`, :func:`aparse`) and
the typed events it produces (:class:`ServerSentEvent`).
"""

from __future__ import annotations

from ._errors import EventDataError, EventTooLargeError, SSEError
from ._events import ServerSentEvent
from ._parser import DEFAULT_MAX_EVENT_SIZE, SSEParser, aparse, parse

__version__ = "0.1.0.dev0"

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "EventDataError",
    "EventTooLargeError",
    "SSEError",
    "SSEParser",
    "ServerSentEvent",
    "__version__",
    "aparse",
    "parse",
]
