"""Exceptions raised by sse_post.

The peer's faults are reported with subclasses of `SSEError`; misuse of the API
raises the built-in ``TypeError``, ``ValueError`` or ``RuntimeError``::

    SSEError                 base class, never raised itself
      ResponseError          not a 200 text/event-stream, and not retried (.status_code ...)
      ConnectionLostError    the stream broke and was not resumed (.last_event_id)
        IncompleteStreamError  it ended before the protocol's end event
        ReconnectError       reconnection was tried and gave up (.attempts)
      ServerEventError       the server sent an error event (.event, .payload)
      IdleTimeoutError       no event within idle_timeout (also a TimeoutError)
      EventTooLargeError     a line or an event's data exceeded max_event_size (.limit)
      EventDataError         an event's data is not what .json() expected (.event)

``SSEError`` subclasses no httpx error: httpx's own errors propagate unchanged, or become
``__cause__`` of an ``SSEError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._events import ServerSentEvent

__all__ = [
    "ConnectionLostError",
    "EventDataError",
    "EventTooLargeError",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "ReconnectError",
    "ResponseError",
    "SSEError",
    "ServerEventError",
]


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
    """``ServerSentEvent.json()`` could not decode an event's data.

    The data is not valid JSON, nests too deeply, or holds an integer too long for
    Python; the original error (``json.JSONDecodeError``, ``RecursionError`` or
    ``ValueError``) is the ``__cause__``.

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


class ResponseError(SSEError):
    """The server answered with something other than a ``200 text/event-stream``.

    Raised at once, without reconnecting, for any status but 204 (which ends the
    iteration quietly) and the retryable 429, 502, 503 and 504 (which become the cause
    of a `ReconnectError` once the reconnect policy gives up).

    Attributes:
        status_code: the HTTP status.
        content_type: the ``Content-Type`` header, ``""`` if absent.
        headers: the response headers, as a dict with lower-case names.
        body: the start of the response body (a few KiB at most), decoded as UTF-8
            with invalid bytes replaced.
    """

    def __init__(
        self, status_code: int, content_type: str, headers: Mapping[str, str], body: str
    ) -> None:
        shown = body if len(body) <= 500 else body[:500] + "..."
        got = f"{status_code} {content_type or '(no content type)'}"
        super().__init__(
            f"expected 200 text/event-stream, got {got}" + (f": {shown}" if shown else "")
        )
        self.status_code = status_code
        self.content_type = content_type
        self.headers = dict(headers)
        self.body = body


class ConnectionLostError(SSEError):
    """The stream broke and was not resumed; the events before the break were delivered.

    This happens when reconnecting would silently replay a request that may have had
    effects (a POST whose stream sent no event ID, unless the reconnect policy says
    ``replay_non_idempotent=True``), when reconnection is off, or when the request body
    was a one-shot iterator. The failure itself is the ``__cause__``.

    Attributes:
        last_event_id: the last event ID received, to resume by hand if that is safe.
    """

    def __init__(self, message: str, *, last_event_id: str) -> None:
        super().__init__(message)
        self.last_event_id = last_event_id


class ReconnectError(ConnectionLostError):
    """Reconnection was tried ``attempts`` times in a row and the policy gave up.

    The last failure (a transport error, a `ResponseError` for 503, an
    `IdleTimeoutError`) is the ``__cause__``.

    Attributes:
        attempts: consecutive failed attempts, the first connection included.
        last_event_id: as for `ConnectionLostError`.
    """

    def __init__(self, message: str, *, last_event_id: str, attempts: int) -> None:
        super().__init__(message, last_event_id=last_event_id)
        self.attempts = attempts


class IdleTimeoutError(SSEError, TimeoutError):
    """No event was dispatched for ``idle_timeout`` seconds (comments do not count).

    The connection is then treated as dropped; this error is the ``__cause__`` of the
    `ConnectionLostError` or `ReconnectError` raised if the stream is not
    resumed.

    Attributes:
        timeout: the ``idle_timeout`` in seconds.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(f"expected an event within {timeout:g} s (idle_timeout), got none")
        self.timeout = timeout


class IncompleteStreamError(ConnectionLostError):
    """The stream ended before its protocol's end event, and could not be resumed.

    Raised only for a `StreamProtocol` with an ``end`` rule, after every event that came
    was delivered: the answer is truncated, even if the connection closed cleanly.

    Attributes:
        last_event_id: as for `ConnectionLostError`.
    """


class ServerEventError(SSEError):
    """The server reported a failure in an event (``event: error``, an ``"error"`` field).

    Raised when the `StreamProtocol`'s ``error`` rule returns an exception for an event;
    that exception is the ``__cause__``. Not retried.

    Attributes:
        event: the error event.
        payload: its data decoded as JSON, or ``None`` if it is not JSON.
    """

    def __init__(self, event: ServerSentEvent, payload: object) -> None:
        shown = event.data if len(event.data) <= 500 else event.data[:500] + "..."
        super().__init__(f"the server sent an error event {event.event!r}: {shown}")
        self.event = event
        self.payload = payload
