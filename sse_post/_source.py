"""What the sync and async event sources share: arguments, state and bookkeeping.

No I/O here: the drivers (``_sync_client``, ``_async_client``) open responses, read
bytes and wait; this class turns their outcomes into parser and session calls.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from ._parser import SSEParser
from ._reconnect import ReadyState, ReconnectPolicy, ReconnectSession
from ._request import RequestSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._reconnect import Action
    from ._request import Content, HeaderTypes

__all__ = ["SourceCore"]


class SourceCore:
    """State and bookkeeping of one event source; see ``EventSource`` for the arguments."""

    def __init__(
        self,
        url: str,
        *,
        method: str,
        headers: HeaderTypes | None,
        params: Any,
        json: Any,
        data: Mapping[str, Any] | None,
        content: Content | None,
        signal: AbortSignal | None,
        last_event_id: str,
        max_event_size: int | None,
        idle_timeout: float | None,
        reconnect: ReconnectPolicy | bool,
        on_open: Callable[[Any], None] | None,
        on_reconnect: Callable[[float, BaseException | None], None] | None,
    ) -> None:
        self._on_open = on_open
        self._on_reconnect = on_reconnect
        self._request = RequestSpec.build(
            str(url),
            method=method,
            headers=headers,
            params=params,
            json=json,
            data=data,
            content=content,
            last_event_id=last_event_id,
        )
        if isinstance(reconnect, bool):
            policy: ReconnectPolicy | None = ReconnectPolicy() if reconnect else None
        elif isinstance(reconnect, ReconnectPolicy):
            policy = reconnect
        else:
            raise TypeError(
                f"expected reconnect= True, False or a ReconnectPolicy, got {reconnect!r}"
            )
        if idle_timeout is not None and not idle_timeout > 0:
            raise ValueError(f"expected a positive idle_timeout or None, got {idle_timeout!r}")
        SSEParser(max_event_size=max_event_size)  # checks max_event_size now, not at connect
        self._session = ReconnectSession(
            method=self._request.method,
            policy=policy,
            last_event_id=self._request.last_event_id,
            replayable=self._request.replayable,
        )
        self._max_event_size = max_event_size
        self._idle_timeout = idle_timeout
        self._signal = signal
        self._ready_state = ReadyState.CONNECTING
        self._queue: collections.deque[ServerSentEvent] = collections.deque()
        self._parser: SSEParser | None = None
        self._action: Action | None = None
        self._closing = False  # close() or abort() asked; the loop ends at its next step
        self._url = self._request.url
        self._ends_at_close = False

    @property
    def ready_state(self) -> ReadyState:
        """CONNECTING (also while waiting to reconnect), OPEN, or CLOSED."""
        return self._ready_state

    @property
    def url(self) -> str:
        """The URL of the current response, after redirects; before the first response,
        the URL asked for."""
        return self._url

    @property
    def last_event_id(self) -> str:
        """The last event ID received (or given as ``last_event_id=``); a reconnect sends
        it as ``Last-Event-ID``."""
        parser = self._parser
        return parser.last_event_id if parser is not None else self._session.last_event_id

    @property
    def retry(self) -> float:
        """The reconnection time in seconds: the server's latest ``retry:``, else the
        reconnect policy's ``initial_delay`` (before backoff and jitter)."""
        # While a stream is open, its parser holds the newest retry: (the session adopts
        # it when the stream ends); a getter reads it without changing anything.
        parser = self._parser
        if parser is not None and parser.retry is not None:
            return self._session.reconnection_time_for(parser.retry)
        return self._session.reconnection_time

    def _opened(self, response: Any, *, ends_at_close: bool) -> None:
        self._url = str(response.url)
        self._ends_at_close = ends_at_close
        self._parser = SSEParser(
            last_event_id=self._session.last_event_id, max_event_size=self._max_event_size
        )
        self._ready_state = ReadyState.OPEN
        if self._on_open is not None:
            self._on_open(response)

    def _waiting(self, seconds: float) -> None:
        self._ready_state = ReadyState.CONNECTING
        if self._on_reconnect is not None:
            self._on_reconnect(seconds, self._session.last_error)

    def _accept(self, events: list[ServerSentEvent]) -> None:
        self._session.event(events[0])
        self._queue.extend(events)

    def _ended(self, error: BaseException | None) -> None:
        # Raises EventTooLargeError if the parser deferred one; the events before it
        # were queued already.
        parser = self._parser
        assert parser is not None
        self._parser = None
        self._ready_state = ReadyState.CONNECTING
        if error is None and self._ends_at_close and parser.mid_event:
            # A body delimited by the connection's close, cut off with a clean FIN,
            # looks like its end; an event left half-way tells the two apart. (A
            # chunked or sized body that ends mid-event was ended on purpose.)
            error = ConnectionError("the stream ended in the middle of an event")
        self._action = self._session.disconnected(
            error, last_event_id=parser.last_event_id, retry_ms=parser.retry
        )
        parser.close()
