"""``EventSource``: the blocking driver of the stream flow, on ``httpx.Client`` (or httpx2's).

It performs what the flow (``_flow.py``) asks and decides nothing. One thread owns a
response: the iterating thread opens, reads and closes it; ``close()``, an abort, the
idle watch or ``restart()`` from another thread only *ask* (``_interrupt``): they set the
reason and wake the owner. A blocked HTTP/1.1 read is woken by shutting the socket down,
which is safe because an HTTP/1.1 connection serves only our request until its response
is closed (the owner then closes it, and the pool drops it). Sending and waiting for the
headers run in a worker thread (carrying the caller's contextvars), so that a connect
that cannot be interrupted still lets the loop end at once.
"""

from __future__ import annotations

import contextvars
import functools
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from . import _httpcore as core
from . import _httpx as adapter
from ._events import Comment
from ._ops import CLOSE, READ, Deliver, Interrupted
from ._parser import DEFAULT_MAX_EVENT_SIZE
from ._source import SourceCore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from types import TracebackType

    from ._abort import AbortSignal
    from ._events import ServerSentEvent
    from ._policy import ReconnectPolicy
    from ._protocol import StreamProtocol
    from ._redirects import RedirectPolicy
    from ._request import Content, HeaderTypes, Outgoing

__all__ = ["EventSource"]


