"""Exceptions raised by sse_post.

The peer's faults are reported with subclasses of :class:`SSEError`; misuse of the API
raises the built-in ``TypeError``, ``ValueError`` or ``RuntimeError``::

    SSEError                 base class, never raised itself
      EventTooLargeError     a line or an event's data exceeded max_event_size (.limit)
      EventDataError         an event's data is not what .json() expected (.event)

``SSEError`` subclasses no httpx error: httpx's own errors propagate unchanged, or become
``__cause__`` of an ``SSEError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._events import ServerSentEvent

__all__ = ["EventDataError", "EventTooLargeError", "SSEError"]


class SSEError(Exception):
    """Base class of every error sse_post raises for what the server sent."""


class EventTooLargeError(SSEError):
    """A pending line, or the data of one event, grew past ``max_event_size`` bytes.

    Events completed before the limit was crossed have already been delivered.

    Attributes:
        limit: the ``max_event_size`` in force, in bytes.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"expected an event of at most {limit} bytes, got more; "
            f"pass a larger max_event_size= (or None for no limit) if this stream is trusted"
        )
        self.limit = limit


class EventDataError(SSEError, ValueError):
    """``ServerSentEvent.json()`` found data that is not valid JSON.

    The original ``json.JSONDecodeError`` is the ``__cause__``.

    Attributes:
        event: the event whose data failed to decode.
    """

    def __init__(self, event: ServerSentEvent, reason: str) -> None:
        shown = event.data if len(event.data) <= 200 else event.data[:200] + "..."
        super().__init__(
            f"expected JSON in the data of event {event.event!r} (id {event.id!r}), "
            f"got {shown!r}: {reason}"
        )
        self.event = event
