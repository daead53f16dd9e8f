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

import random
from typing import TYPE_CHECKING

from ._errors import (
    ConnectionLostError,
    IncompleteStreamError,
    ReconnectError,
    ResponseError,
    _chain,
    _IncompleteTimeout,
    _LostTimeout,
    _ReconnectTimeout,
)
from ._policy import (
    RETRY_STATUSES,
    SAFE_METHODS,
    Connect,
    Raise,
    ReconnectPolicy,
    Stop,
    Verdict,
    Wait,
)

if TYPE_CHECKING:
    from ._events import ServerSentEvent
    from ._policy import Action

__all__ = ["ReconnectSession"]

# One shared generator: a Random instance holds 2.5 KB of state, too much per source
# when a process runs thousands of streams.
_JITTER = random.Random()
_DEFAULT = ReconnectPolicy()
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
        self.safe = method.upper() in SAFE_METHODS
        self._replayable = replayable
        self._rng = rng or _JITTER
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None  # the server's reconnection time
        self.failures = 0  # consecutive attempts that delivered no event
        self.churn = 0  # consecutive connections that delivered at most one event
        self.attempt = 0  # reconnect attempts so far (0 for the first connection)
        self.last_error: BaseException | None = None  # why the latest connection ended
        self.explicit_restart = False  # restart() asked: the next attempt may replay
        self._delivered = 0  # events delivered by the current connection (0, 1, 2+)

    @property
    def reconnection_time(self) -> float:
        """Seconds to wait after a drop: the server's ``retry:``, else the policy's."""
        return self.reconnection_time_for(self.retry_ms)

    def reconnection_time_for(self, retry_ms: int | None) -> float:
        """The reconnection time if the server's latest ``retry:`` were ``retry_ms``."""
        policy = self.policy or _DEFAULT
        if retry_ms is not None:
            # Compared in milliseconds: a retry: of hundreds of digits is a valid int that
            # no float can hold.
            return min(retry_ms, policy.max_delay * 1000) / 1000
        return policy.initial_delay

    def start(self) -> Action:
        """The first action: connect."""
        return self._connect()

    def waited(self) -> Action:
        """The wait asked for is over: connect again."""
        self.attempt += 1
        return self._connect()

    def restart(self) -> Action:
        """``restart()`` was called: reconnect at once, as after a drop, and allow the
        next attempt to replay the request since the caller asked for it."""
        self.attempt += 1
        self.explicit_restart = True
        return self._connect()

    def may_replay(self) -> bool:
        """Whether the original request may be sent again now."""
        policy = self.policy
        return (
            self.safe
            or self.explicit_restart
            or bool(self.last_event_id)
            or bool(policy and policy.replay_non_idempotent)
        )

    def response_received(
        self, status_code: int, content_type: str, *, accept_json: bool = False
    ) -> Verdict:
        """Classify a response by status and ``Content-Type`` (parameters and case ignored)."""
        if status_code == 200:
            media_type = content_type.partition(";")[0].strip().lower()
            if media_type == "text/event-stream":
                self._delivered = 0
                self.explicit_restart = False
                return Verdict.OPEN
            if accept_json and (
                media_type == "application/json"
                or (media_type.startswith("application/") and media_type.endswith("+json"))
            ):
                return Verdict.JSON
            return Verdict.REJECT
        if status_code in (202, 204):
            return Verdict.STOP
        return Verdict.RETRY if status_code in RETRY_STATUSES else Verdict.REJECT

    def event(self, event: ServerSentEvent) -> None:
        """Events were delivered: the connection works, so the failure count resets; a
        second event also resets the backoff (a connection that dies right after its
        first event still backs off, so no server can make us reconnect in a storm)."""
        if self._delivered < 2:
            self._delivered += 1
            if self._delivered == 1:
                self.failures = 0
            else:
                self.churn = 0

    def connect_failed(
        self,
        error: BaseException,
        *,
        retry_after: float | None = None,
        maybe_sent: bool = False,
        first: bool = False,
    ) -> Action:
        """Connecting failed (``error``), or a retryable status came back.

        ``retry_after`` is the server's ``Retry-After`` in seconds, if any (see
        `parse_retry_after`). ``maybe_sent`` says the request may have reached the
        server: then a request that is not safe to repeat is not repeated, as after a
        drop. ``first``: no stream has opened yet; a request that is not safe to repeat
        then fails at once, so that a POST to a server that is down reports at once
        rather than after the whole backoff.
        """
        self.failures += 1
        self.churn += 1
        policy = self.policy
        if policy is None:
            return Raise(error)
        if first and not (self.safe if policy.retry_unopened is None else policy.retry_unopened):
            return Raise(error)
        if maybe_sent and not self.may_replay():
            return self.lost(error, _NOT_REPEATED)
        return self._retry(error, retry_after)

    def stream_ended(self, last_event_id: str, retry_ms: int | None) -> None:
        """The open stream's parser is done: adopt its last event ID and ``retry:``."""
        self.last_event_id = last_event_id
        if retry_ms is not None:
            self.retry_ms = retry_ms

    def disconnected(
        self, error: BaseException | None, *, incomplete: bool = False, resumable: bool = False
    ) -> Action:
        """The open stream ended: cleanly (``error`` is ``None``) or not.

        ``incomplete``: the protocol has an end event that did not come. ``resumable``:
        the protocol knows how to resume (a ``resume`` rule).
        """
        if self._delivered == 0:
            self.failures += 1
        if self._delivered <= 1:
            self.churn += 1
        policy = self.policy
        if error is None and not incomplete:
            # EventSource reconnects after a clean end; a POST stream ends with its
            # response unless the policy says the feed comes back.
            if policy is None or not (self.safe or policy.reconnect_after_end):
                return Stop()
            return self._retry(None, None)
        why = (
            "the stream ended before its end event" if incomplete else "the stream was interrupted"
        )
        if policy is None:
            return self.lost(error, f"{why}, and reconnect=False", incomplete=incomplete)
        if not (resumable or self.may_replay()):
            return self.lost(
                error,
                _NOT_REPEATED.replace("the stream was interrupted", why),
                incomplete=incomplete,
            )
        return self._retry(error, None)

    def _retry(self, error: BaseException | None, retry_after: float | None) -> Action:
        assert self.policy is not None
        self.last_error = error
        if not self._replayable:
            return self.lost(
                error,
                "the stream was interrupted, and the request body was a one-shot iterator "
                "that cannot be sent again (pass a zero-argument callable that returns fresh "
                "content instead)",
            )
        limit = self.policy.max_attempts
        if limit is not None and self.failures >= limit:
            failure = error if error is not None else ConnectionError("the stream ended")
            cls = _ReconnectTimeout if isinstance(failure, TimeoutError) else ReconnectError
            gave_up = cls(
                f"gave up after {self.failures} failed attempts in a row; last: {failure}",
                last_event_id=self.last_event_id,
                attempts=self.failures,
                response_error=failure if isinstance(failure, ResponseError) else None,
            )
            return Raise(_chain(gave_up, failure))
        return Wait(self._delay(retry_after))

    def _delay(self, retry_after: float | None) -> float:
        policy = self.policy
        assert policy is not None
        # The floor is the base of the backoff too, so that retry: 0 cannot cancel it.
        floor = min(policy.min_delay, policy.max_delay)
        exponent = min(max(max(self.failures, self.churn) - 1, 0), 64)
        base = max(self.reconnection_time, floor)
        delay = min(base * policy.backoff**exponent, policy.max_delay)
        delay -= delay * policy.jitter * self._rng.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, policy.max_delay))
        return max(delay, floor)

    def _connect(self) -> Connect:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        return Connect(headers)

    def lost(self, error: BaseException | None, why: str, *, incomplete: bool = False) -> Raise:
        """Give up on the stream: `ConnectionLostError` (`IncompleteStreamError` when
        the protocol's end event did not come), a TimeoutError too when ``error`` is."""
        timed_out = isinstance(error, TimeoutError)
        if incomplete:
            cls: type[ConnectionLostError] = (
                _IncompleteTimeout if timed_out else IncompleteStreamError
            )
        else:
            cls = _LostTimeout if timed_out else ConnectionLostError
        if timed_out:
            why = f"timed out: {why}"
        return Raise(_chain(cls(why, last_event_id=self.last_event_id), error))