class EventSource(SourceCore):
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
        self._owns_client = client is None
        self._client: Any = client or httpx.Client(**adapter.own_client_options())
        # Our own client's connects can be interrupted; a caller's block until they time out.
        self._backend = core.install_backend(self._client) if client is None else None
        self._auth, self._timeout = auth, timeout
        # Reentrant: abort() may run in a signal handler while this thread holds it.
        self._lock = threading.RLock()
        self._wake = _Wake(self._lock)
        self._ops: Any = None  # the flow's generator, once started
        self._response: Any = None
        self._chunks: Iterator[bytes] | None = None
        self._socket: socket.socket | None = None  # shut down to wake the owner
        self._h2: Any = None  # (connection, stream id) of the open HTTP/2 response
        self._attempt: _Attempt | None = None  # the request being sent
        self._owner: int | None = None  # the thread iterating now
        self._closed = threading.Event()
        self._watch: _Watch | None = None
        self._unsubscribe = signal._subscribe(self._abort) if signal is not None else None

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
        try:
            while True:
                yield self.__next__()
        except StopIteration:
            return
        finally:
            self.close()  # also when the loop breaks out

    def __next__(self) -> ServerSentEvent:
        with self._lock:
            if self._owner is not None:
                raise RuntimeError("this EventSource is already being iterated elsewhere")
            self._owner = threading.get_ident()
        try:
            while True:
                if self._queue and self._reason != "stop":
                    item = self._queue.popleft()
                    if type(item) is Comment:
                        assert self._on_comment is not None
                        self._on_comment(item.text)
                        continue
                    return item  # type: ignore[no-any-return]
                if not self._advance():
                    raise StopIteration
        finally:
            with self._lock:
                self._owner = None
                if self._reason == "stop":
                    self._finish()

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

    def _advance(self) -> bool:
        # Runs the flow until it delivers (True) or ends (False).
        if self._ops is None:
            if self._reason == "stop":
                return False
            self._ops = self._flow.run()
            self._watch = _Watch(self) if self._flow.idle_timeout or self._flow.deadline else None
        result: Any = None
        try:
            while True:
                try:
                    op = self._ops.send(result)
                except StopIteration:
                    self._interrupt("stop")
                    return False
                result = self._perform(op)
                if result is _DELIVERED:
                    return True
        except BaseException:
            self._interrupt("stop")  # an error, or KeyboardInterrupt: end and clean up
            raise

    def _perform(self, op: Any) -> Any:
        if op is READ:
            return self._read()
        if type(op) is Deliver:
            self._queue.extend(op.items)
            if self._watch is not None:
                self._watch.poke()
            return _DELIVERED
        if op is CLOSE:
            self._close_response()
            return None
        if hasattr(op, "request"):
            return self._send(op.request)
        return self._wait(op.seconds)

    def _read(self) -> Any:
        reason = self._take_reason()
        if reason is not None:
            return Interrupted(reason)
        try:
            return next(self._chunks, b"")  # type: ignore[arg-type]
        except Exception as exc:
            reason = self._take_reason()
            if reason is not None:
                return Interrupted(reason)
            failed = adapter.failure(exc)
            if failed is None:
                raise
            return failed

    def _wait(self, seconds: float) -> Any:
        with self._lock:
            self._wake.clear()
        reason = self._take_reason()
        if reason is None:
            self._wake.wait(seconds)
            reason = self._take_reason()
        return None if reason is None else Interrupted(reason)

    def _send(self, outgoing: Outgoing) -> Any:
        attempt = _Attempt()
        request = adapter.build_request(
            self._client, outgoing, self._timeout, functools.partial(self._trace, attempt)
        )
        options = adapter.send_options(self._auth, outgoing)
        with self._lock:
            self._wake.clear()
            if self._reason is not None:
                return Interrupted(self._take_reason() or "stop")
            self._attempt = attempt
            if self._backend is not None:
                self._backend.reset()
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._send_in_worker, request, options, attempt), daemon=True
        ).start()
        try:
            self._wake.wait()
        finally:
            with self._lock:
                self._attempt = None
                if not attempt.done:  # interrupted first: the worker closes what it gets
                    attempt.abandoned = True
        outcome = attempt.outcome
        if attempt.abandoned or self._reason is not None:
            # Interrupted: whatever came (a failure the interrupt caused, say) is not news.
            if not attempt.abandoned and not isinstance(outcome, BaseException):
                self._abandon(attempt)
            return Interrupted(self._take_reason() or "stop")
        if isinstance(outcome, BaseException):
            failed = adapter.failure(outcome)
            if failed is None:
                raise outcome
            return failed
        with self._lock:
            self._response, self._h2 = outcome, attempt.h2
            if adapter.is_http2(outcome):
                self._drop_socket()
            elif self._socket is None:
                sock = core.socket_of(outcome)
                self._socket = sock.dup() if sock is not None else None
            if self._reason is not None:
                self._wake_owner()
        self._chunks = adapter.body(outcome)
        if self._watch is not None:
            self._watch.poke()
        return adapter.head(outcome)

    def _send_in_worker(self, request: Any, options: dict[str, Any], attempt: _Attempt) -> None:
        try:
            outcome: Any = self._client.send(request, **options)
        except BaseException as exc:
            outcome = exc
            if attempt.tcp is not None:
                # A connection that failed while being made (an interrupted TLS
                # handshake, say) is left open by httpcore: close it.
                core.close_stream(attempt.tcp)
        with self._lock:
            attempt.outcome, attempt.done = outcome, True
            abandoned = attempt.abandoned
            if not abandoned:
                self._wake.set()
        if abandoned:
            self._abandon(attempt)

    def _abandon(self, attempt: _Attempt) -> None:
        # The loop has moved on: close what came, and tell an HTTP/2 server.
        if attempt.h2 is not None:
            core.h2_reset(attempt.h2)
        if attempt.outcome is not None and not isinstance(attempt.outcome, BaseException):
            attempt.outcome.close()

    def _trace(self, attempt: _Attempt, name: str, info: Mapping[str, Any]) -> None:
        kind, target = core.trace_target(name, info)
        if not kind:
            return
        with self._lock:
            if kind == "tcp":
                attempt.tcp = info.get("return_value")
            else:
                attempt.tcp = None  # the connection is made: httpcore owns its closing
            if attempt.abandoned:
                _shutdown(target if kind != "h2" else None)
                return
            self._drop_socket()
            if kind == "h2":
                attempt.h2 = target
            elif target is not None:
                # While connecting, or on an HTTP/1.1 connection carrying our request,
                # the socket is ours alone: an interrupt may shut it down to wake us.
                # A duplicate, since TLS detaches the original object.
                self._socket = _duplicate(target)
                if self._reason is not None:
                    _shutdown(self._socket)

    def _drop_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

    def _wake_owner(self) -> None:
        if self._backend is not None:
            self._backend.interrupt()
        # Under the lock. HTTP/1.1: shut the socket down (ours alone, see _trace).
        # HTTP/2: the connection is shared, so only our stream is woken, from a thread
        # of its own since httpcore's locks are not reentrant (we may be in a signal
        # handler of a thread that holds one).
        _shutdown(self._socket)
        attempt = self._attempt
        target = self._h2 if self._response is not None else attempt and attempt.h2
        if target is not None:
            threading.Thread(target=core.h2_wake, args=(target,), daemon=True).start()

    def _abort(self) -> None:
        self._interrupt("stop")

    def _interrupt(self, reason: str) -> None:
        with self._lock:
            if not self._ask(reason):
                return
            self._wake.set()
            self._wake_owner()

    def _close_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
            sock, self._socket = self._socket, None
            h2, self._h2 = self._h2, None
        self._chunks = None
        if response is not None:
            if h2 is not None and not response.is_closed:
                core.h2_reset(h2)
            response.close()
        if sock is not None:
            sock.close()

    def _finish(self) -> None:
        # Under the lock, by the owner (or by close() when nobody iterates).
        self._reason = "stop"
        self._flow.finish()
        if self._ops is not None:
            self._ops.close()
        self._ops = None
        self._queue.clear()
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self._close_response()
        if self._owns_client:
            self._client.close()
            if self._backend is not None:
                self._backend.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._closed.set()


