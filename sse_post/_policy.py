"""What reconnection is made of: the policy, the verdicts on a response, the actions.

Plain data with no I/O or clock; the session that uses them is in ``_reconnect``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import final

__all__ = [
    "RETRY_STATUSES",
    "SAFE_METHODS",
    "Action",
    "Connect",
    "Raise",
    "ReadyState",
    "ReconnectPolicy",
    "Stop",
    "Verdict",
    "Wait",
    "parse_retry_after",
]

#: Methods that a reconnect may repeat without asking: the safe ones of RFC 9110.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Statuses that mean "try again later".
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ReconnectPolicy:
    """How an event source reconnects. Pass ``reconnect=False`` to never reconnect.

    The delay before attempt *n* of a run of failures is the reconnection time (the
    server's last ``retry:``, else ``initial_delay``) times ``backoff ** (n - 1)``, at most
    ``max_delay``, less up to ``jitter`` of itself at random. A ``Retry-After`` header
    on 429/503 raises the delay to what it asks, up to ``max_delay``.

    Attributes:
        max_attempts: consecutive failed attempts (the first connection included) before
            giving up with `ReconnectError`; ``None`` for no limit. A connection
            that delivers an event resets the count.
        initial_delay: seconds to wait when the server has not sent ``retry:``.
        max_delay: upper bound in seconds on any wait, the server's ``retry:`` and
            ``Retry-After`` included.
        backoff: factor applied per consecutive failure.
        jitter: fraction (0 to 1) of each delay taken off at random, so that many
            clients dropped together do not return together.
        replay_non_idempotent: reconnect a POST (or any method but GET, HEAD, OPTIONS)
            after a drop even if the server sent no event ID, repeating the request.
            Only for requests that are safe to repeat.
        min_delay: the floor in seconds under every wait, whatever the server's
            ``retry:`` (capped by ``max_delay``). With the default of 1 s no server can
            make a source reconnect more than 10 times in any 10 s.
        reconnect_after_end: reconnect a POST (or other non-GET) source after a clean
            end of its stream too, resending its body and ``Last-Event-ID``, as GET does
            by default: for long-lived POST or REPORT feeds.
        retry_unopened: retry a request whose stream never opened (refused, unknown
            host, 429/502/503/504). ``None`` (the default): for GET, HEAD and OPTIONS
            only, so that a POST to a server that is down fails at once with the reason,
            while a GET feed keeps trying as EventSource does.

    Raises:
        ValueError: a negative delay or count, ``backoff`` below 1 or ``jitter`` outside
            0 to 1.
    """

    max_attempts: int | None = 5
    initial_delay: float = 1.0
    max_delay: float = 30.0
    backoff: float = 2.0
    jitter: float = 0.2
    replay_non_idempotent: bool = False
    min_delay: float = 1.0
    reconnect_after_end: bool = False
    retry_unopened: bool | None = None

    def __post_init__(self) -> None:
        if not self.min_delay >= 0:
            raise ValueError(f"expected min_delay >= 0, got {self.min_delay!r}")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError(f"expected max_attempts >= 0 or None, got {self.max_attempts!r}")
        if not 0 <= self.initial_delay <= self.max_delay or math.isnan(self.max_delay):
            raise ValueError(
                f"expected 0 <= initial_delay <= max_delay, "
                f"got {self.initial_delay!r} and {self.max_delay!r}"
            )
        if not self.backoff >= 1:
            raise ValueError(f"expected backoff >= 1, got {self.backoff!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"expected jitter between 0 and 1, got {self.jitter!r}")


class ReadyState(enum.Enum):
    """Where an event source is, as in the browser's ``EventSource.readyState``."""

    #: Connecting, or waiting to reconnect.
    CONNECTING = 0
    #: A response is open and events are being read.
    OPEN = 1
    #: Finished: ended, closed, aborted or failed. It will not connect again.
    CLOSED = 2


class Verdict(enum.Enum):
    """What to do with a response, by its status and content type."""

    #: 200 text/event-stream: read events.
    OPEN = enum.auto()
    #: 204: the server says stop; end quietly.
    STOP = enum.auto()
    #: 429/502/503/504: read a body excerpt, then report ``connect_failed``.
    RETRY = enum.auto()
    #: anything else: read a body excerpt and raise ``ResponseError``.
    REJECT = enum.auto()
    #: 200 JSON when the protocol accepts it: the body is one event.
    JSON = enum.auto()


@final
@dataclass(frozen=True, slots=True)
class Connect:
    """Send the request, with these extra headers (``Last-Event-ID``)."""

    headers: dict[str, str]


@final
@dataclass(frozen=True, slots=True)
class Wait:
    """Wait this many seconds, interruptibly, then ask ``waited()`` for what is next."""

    seconds: float


@final
@dataclass(frozen=True, slots=True)
class Stop:
    """End the iteration quietly."""


@final
@dataclass(frozen=True, slots=True)
class Raise:
    """End the iteration by raising ``error``."""

    error: BaseException


Action = Connect | Wait | Stop | Raise


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds asked for by a ``Retry-After`` header: delta-seconds or an HTTP date.

    ``now`` is the current POSIX time, for dates. Unparseable values give ``None``.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    # Imported here: email.utils imports socket and time, which the sans-I/O core keeps
    # out of the import of sse_post.
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(when.timestamp() - now, 0.0)
