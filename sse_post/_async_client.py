"""``AsyncEventSource``: the async client, on ``httpx.AsyncClient`` (or httpx2's) and
anyio, so it runs on asyncio and trio alike.

The public face: arguments, iteration, ``aclose()`` and ``restart()``, the twin of
``_sync_client`` in the same order. The decisions are the stream flow's (``_flow``), the
I/O is the async driver's (``_async_driver``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import httpx

from . import _httpx as adapter
from ._async_driver import AsyncDriver
from ._async_exchange import _CLEANUP_TIMEOUT
from ._checkpoints import cancel_probe, cancellation_point
from ._events import Comment
from ._parser import DEFAULT_MAX_EVENT_SIZE, SPEEDUPS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
    from types import TracebackType

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._policy import ReconnectPolicy
    from ._protocol import StreamProtocol
    from ._redirects import RedirectPolicy
    from ._request import Content, HeaderTypes

__all__ = ["AsyncEventSource"]


class AsyncEventSource(AsyncDriver):
    """Server-sent events from a request with any method, as an async iterator.

    The arguments, attributes and errors are those of `EventSource`, with an
    ``httpx.AsyncClient`` (or httpx2's) as ``client``. Use it as an async context
    manager, or call `aclose`, to release the connection; breaking out of an
    ``async for`` loop closes it too (as soon as the loop's iterator is collected).

    Cancelling the task that iterates (a cancel scope, ``task.cancel()``) propagates as
    usual, is never retried, and closes the connection.
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
        client: httpx.AsyncClient | None = None,
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
        self._checkpoint: Callable[[], Awaitable[None]] = self._first_checkpoint
        self._may_be_cancelled: Callable[[], bool] = _always
        self._unscheduled = 0  # events returned from the queue since the last yield

    @property
    def response(self) -> httpx.Response | None:
        """The current response (status, headers, final URL, ``num_bytes_downloaded``),
        or ``None`` between connections."""
        return self._exchange.response  # type: ignore[no-any-return]

    async def __aenter__(self) -> AsyncEventSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[ServerSentEvent]:
        return _Iterator(self, _SCHEDULE_EVERY)  # type: ignore[no-any-return]

    async def __anext__(self) -> ServerSentEvent:
        # Every call is a cancellation point, also when it returns a queued event, and at
        # least every _SCHEDULE_EVERY calls a schedule point (trio's rule, kept at the
        # cost it can bear: a schedule point is a pass of the scheduler, 9 to 20 us, and
        # every 64 events it was a third of a bulk stream's cost; every network read is
        # one too). The compiled iterator (_Iterator) takes the same steps for a queued
        # event without this coroutine, and calls it for everything else.
        try:
            if self._unscheduled < _SCHEDULE_EVERY:
                if self._may_be_cancelled():
                    await self._checkpoint()
            else:
                self._unscheduled = 0
                await anyio.lowlevel.checkpoint()
        except BaseException:  # cancelled from outside: it propagates, and we close
            self._interrupt("stop")
            await self._finish()
            raise
        queue = self._queue
        while True:
            if queue and self._reason != "stop":
                self._unscheduled += 1
                item = queue.popleft()
                if type(item) is Comment:
                    assert self._on_comment is not None
                    self._on_comment(item.text)
                    continue
                return item  # type: ignore[no-any-return]
            self._unscheduled = 0  # reading yields (or the read was ready: close enough)
            if not await self._step():
                raise StopAsyncIteration

    async def _first_checkpoint(self) -> None:
        self._checkpoint = cancellation_point()
        self._may_be_cancelled = cancel_probe() or self._may_be_cancelled
        await self._checkpoint()

    async def aclose(self) -> None:
        """Stop: end the iteration quietly and close the connection.

        Safe to call from another task or thread, at any moment, and more than once;
        it returns once the connection is closed (5 s at most if the iterating task is
        stuck in the caller's code).
        """
        self._interrupt("stop")
        if not self._busy:
            await self._finish()
        elif threading.get_ident() == self._loop_thread:
            assert self._done is not None
            with anyio.move_on_after(_CLEANUP_TIMEOUT):
                await self._done.wait()
        else:
            await anyio.to_thread.run_sync(self._closed.wait, _CLEANUP_TIMEOUT)

    def restart(self) -> None:
        """Drop the current connection and reconnect at once, as after a drop, sending
        ``Last-Event-ID``. An explicit restart may replay a POST. Any thread or task."""
        self._interrupt("restart")


_SCHEDULE_EVERY = 256
_CLOSING: set[Any] = set()


def _always() -> bool:
    return True


class _PyIterator:
    """What ``async for`` iterates: the source's own ``__anext__``, plus a finaliser, so
    that breaking out of the loop closes the connection on asyncio and trio alike (an
    async generator here would be finalised with a ResourceWarning on trio)."""

    __slots__ = ("__weakref__", "_source")

    def __init__(self, source: AsyncEventSource, every: int) -> None:
        self._source = source

    def __aiter__(self) -> _PyIterator:
        return self

    async def __anext__(self) -> Any:
        # The source's __anext__, with its commonest case first: a queued event, nothing
        # stopped or cancelled, no schedule point due (one coroutine instead of two).
        source = self._source
        queue = source._queue
        if (
            queue
            and source._unscheduled < _SCHEDULE_EVERY
            and source._reason != "stop"
            and not source._may_be_cancelled()
            and type(queue[0]) is not Comment
        ):
            source._unscheduled += 1
            return queue.popleft()
        return await source.__anext__()

    def __del__(self) -> None:
        source = self._source
        if source._ops is None or source._closed.is_set():
            return
        source._interrupt("stop")
        # Dropped mid-stream (a break): close it in the loop, as a task of its own.
        try:
            import asyncio

            task = asyncio.get_running_loop().create_task(source.aclose())
            _CLOSING.add(task)  # the loop holds tasks weakly
            task.add_done_callback(_CLOSING.discard)
        except RuntimeError:
            try:
                import trio

                trio.lowlevel.spawn_system_task(source.aclose)
            except (ImportError, RuntimeError):
                pass  # no loop any more: nothing left to close with


_Iterator: Any = _PyIterator
if SPEEDUPS is not None:
    # The compiled core's iterator returns a queued event without the coroutine of
    # __anext__ (0.3 us of the 0.6 us an event costs on a bulk stream), after the same
    # checks; for everything else it calls __anext__.
    class _CIterator(SPEEDUPS.QueueIterator):  # type: ignore[misc]
        __slots__ = ()
        __doc__ = _PyIterator.__doc__
        __del__ = _PyIterator.__del__

    _Iterator = _CIterator