class _Attempt:
    """One request in flight in a worker thread; guarded by the source's lock."""

    __slots__ = ("abandoned", "done", "h2", "outcome", "tcp")

    def __init__(self) -> None:
        self.outcome: Any = None
        self.done = False
        self.abandoned = False
        self.h2: Any = None  # (connection, stream id) once an HTTP/2 stream is opened
        self.tcp: Any = None  # httpcore's stream while the connection is being made


class _Wake:
    """A flag to wait on, safe to set from a signal handler: its condition uses the
    source's reentrant lock (a ``threading.Event``'s plain lock could deadlock if the
    handler interrupts the thread inside ``clear()`` or ``wait()``)."""

    __slots__ = ("_cond", "_set")

    def __init__(self, lock: threading.RLock) -> None:
        self._cond = threading.Condition(lock)
        self._set = False

    def set(self) -> None:
        with self._cond:
            self._set = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._set = False

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._set, timeout)


class _Watch:
    """Interrupts its source when no event came for ``idle_timeout`` s, or when the
    ``deadline`` has passed. One thread per source that has either."""

    def __init__(self, source: EventSource) -> None:
        flow = source._flow
        self._source = source
        now = time.monotonic()
        self._idle = flow.idle_timeout
        self._end = now + flow.deadline if flow.deadline else None
        self._next = now + self._idle if self._idle else None
        self._stopped = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="sse-post-watch").start()

    def poke(self) -> None:
        if self._idle:
            self._next = time.monotonic() + self._idle

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while True:
            now = time.monotonic()
            if self._end is not None and now >= self._end:
                self._source._interrupt("deadline")
                return
            if self._next is not None and now >= self._next:
                if self._source._response is not None:
                    self._source._interrupt("idle")
                self._next = now + (self._idle or 0)
            wake = min(t for t in (self._end, self._next) if t is not None)
            if self._stopped.wait(max(wake - now, 0.001)):
                return


_DELIVERED = object()


def _duplicate(sock: socket.socket) -> socket.socket:
    # fromfd duplicates the descriptor, for TLS sockets too (whose dup() is refused).
    return socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)


def _shutdown(sock: socket.socket | None) -> None:
    # Wakes a recv() blocked in another thread, which close() alone would not.
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never connected
