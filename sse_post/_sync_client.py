"""``EventSource``: the blocking client, on ``httpx.Client`` (or httpx2's).

A thin driver: it sends, reads, waits and closes, and asks ``SourceCore`` (parser and
reconnect session) what everything means. Its async twin is ``_async_client``; keep
the two in the same method order.

Abort must end a loop blocked anywhere within 100 ms. The reconnect wait is a
``threading.Event`` wait; a read blocked on a silent stream is woken by shutting the
socket down (``response.close()`` from another thread would not wake it); and sending
and waiting for headers runs in a short-lived worker thread, so that an abort while
connecting or waiting for headers ends the loop at once while the worker winds down.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

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
    socket_from_stream,
    socket_of,
    timeout_argument,
)
from ._parser import DEFAULT_MAX_EVENT_SIZE
from ._reconnect import Connect, Raise, ReadyState, Stop, Verdict, Wait, parse_retry_after
from ._source import SourceCore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from types import TracebackType

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._reconnect import ReconnectPolicy
    from ._request import Content, HeaderTypes

__all__ = ["EventSource"]


class EventSource(SourceCore):
    """Server-sent events from a request with any method, as a blocking iterator.

    Iterate it for `ServerSentEvent` objects; use it as a context manager, or call
    `close`, to release the connection. Breaking out of a ``for`` loop closes it.

    Args:
        url: the URL to request.
        method: any HTTP method; ``"GET"`` by default.
        headers: request headers. ``Accept: text/event-stream`` and
            ``Cache-Control: no-cache`` are added unless given; the caller's object is
            never modified.
        params: query parameters, as for httpx.
        json: a JSON body. At most one of ``json``, ``data`` and ``content``.
        data: form fields.
        content: a body: bytes, str, an iterable of bytes, or a zero-argument callable
            returning one, called again on each reconnect. A one-shot iterator is sent
            once; a reconnect that would need it raises `ConnectionLostError`.
        client: an ``httpx.Client`` (or an httpx2 one) to send with; it is not closed.
            Without one, a client is made (following redirects, reads timing out after
            300 s) and closed with the source.
        timeout: ``httpx.Timeout`` or seconds for each request; by default the client's.
        signal: an `AbortSignal`; aborting it ends the iteration quietly.
        last_event_id: resume from this event ID: sent as ``Last-Event-ID`` from the
            first request on.
        max_event_size: bound in bytes on one line or one event's data (see
            `SSEParser`); ``None`` for none.
        idle_timeout: seconds without an event (comments and keep-alives do not count)
            after which the connection counts as dropped; ``None`` to wait forever.
        reconnect: a `ReconnectPolicy`, ``True`` for the default one, or
            ``False`` never to reconnect.
        on_open: called with the response each time a stream opens (status, headers,
            final URL), from the iterating thread, before its first event.
        on_reconnect: called with the delay in seconds and the failure (``None`` after
            a clean end) before each wait to reconnect, from the iterating thread.

    Raises:
        TypeError: more than one body, or an argument of the wrong kind.
        ValueError: an empty method, a bad ``last_event_id``, ``max_event_size`` or
            ``idle_timeout``.

    Iterating raises:
        ResponseError: the server answered with another status than 200, 204 and the
            retryable ones, or with a 200 that is not ``text/event-stream``.
        ConnectionLostError: the stream broke and could not safely be resumed.
        ReconnectError: the reconnect policy gave up.
        EventTooLargeError: the server sent a line or event over ``max_event_size``.
        httpx.HTTPError: a failure that reconnection cannot cure (a bad URL, say), or
            any transport error when ``reconnect=False`` and the first connect fails.
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
        client: httpx.Client | None = None,
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
        self._client: Any = client or httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=True)
        self._timeout = timeout
        self._lock = threading.Lock()  # guards _closing, _socket and _busy across threads
        self._wake = threading.Event()  # set by abort, close and a finished connect
        self._busy = False  # a thread is inside __next__ and will clean up itself
        self._response: Any = None
        self._chunks: Iterator[bytes] | None = None
        self._socket: socket.socket | None = None  # the open response's, to shut down
        self._connecting_socket: socket.socket | None = None  # a dup, while connecting
        self._idle: _IdleWatch | None = None
        self._unsubscribe = signal._subscribe(self._interrupt) if signal is not None else None

    @property
    def response(self) -> httpx.Response | None:
        """The current response (status, headers, final URL, ``num_bytes_downloaded``),
        or ``None`` between connections."""
        return self._response  # type: ignore[no-any-return]

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
        queue = self._queue
        try:
            while True:
                # Events a chunk completed go straight out of the queue: the per-event
                # cost of the loop is a generator resume and a popleft.
                while queue and not self._closing:
                    yield queue.popleft()
                try:
                    event = self.__next__()
                except StopIteration:
                    return
                yield event
        finally:
            self.close()  # also when the loop breaks out

    def __next__(self) -> ServerSentEvent:
        if self._queue and not self._closing:
            return self._queue.popleft()
        with self._lock:
            self._busy = True
        try:
            return self._step()
        finally:
            with self._lock:
                self._busy = False

    def close(self) -> None:
        """Stop: end the iteration quietly and close the connection.

        Safe to call from any thread, at any moment, and more than once. A loop blocked
        in another thread returns within milliseconds.
        """
        self._interrupt()
        with self._lock:
            if self._busy:
                return  # the iterating thread sees _closing and cleans up
        self._finish()

    def _step(self) -> ServerSentEvent:
        while True:
            if self._queue and not self._closing:
                return self._queue.popleft()
            if self._closing or self._ready_state is ReadyState.CLOSED:
                self._finish()
                raise StopIteration
            if self._chunks is None:
                self._connect()
                continue
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._disconnect(None)
                continue
            except Exception as exc:
                if self._closing:
                    continue
                if not is_transport_error(exc):
                    self._finish()
                    raise
                self._disconnect(exc)
                continue
            self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        assert self._parser is not None
        try:
            events = self._parser.feed(chunk)
        except BaseException:
            self._finish()
            raise
        if events:
            self._accept(events)
            if self._idle is not None:
                self._idle.poke()

    def _connect(self) -> None:
        action = self._action or self._session.start()
        self._action = None
        while not self._closing:
            if isinstance(action, Wait):
                self._waiting(action.seconds)
                with self._lock:
                    if self._closing:
                        return
                    self._wake.clear()
                self._wake.wait(action.seconds)
                if self._closing:
                    return
                action = self._session.waited()
            elif isinstance(action, Stop):
                self._finish()
                return
            elif isinstance(action, Raise):
                self._finish()
                raise action.error
            else:
                try:
                    response = self._send(action)
                except Exception as exc:
                    if not is_transport_error(exc):
                        self._finish()
                        raise
                    action = self._session.connect_failed(exc, maybe_sent=not request_unsent(exc))
                    continue
                if response is None:
                    return
                verdict = self._session.response_received(
                    response.status_code, content_type(response)
                )
                if verdict is Verdict.OPEN:
                    self._open(response)
                    return
                error = self._reject(response)
                if verdict is Verdict.STOP:
                    self._finish()
                    return
                if verdict is Verdict.REJECT:
                    self._finish()
                    raise error
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=time.time()
                )
                action = self._session.connect_failed(error, retry_after=retry_after)

    def _send(self, action: Connect) -> Any:
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
        attempt = _Attempt()
        with self._lock:
            if self._closing:
                return None
            self._wake.clear()
        worker = threading.Thread(
            target=self._send_in_worker, args=(request, attempt), daemon=True
        )
        worker.start()
        self._wake.wait()
        with self._lock:
            if attempt.outcome is None:  # aborted first: the worker closes what it gets
                attempt.abandoned = True
                return None
            self._forget_connecting_socket()
        if isinstance(attempt.outcome, BaseException):
            raise attempt.outcome
        return attempt.outcome

    def _send_in_worker(self, request: Any, attempt: _Attempt) -> None:
        try:
            outcome: Any = self._client.send(request, stream=True, follow_redirects=True)
        except BaseException as exc:
            outcome = exc
        with self._lock:
            abandoned = attempt.abandoned
            if not abandoned:
                attempt.outcome = outcome
                self._wake.set()
        if abandoned and not isinstance(outcome, BaseException):
            outcome.close()

    def _trace(self, name: str, info: Mapping[str, Any]) -> None:
        # httpcore reports each new connection's TCP stream: keep a duplicate of its
        # socket, so that an abort during the TLS handshake or while waiting for headers
        # can shut the connection down. A duplicate, because wrapping the socket in TLS
        # detaches the original object from the connection.
        if name.endswith("connect_tcp.complete"):
            sock = socket_from_stream(info.get("return_value"))
            if sock is None:
                return
            with self._lock:
                if self._closing:
                    _shutdown(sock)
                else:
                    self._forget_connecting_socket()
                    self._connecting_socket = sock.dup()

    def _open(self, response: Any) -> None:
        with self._lock:
            self._response = response
            self._socket = socket_of(response)
            if self._closing:
                _shutdown(self._socket)
        self._opened(response, ends_at_close=ends_at_close(response))
        self._chunks = response.iter_raw() if can_read_raw(response) else response.iter_bytes()
        if self._idle_timeout is not None:
            self._idle = _IdleWatch(self._idle_timeout, self._interrupt_read)

    def _reject(self, response: Any) -> ResponseError:
        body = b""
        chunks = response.iter_bytes()
        try:
            for chunk in chunks:
                body += chunk
                if len(body) >= EXCERPT_SIZE:
                    break
        except Exception as exc:
            if not is_transport_error(exc):
                raise
        finally:
            chunks.close()
            response.close()
        return ResponseError(
            response.status_code, content_type(response), response.headers, decode_excerpt(body)
        )

    def _disconnect(self, error: Exception | None) -> None:
        idle, self._idle = self._idle, None
        if idle is not None:
            idle.stop()
            if idle.fired:
                error = IdleTimeoutError(idle.timeout)
        self._close_response()
        try:
            self._ended(error)
        except BaseException:
            self._finish()
            raise

    def _interrupt(self) -> None:
        with self._lock:
            self._closing = True
            self._wake.set()
            _shutdown(self._socket)
            _shutdown(self._connecting_socket)

    def _forget_connecting_socket(self) -> None:
        # Called under the lock.
        if self._connecting_socket is not None:
            self._connecting_socket.close()
            self._connecting_socket = None

    def _interrupt_read(self) -> None:
        with self._lock:
            _shutdown(self._socket)

    def _close_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
            self._socket = None
        chunks, self._chunks = self._chunks, None
        if chunks is not None:
            chunks.close()  # type: ignore[attr-defined]
        if response is not None:
            response.close()

    def _finish(self) -> None:
        with self._lock:
            if self._ready_state is ReadyState.CLOSED and self._response is None:
                return
            self._ready_state = ReadyState.CLOSED
            self._closing = True
            self._wake.set()
        if self._idle is not None:
            self._idle.stop()
            self._idle = None
        self._close_response()
        if self._parser is not None:
            self._parser = None
        with self._lock:
            self._forget_connecting_socket()
        if self._owns_client:
            self._client.close()
        if self._unsubscribe is not None:
            self._unsubscribe()


class _Attempt:
    __slots__ = ("abandoned", "outcome")

    def __init__(self) -> None:
        self.outcome: Any = None
        self.abandoned = False


class _IdleWatch:
    """Calls ``on_idle`` (from its own thread) once no event came for ``timeout`` s."""

    def __init__(self, timeout: float, on_idle: Any) -> None:
        self.timeout = timeout
        self.fired = False
        self._deadline = time.monotonic() + timeout
        self._on_idle = on_idle
        self._stopped = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="sse-post-idle").start()

    def poke(self) -> None:
        self._deadline = time.monotonic() + self.timeout

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while True:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                self.fired = True
                self._on_idle()
                return
            if self._stopped.wait(remaining):
                return


def _shutdown(sock: socket.socket | None) -> None:
    # Wakes a recv() blocked in another thread, which close() alone would not. Called
    # under the source's lock, so the reading thread cannot close the socket meanwhile.
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never connected
