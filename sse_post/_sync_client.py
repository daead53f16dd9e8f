"""``EventSource``: the blocking client, on ``httpx.Client`` (or httpx2's).

The public face: arguments, iteration, ``close()`` and ``restart()``. The decisions are
the stream flow's (``_flow``), the I/O is the blocking driver's (``_sync_driver``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import httpx

from . import _httpx as adapter
from ._events import Comment
from ._parser import DEFAULT_MAX_EVENT_SIZE, SPEEDUPS
from ._sync_driver import SyncDriver

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from types import TracebackType

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._policy import ReconnectPolicy
    from ._protocol import StreamProtocol
    from ._redirects import RedirectPolicy
    from ._request import Content, HeaderTypes

__all__ = ["EventSource"]


class EventSource(SyncDriver):
    """Server-sent events from a request with any method, as a blocking iterator.

    Iterate it for `ServerSentEvent` objects; use it as a context manager, or call
    `close`, to release the connection. Breaking out of a ``for`` loop closes it.

    Args:
        url: the absolute ``http``/``https`` URL to request.
        method: any HTTP method; ``"GET"`` by default.
        headers: request headers, or a zero-argument callable returning them, called
            for every attempt (fresh credentials). ``Accept: text/event-stream`` and
            ``Cache-Control: no-cache`` are added unless given; the caller's object is
            never modified.
        params: query parameters, as for httpx.
        json: a JSON body. At most one of ``json``, ``data`` and ``content``.
        data: form fields.
        content: a body: bytes, str, an iterable of bytes, or a zero-argument callable
            returning one, called again on each reconnect. A one-shot iterator is sent
            once; a reconnect that would need it raises `ConnectionLostError`.
        client: an ``httpx.Client`` (or an httpx2 one) to send with; it is not closed,
            and its ``follow_redirects``, event hooks and auth are honoured. Without one,
            a client is made (following redirects, reads timing out after 300 s).
        auth: an ``httpx.Auth`` (or httpx2's) run on every attempt, for example to
            refresh a token on 401; by default the client's.
        timeout: ``httpx.Timeout`` or seconds for each request; by default the client's.
        signal: an `AbortSignal`; aborting it ends the iteration quietly.
        last_event_id: resume from this event ID: sent as ``Last-Event-ID`` from the
            first request on.
        max_event_size: bound in bytes on one line or one event's data (see
            `SSEParser`); ``None`` for none.
        idle_timeout: seconds without an event (comments and keep-alives do not count)
            after which the connection counts as dropped; ``None`` to wait forever.
        deadline: seconds for the whole iteration, reconnects included; past it the
            loop raises `DeadlineExceededError`.
        reconnect: a `ReconnectPolicy`, ``True`` for the default one, or ``False`` never
            to reconnect.
        protocol: a `StreamProtocol` (see ``sse_post.protocols``): end and error events,
            JSON answers, resume.
        redirects: a `RedirectPolicy` for the redirects the client follows.
        on_open: called with the response each time a stream opens (status, headers,
            final URL), from the iterating thread, before its first event.
        on_reconnect: called with the delay in seconds and the failure (``None`` after
            a clean end) before each wait to reconnect, from the iterating thread.
        on_comment: called with each comment's text (``:hi`` gives ``"hi"``), from the
            iterating thread, in stream order with the events.

    Raises:
        TypeError: more than one body, or an argument of the wrong kind.
        ValueError: a URL that is not absolute http(s), an empty method, a bad
            ``last_event_id``, ``max_event_size``, ``idle_timeout`` or ``deadline``.

    Iterating raises (every one an `SSEError`):
        ResponseError: the server answered with another status than 200, 202, 204 and
            the retryable ones, or with a 200 that is not ``text/event-stream``.
        NetworkError: the server could not be reached and the request is not retried.
        ConnectionLostError: the stream broke and could not safely be resumed
            (`IncompleteStreamError`: before the protocol's end event).
        ReconnectError: the reconnect policy gave up.
        ServerEventError: the protocol's error rule matched an event.
        EventTooLargeError: the server sent a line or event over ``max_event_size``.
        DeadlineExceededError: ``deadline`` passed.
        RedirectError: a redirect that is not followed.
    """

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: HeaderTypes | Callable[[], HeaderTypes] | None = None,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Content | None = None,
        client: httpx.Client | None = None,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        signal: AbortSignal | None = None,
        last_event_id: str = "",
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        reconnect: ReconnectPolicy | bool = True,
        protocol: StreamProtocol | None = None,
        redirects: RedirectPolicy | None = None,
        on_open: Callable[[httpx.Response], None] | None = None,
        on_reconnect: Callable[[float, BaseException | None], None] | None = None,
        on_comment: Callable[[str], None] | None = None,
    ) -> None:
        adapter.check_url(str(url), client)
        super().__init__(
            url,
            method=method,
            headers=headers,
            params=params,
            json=json,
            data=data,
            content=content,
            signal=signal,
            last_event_id=last_event_id,
            max_event_size=max_event_size,
            idle_timeout=idle_timeout,
            deadline=deadline,
            reconnect=reconnect,
            protocol=protocol,
            redirects=redirects,
            follow_redirects=client is None or adapter.follows_redirects(client),
            on_open=on_open,
            on_reconnect=on_reconnect,
            on_comment=on_comment,
        )
        self._setup(client, auth, timeout, signal)

    @property
    def response(self) -> httpx.Response | None:
        """The current response (status, headers, final URL, ``num_bytes_downloaded``),
        or ``None`` between connections."""
        return self._exchange.response  # type: ignore[no-any-return]

    def __enter__(self) -> EventSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[ServerSentEvent]:
        return _iterate(self)  # type: ignore[no-any-return]

    def __next__(self) -> ServerSentEvent:
        queue = self._queue
        while True:
            if queue and self._reason != "stop":
                item = queue.popleft()
                if type(item) is Comment:
                    self._comment(item)
                    continue
                return item  # type: ignore[no-any-return]
            if not self._step():
                raise StopIteration

    def close(self) -> None:
        """Stop: end the iteration quietly and close the connection.

        Safe to call from any thread, at any moment, and more than once. From another
        thread it returns once the iterating thread has closed the connection (it wakes
        within milliseconds), or after 5 s if that thread is stuck in the caller's code.
        """
        self._interrupt("stop")
        with self._lock:
            owner = self._owner
            if owner is None:
                self._finish()
                return
        if owner != threading.get_ident():
            self._closed.wait(5.0)

    def restart(self) -> None:
        """Drop the current connection and reconnect at once, as after a drop, sending
        ``Last-Event-ID``. An explicit restart may replay a POST. Any thread."""
        self._interrupt("restart")


def _py_iterate(source: EventSource) -> Iterator[ServerSentEvent]:
    # Events a chunk completed leave straight from the queue: per event, a check of the
    # stop reason and a popleft; the thread takes ownership once per chunk.
    queue = source._queue
    try:
        while True:
            while queue and source._reason != "stop":
                item = queue.popleft()
                if type(item) is Comment:
                    source._comment(item)
                    continue
                yield item
            if not source._step():
                return
    finally:
        source.close()  # also when the loop breaks out


# With the compiled core, its iterator: the generator's steps without its frame.
_iterate: Any = _py_iterate if SPEEDUPS is None else SPEEDUPS.SyncQueueIterator
