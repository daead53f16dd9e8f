"""``AsyncEventSource``: the async client, on ``httpx.AsyncClient`` (or httpx2's) and anyio,
so it runs on asyncio and trio alike.

The twin of ``_sync_client``, in the same method order. Each step of the iteration runs
in its own ``anyio.CancelScope``, which abort and ``aclose()`` cancel; no scope is held
across the ``return`` of ``__anext__``. An abort from another thread is handed to the
event loop's own thread-safe scheduling rather than touching the scope directly.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import httpx

from ._errors import IdleTimeoutError, ResponseError
from ._httpx import (
    DEFAULT_TIMEOUT,
    EXCERPT_SIZE,
    can_read_raw,
    content_type,
    decode_excerpt,
    ends_at_close,
    is_client_default,
    is_transport_error,
    request_unsent,
    timeout_argument,
)
from ._parser import DEFAULT_MAX_EVENT_SIZE
from ._reconnect import Connect, Raise, ReadyState, Stop, Verdict, Wait, parse_retry_after
from ._source import SourceCore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from types import TracebackType

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._reconnect import ReconnectPolicy
    from ._request import Content, HeaderTypes

__all__ = ["AsyncEventSource"]

_CLEANUP_TIMEOUT = 5.0  # seconds a shielded close may take before it is given up


class AsyncEventSource(SourceCore):
    """Server-sent events from a request with any method, as an async iterator.

    The arguments, attributes and errors are those of `EventSource`, with an
    ``httpx.AsyncClient`` (or httpx2's) as ``client``. Use it as an async context
    manager, or call `aclose`, to release the connection.

    Cancelling the task that iterates (a cancel scope, ``task.cancel()``) propagates as
    usual, is never retried, and closes the connection.
    """

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: HeaderTypes | None = None,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Content | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        signal: AbortSignal | None = None,
        last_event_id: str = "",
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        idle_timeout: float | None = None,
        reconnect: ReconnectPolicy | bool = True,
        on_open: Callable[[httpx.Response], None] | None = None,
        on_reconnect: Callable[[float, BaseException | None], None] | None = None,
    ) -> None:
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
            reconnect=reconnect,
            on_open=on_open,
            on_reconnect=on_reconnect,
        )
        self._owns_client = client is None
        self._client: Any = client or httpx.AsyncClient(
            timeout=DEFAULT_TIMEOUT, follow_redirects=True
        )
        self._timeout = timeout
        self._scope: anyio.CancelScope | None = None  # the running step's scope
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._loop_thread: int | None = None
        self._busy = False  # a task is inside __anext__ and will clean up itself
        self._response: Any = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._connecting_stream: Any = None  # httpcore's, while a connection is made
        self._idle_deadline = 0.0
        self._unsubscribe = signal._subscribe(self._interrupt) if signal is not None else None

    @property
    def response(self) -> httpx.Response | None:
        """The current response (status, headers, final URL, ``num_bytes_downloaded``),
        or ``None`` between connections."""
        return self._response  # type: ignore[no-any-return]

    async def __aenter__(self) -> AsyncEventSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncEventSource:
        return self

    async def __anext__(self) -> ServerSentEvent:
        if self._queue and not self._closing:
            return self._queue.popleft()
        self._busy = True
        try:
            return await self._step()
        finally:
            self._busy = False

    async def aclose(self) -> None:
        """Stop: end the iteration quietly and close the connection.

        Safe to call from another task, at any moment, and more than once; the loop in
        the other task ends at once. From another thread (with its own event loop) it
        only stops the source, whose own loop then closes the connection; an
        `AbortController` does the same without needing a loop.
        """
        self._interrupt()
        if self._loop_thread not in (None, threading.get_ident()):
            return  # another thread's loop: the source's own loop cleans up at its next step
        if not self._busy:
            await self._finish()

    async def _step(self) -> ServerSentEvent:
        if self._token is None:
            self._token = anyio.lowlevel.current_token()
            self._loop_thread = threading.get_ident()
        while True:
            if self._queue and not self._closing:
                return self._queue.popleft()
            if self._closing or self._ready_state is ReadyState.CLOSED:
                await self._finish()
                raise StopAsyncIteration
            with anyio.CancelScope() as scope:
                self._scope = scope
                if self._closing:
                    scope.cancel()
                try:
                    if self._chunks is None:
                        await self._connect()
                    else:
                        await self._read()
                except BaseException:
                    await self._finish()  # an error, our abort, or outside cancellation
                    raise
                finally:
                    self._scope = None

    async def _read(self) -> None:
        assert self._chunks is not None
        while not self._queue:
            try:
                if self._idle_timeout is None:
                    chunk = await self._chunks.__anext__()
                else:
                    with anyio.CancelScope(deadline=self._idle_deadline) as idle_scope:
                        chunk = await self._chunks.__anext__()
                    if idle_scope.cancelled_caught:
                        await self._disconnect(IdleTimeoutError(self._idle_timeout))
                        return
            except StopAsyncIteration:
                await self._disconnect(None)
                return
            except Exception as exc:
                if not is_transport_error(exc):
                    raise
                await self._disconnect(exc)
                return
            self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        assert self._parser is not None
        events = self._parser.feed(chunk)
        if events:
            self._accept(events)
            if self._idle_timeout is not None:
                self._idle_deadline = anyio.current_time() + self._idle_timeout

    async def _connect(self) -> None:
        action = self._action or self._session.start()
        self._action = None
        while not self._closing:
            if isinstance(action, Wait):
                self._waiting(action.seconds)
                await anyio.sleep(action.seconds)
                action = self._session.waited()
            elif isinstance(action, Stop):
                await self._finish()
                return
            elif isinstance(action, Raise):
                raise action.error
            else:
                try:
                    response = await self._send(action)
                except Exception as exc:
                    if not is_transport_error(exc):
                        raise
                    action = self._session.connect_failed(exc, maybe_sent=not request_unsent(exc))
                    continue
                verdict = self._session.response_received(
                    response.status_code, content_type(response)
                )
                if verdict is Verdict.OPEN:
                    self._open(response)
                    return
                error = await self._reject(response)
                if verdict is Verdict.STOP:
                    await self._finish()
                    return
                if verdict is Verdict.REJECT:
                    raise error
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=time.time()
                )
                action = self._session.connect_failed(error, retry_after=retry_after)

    async def _send(self, action: Connect) -> Any:
        spec = self._request
        extra: dict[str, Any] = {}
        if not is_client_default(self._timeout):
            extra["timeout"] = timeout_argument(self._timeout)
        request = self._client.build_request(
            spec.method,
            spec.url,
            params=spec.params,
            headers=spec.headers_for(action.headers),
            json=spec.json,
            data=spec.data,
            content=spec.body_for_attempt(),
            extensions={"trace": self._trace},
            **extra,
        )
        try:
            response = await self._client.send(request, stream=True, follow_redirects=True)
        except Exception:
            self._connecting_stream = None  # httpcore closed it; on cancellation, _finish will
            raise
        self._connecting_stream = None
        return response

    async def _trace(self, name: str, info: Mapping[str, Any]) -> None:
        # httpcore reports each new connection's TCP stream. A cancelled TLS handshake
        # leaves it open in httpcore, so an abort closes it here (in _finish).
        if name.endswith("connect_tcp.complete"):
            self._connecting_stream = info.get("return_value")

    def _open(self, response: Any) -> None:
        self._response = response
        self._opened(response, ends_at_close=ends_at_close(response))
        self._chunks = response.aiter_raw() if can_read_raw(response) else response.aiter_bytes()
        if self._idle_timeout is not None:
            self._idle_deadline = anyio.current_time() + self._idle_timeout

    async def _reject(self, response: Any) -> ResponseError:
        body = b""
        chunks = response.aiter_bytes()
        try:
            async for chunk in chunks:
                body += chunk
                if len(body) >= EXCERPT_SIZE:
                    break
        except Exception as exc:
            if not is_transport_error(exc):
                raise
        finally:
            await _close(response, chunks)
        return ResponseError(
            response.status_code, content_type(response), response.headers, decode_excerpt(body)
        )

    async def _disconnect(self, error: Exception | None) -> None:
        await self._close_response()
        self._ended(error)

    def _interrupt(self) -> None:
        self._closing = True
        scope = self._scope
        if scope is None or self._token is None:
            return  # no step running: the next one sees _closing
        if threading.get_ident() == self._loop_thread:
            scope.cancel()
            return
        token = self._token
        try:
            token.backend_class.run_sync_soon(scope.cancel, (), token.native_token)
        except anyio.RunFinishedError:
            pass  # the loop is gone, and the step with it

    async def _close_response(self) -> None:
        response, self._response = self._response, None
        chunks, self._chunks = self._chunks, None
        if response is not None:
            await _close(response, chunks)

    async def _finish(self) -> None:
        if self._ready_state is ReadyState.CLOSED and self._response is None:
            return
        self._ready_state = ReadyState.CLOSED
        self._closing = True
        self._parser = None
        stream, self._connecting_stream = self._connecting_stream, None
        if stream is not None:
            with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
                await stream.aclose()
        await self._close_response()
        if self._owns_client:
            with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
                await self._client.aclose()
        if self._unsubscribe is not None:
            self._unsubscribe()


async def _close(response: Any, chunks: AsyncIterator[bytes] | None) -> None:
    # httpx iterates through several nested async generators. Merely dropping the outer
    # one would leave the inner ones to the garbage collector, which trio reports as a
    # ResourceWarning; so run the iterator once more inside an already cancelled scope:
    # the cancellation surfaces at the innermost read and unwinds every layer, each
    # closing what it holds. Reading on after aclose() instead would wait for data that
    # never comes on an HTTP/2 stream. Shielded and bounded, since this runs when the
    # task is being cancelled too.
    with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
        if chunks is not None:
            with anyio.CancelScope() as drain:
                drain.cancel()
                try:
                    async for _ in chunks:
                        pass
                except Exception:
                    pass  # a transport error while unwinding: the connection is gone anyway
        await response.aclose()
