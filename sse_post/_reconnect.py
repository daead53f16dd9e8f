"""Reconnection, decided without I/O or clocks: outcomes in, actions out.

The clients report what happened (``response_received``, ``event``, ``connect_failed``,
``disconnected``) and do what the returned action says (`Connect`,
`Wait`, `Stop`, `Raise`). The rules are the browser EventSource's
(HTML, "Processing model", 9.2.3), made safe for requests that are not GET:

- a 200 with ``text/event-stream`` opens the stream; 204 ends it quietly;
- 429, 502, 503 and 504 are retried under the policy, honouring ``Retry-After``; any
  other answer fails at once;
- a failed connect, a drop or an idle timeout reconnects after the reconnection time
  (the server's ``retry:`` if it sent one), backed off exponentially with jitter over
  consecutive failures, at most ``max_attempts`` times in a row, sending
  ``Last-Event-ID``;
- GET reconnects after a clean end of the stream too, like EventSource; other methods
  end there, and reconnect after a drop only if the stream is resumable (it has an event
  ID) or the caller opted in, since a replay could repeat the request's effects.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, final

from ._errors import ConnectionLostError, ReconnectError

if TYPE_CHECKING:
    from ._events import ServerSentEvent

__all__ = [
    "Connect",
    "Raise",
    "ReadyState",
    "ReconnectPolicy",
    "ReconnectSession",
    "Stop",
    "Verdict",
    "Wait",
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

    def __post_init__(self) -> None:
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


# One shared generator: a Random instance holds 2.5 KB of state, too much per source
# when a process runs thousands of streams.
_JITTER = random.Random()

_NOT_REPEATED = (
    "the stream was interrupted, and the request was not repeated: it may have had effects, "
    "and the stream sent no event ID to resume from (pass "
    "reconnect=ReconnectPolicy(replay_non_idempotent=True) if it is safe to repeat)"
)


class ReconnectSession:
    """The reconnection state of one event source.

    Args:
        method: the request method.
        policy: the policy, or ``None`` never to reconnect.
        last_event_id: the ID to resume from, ``""`` for none.
        replayable: whether the request, body included, can be sent again.
        rng: source of jitter; inject a seeded one in tests.
    """

    def __init__(
        self,
        *,
        method: str,
        policy: ReconnectPolicy | None,
        last_event_id: str = "",
        replayable: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self._safe = method.upper() in SAFE_METHODS
        self._replayable = replayable
        self._rng = rng or _JITTER
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None  # the server's reconnection time
        self.failures = 0  # consecutive attempts that delivered no event
        self.last_error: BaseException | None = None  # why the latest connection ended
        self._delivered = False  # the current connection has delivered an event

    @property
    def reconnection_time(self) -> float:
        """Seconds to wait after a drop: the server's ``retry:``, else the policy's."""
        return self.reconnection_time_for(self.retry_ms)

    def reconnection_time_for(self, retry_ms: int | None) -> float:
        """The reconnection time if the server's latest ``retry:`` were ``retry_ms``."""
        policy = self.policy or ReconnectPolicy()
        if retry_ms is not None:
            return min(retry_ms / 1000, policy.max_delay)
        return policy.initial_delay

    def start(self) -> Action:
        """The first action: connect."""
        return self._connect()

    def waited(self) -> Action:
        """The wait asked for is over: connect again."""
        return self._connect()

    def response_received(self, status_code: int, content_type: str) -> Verdict:
        """Classify a response by status and ``Content-Type`` (parameters and case ignored)."""
        if status_code == 200:
            media_type = content_type.partition(";")[0].strip().lower()
            if media_type == "text/event-stream":
                self._delivered = False
                return Verdict.OPEN
            return Verdict.REJECT
        if status_code == 204:
            return Verdict.STOP
        return Verdict.RETRY if status_code in RETRY_STATUSES else Verdict.REJECT

    def event(self, event: ServerSentEvent) -> None:
        """An event was delivered: the connection works, so the failure count resets."""
        if not self._delivered:
            self._delivered = True
            self.failures = 0

    def connect_failed(
        self, error: BaseException, *, retry_after: float | None = None, maybe_sent: bool = False
    ) -> Action:
        """Connecting failed (``error``), or a retryable status came back.

        ``retry_after`` is the server's ``Retry-After`` in seconds, if any (see
        `parse_retry_after`). ``maybe_sent`` says the request may have reached the
        server (a timeout or a drop while waiting for the response headers, say): then
        a request that is not safe to repeat is not repeated, as after a drop. With
        reconnection off, ``error`` itself is raised.
        """
        self.failures += 1
        if self.policy is None:
            return Raise(error)
        if maybe_sent and not self._may_replay():
            return self._lost(error, _NOT_REPEATED)
        return self._retry(error, retry_after)

    def disconnected(
        self, error: BaseException | None, *, last_event_id: str, retry_ms: int | None
    ) -> Action:
        """The open stream ended: cleanly (``error`` is ``None``) or not.

        ``last_event_id`` and ``retry_ms`` are the parser's state at the end.
        """
        self.last_event_id = last_event_id
        if retry_ms is not None:
            self.retry_ms = retry_ms
        if not self._delivered:
            self.failures += 1
        if error is None:
            # EventSource reconnects after a clean end; a POST stream ends with its
            # response.
            if not self._safe or self.policy is None:
                return Stop()
            return self._retry(error, None)
        if self.policy is None:
            return self._lost(error, "the stream was interrupted, and reconnect=False")
        if not self._may_replay():
            return self._lost(error, _NOT_REPEATED)
        return self._retry(error, None)

    def _may_replay(self) -> bool:
        policy = self.policy
        return (
            self._safe or bool(self.last_event_id) or bool(policy and policy.replay_non_idempotent)
        )

    def _retry(self, error: BaseException | None, retry_after: float | None) -> Action:
        assert self.policy is not None
        self.last_error = error
        if not self._replayable:
            return self._lost(
                error,
                "the stream was interrupted, and the request body was a one-shot iterator "
                "that cannot be sent again (pass a zero-argument callable that returns fresh "
                "content instead)",
            )
        limit = self.policy.max_attempts
        if limit is not None and self.failures >= limit:
            failure = error if error is not None else ConnectionError("the stream ended")
            gave_up = ReconnectError(
                f"gave up after {self.failures} failed attempts in a row; last: {failure}",
                last_event_id=self.last_event_id,
                attempts=self.failures,
            )
            return Raise(_chain(gave_up, failure))
        return Wait(self._delay(retry_after))

    def _delay(self, retry_after: float | None) -> float:
        policy = self.policy
        assert policy is not None
        exponent = min(max(self.failures - 1, 0), 64)
        delay = min(self.reconnection_time * policy.backoff**exponent, policy.max_delay)
        delay -= delay * policy.jitter * self._rng.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, policy.max_delay))
        return max(delay, 0.0)

    def _connect(self) -> Connect:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        return Connect(headers)

    def _lost(self, error: BaseException | None, why: str) -> Raise:
        return Raise(_chain(ConnectionLostError(why, last_event_id=self.last_event_id), error))


def _chain(error: BaseException, cause: BaseException | None) -> BaseException:
    error.__cause__ = cause
    return error


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
