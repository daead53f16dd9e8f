"""What the sync and async event sources share: arguments, the flow, and what they show.

No I/O here: the drivers (``_sync_driver``, ``_async_driver``) perform the flow's
operations; this class checks the caller's arguments once and answers the questions a
caller may ask of a source (ready state, last event ID, ``retry``, URL, headers).
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from ._flow import StreamFlow
from ._ops import READ
from ._parser import SSEParser
from ._policy import ReadyState, ReconnectPolicy
from ._protocol import StreamProtocol
from ._reconnect import ReconnectSession
from ._redirects import RedirectPolicy
from ._request import RequestSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ._abort import AbortSignal
    from ._request import Content, HeaderTypes

__all__ = ["SourceCore"]

#: What ``interrupt`` may be asked for, strongest first: a stronger reason is never
#: replaced by a weaker one.
_STRENGTH = {"stop": 3, "deadline": 2, "idle": 1, "restart": 1}


class SourceCore:
    """Arguments, flow and state of one event source; see ``EventSource``."""

    def __init__(
        self,
        url: str,
        *,
        method: str,
        headers: HeaderTypes | Callable[[], HeaderTypes] | None,
        params: Any,
        json: Any,
        data: Mapping[str, Any] | None,
        content: Content | None,
        signal: AbortSignal | None,
        last_event_id: str,
        max_event_size: int | None,
        idle_timeout: float | None,
        deadline: float | None,
        reconnect: ReconnectPolicy | bool,
        protocol: StreamProtocol | None,
        redirects: RedirectPolicy | None,
        follow_redirects: bool,
        on_open: Callable[[Any], None] | None,
        on_reconnect: Callable[[float, BaseException | None], None] | None,
        on_comment: Callable[[str], None] | None,
    ) -> None:
        request = RequestSpec.build(
            str(url),
            method=method,
            headers=headers,
            params=params,
            json=json,
            data=data,
            content=content,
            last_event_id=last_event_id,
            accept_json=protocol is not None and protocol.accept_json,
        )
        if isinstance(reconnect, bool):
            policy: ReconnectPolicy | None = ReconnectPolicy() if reconnect else None
        elif isinstance(reconnect, ReconnectPolicy):
            policy = reconnect
        else:
            raise TypeError(
                f"expected reconnect= True, False or a ReconnectPolicy, got {reconnect!r}"
            )
        for name, value in (("idle_timeout", idle_timeout), ("deadline", deadline)):
            if value is not None and not value > 0:
                raise ValueError(f"expected a positive {name} or None, got {value!r}")
        if protocol is not None and not isinstance(protocol, StreamProtocol):
            raise TypeError(f"expected protocol= a StreamProtocol or None, got {protocol!r}")
        if redirects is not None and not isinstance(redirects, RedirectPolicy):
            raise TypeError(f"expected redirects= a RedirectPolicy or None, got {redirects!r}")
        SSEParser(max_event_size=max_event_size)  # checks max_event_size now, not at connect
        session = ReconnectSession(
            method=request.method,
            policy=policy,
            last_event_id=request.last_event_id,
            replayable=request.replayable,
        )
        self._flow = StreamFlow(
            request,
            session,
            protocol=protocol,
            redirects=(redirects or RedirectPolicy()) if follow_redirects else None,
            max_event_size=max_event_size,
            idle_timeout=idle_timeout,
            deadline=deadline,
            comments=on_comment is not None,
            on_open=on_open,
            on_reconnect=on_reconnect,
        )
        self._on_comment = on_comment
        self._signal = signal
        self._queue: collections.deque[Any] = collections.deque()
        self._reason: str | None = None  # why the current operation must end, if it must
        self._ops: Any = None  # the flow's generator, once started
        self._then_read = False  # its last Deliver asked for the next read first
        self._unsubscribe: Callable[[], None] | None = None  # from the signal, once set up

    @property
    def ready_state(self) -> ReadyState:
        """CONNECTING (also while waiting to reconnect), OPEN, or CLOSED."""
        return self._flow.ready_state

    @property
    def url(self) -> str:
        """The URL of the latest response, after redirects; before the first response,
        the URL asked for."""
        return self._flow.url

    @property
    def response_headers(self) -> Mapping[str, str]:
        """The headers (lower-case names) of the latest response, kept after the loop
        ends: an MCP client reads ``mcp-session-id`` here after ``initialize``."""
        return self._flow.response_headers

    @property
    def last_event_id(self) -> str:
        """The last event ID received (or given as ``last_event_id=``); a reconnect sends
        it as ``Last-Event-ID``. Kept after the loop ends, however it ends."""
        return self._flow.last_event_id

    @property
    def retry(self) -> float:
        """The reconnection time in seconds: the server's latest ``retry:``, else the
        reconnect policy's ``initial_delay`` (before backoff and jitter)."""
        return self._flow.retry

    def _interrupt(self, reason: str) -> None:
        raise NotImplementedError  # the driver's: record the reason, wake the owner

    def _abort(self) -> None:
        # The signal's callback: may run in any thread, or in a signal handler.
        self._interrupt("stop")

    def _ask(self, reason: str) -> bool:
        """Record why the current operation must end; False if a stronger reason is
        already there (or the source has finished)."""
        current = self._reason
        if current is not None and _STRENGTH[current] >= _STRENGTH[reason]:
            return current == reason == "restart"
        self._reason = reason
        return True

    def _end_flow(self) -> None:
        # The first steps of finishing, the same in both drivers: the flow is told, its
        # generator closed, queued events dropped.
        self._reason = "stop"
        self._flow.finish()
        ops, self._ops = self._ops, None
        self._then_read = False
        if ops is not None:
            ops.close()
        self._queue.clear()

    def _resume_op(self) -> Any:
        # What a step performs before it resumes the flow: the read its last delivery
        # asked for (READ), or nothing (None).
        op = READ if self._then_read else None
        self._then_read = False
        return op

    def _release_signal(self) -> None:
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _take_reason(self) -> str | None:
        # The flow consumes every reason but "stop", which holds until the end.
        reason = self._reason
        if reason is not None and reason != "stop" and reason != "deadline":
            self._reason = None
        return reason
