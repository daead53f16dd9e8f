"""Exceptions raised by sse_post.

The peer's faults are reported with subclasses of `SSEError`; misuse of the API
raises the built-in ``TypeError``, ``ValueError`` or ``RuntimeError``::

    SSEError                 base class, never raised itself
      ResponseError          not a 200 text/event-stream, and not retried (.status_code ...)
      RedirectError          a redirect not followed: too many, or a body to another origin
      ConnectionLostError    the stream broke and was not resumed (.last_event_id)
        IncompleteStreamError  it ended before the protocol's end event
        ReconnectError       reconnection was tried and gave up (.attempts)
      ServerEventError       the server sent an error event (.event, .payload)
      NetworkError           the server could not be reached, or the connection failed
        NetworkTimeoutError  ... because an httpx timeout expired (also a TimeoutError)
      IdleTimeoutError       no event within idle_timeout (also a TimeoutError)
      DeadlineExceededError  the iteration outlived its deadline (also a TimeoutError)
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
    "DeadlineExceededError",
    "EventDataError",
    "EventTooLargeError",
    "IdleTimeoutError",
    "IncompleteStreamError",
    "NetworkError",
    "NetworkTimeoutError",
    "ReconnectError",
    "RedirectError",
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
        response_error: the `ResponseError` (status, body) when the last failure was
            an answer such as 503, else ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        last_event_id: str,
        attempts: int,
        response_error: ResponseError | None = None,
    ) -> None:
        super().__init__(message, last_event_id=last_event_id)
        self.attempts = attempts
        self.response_error = response_error


class IdleTimeoutError(SSEError, TimeoutError):
    """No event was dispatched for ``idle_timeout`` seconds (comments do not count).

    The connection is then treated as dropped; this error is the ``__cause__`` of the
    `ConnectionLostError` or `ReconnectError` raised if the stream is not
    resumed.

    Attributes:
        timeout: the ``idle_timeout`` in seconds.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(
            f"timed out: expected an event within {timeout:g} s (idle_timeout), got none"
        )
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


class RedirectError(SSEError):
    """A redirect that sse_post will not follow: one too many, or a 307/308 that would
    re-send the request body to another origin (see `RedirectPolicy`).

    Attributes:
        target: the URL the redirect pointed to.
    """

    def __init__(self, message: str, *, target: str) -> None:
        super().__init__(message)
        self.target = target


class NetworkError(SSEError):
    """The server could not be reached, or the connection failed (refused, reset, an
    unknown host, a TLS failure, a malformed response).

    The transport's own error (httpx's or httpx2's) is the ``__cause__``.
    """


class NetworkTimeoutError(NetworkError, TimeoutError):
    """A network operation timed out (httpx's connect, read, write or pool timeout)."""


class DeadlineExceededError(SSEError, TimeoutError):
    """The iteration outlived its ``deadline=``, reconnects included.

    Attributes:
        deadline: the deadline in seconds.
    """

    def __init__(self, deadline: float) -> None:
        super().__init__(f"timed out: the stream outlived its deadline of {deadline:g} s")
        self.deadline = deadline


# A loss or a give-up caused by a timeout is raised as one of these, so that it is also a
# TimeoutError: the right class where the fault is found, never a swapped __class__.
class _LostTimeout(ConnectionLostError, TimeoutError):
    pass


class _IncompleteTimeout(IncompleteStreamError, TimeoutError):
    pass


class _ReconnectTimeout(ReconnectError, TimeoutError):
    pass


# They show as the class they refine, in tracebacks and in type(error).__name__.
for _cls in (_LostTimeout, _IncompleteTimeout, _ReconnectTimeout):
    _cls.__name__ = _cls.__qualname__ = _cls.__mro__[1].__name__


def _chain(error: BaseException, cause: BaseException | None) -> BaseException:
    error.__cause__ = cause
    return error
