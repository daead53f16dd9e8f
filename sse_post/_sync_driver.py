"""The blocking driver of the stream flow: performs what ``_flow`` asks, decides nothing.

One thread owns a response: the iterating thread opens, reads and closes it; ``close()``,
an abort, the idle watch or ``restart()`` from another thread only *ask*
(``_interrupt``): they set the reason and wake the owner. A blocked HTTP/1.1 read is
woken by shutting the socket down, which is safe because an HTTP/1.1 connection serves
only our request until its response is closed (the owner then closes it, and the pool
drops it); an HTTP/2 stream is woken alone (see ``_httpcore.h2_wake``), since other
requests share its connection. Sending and waiting for the headers run in a worker
thread (carrying the caller's contextvars), so that a connect that cannot be interrupted
still lets the loop end at once.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import TYPE_CHECKING, Any

from . import _httpcore as core
from . import _httpx as adapter
from ._ops import CLOSE, READ, Deliver, Interrupted
from ._source import SourceCore
from ._sync_support import Attempt, Wake, Watch, duplicate, shutdown

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator, Mapping

    from ._abort import AbortSignal
    from ._request import Outgoing

__all__ = ["SyncDriver"]


class SyncDriver(SourceCore):
    """Performs the flow's operations with blocking I/O; see `EventSource`."""

    def _setup(self, client: Any, auth: Any, timeout: Any, signal: AbortSignal | None) -> None:
        self._owns_client = client is None
        self._client: Any = client or adapter.own_client(sync=True)
        # Our own client's connects can be interrupted; a caller's block until they time out.
        self._backend = core.install_backend(self._client) if client is None else None
        self._auth, self._timeout = auth, timeout
        # Reentrant: abort() may run in a signal handler while this thread holds it.
        self._lock = threading.RLock()
        self._wake = Wake(self._lock)
        self._response: Any = None
        self._chunks: Iterator[bytes] | None = None
        self._socket: socket.socket | None = None  # shut down to wake the owner
        self._h2: Any = None  # (connection, stream id) of the open HTTP/2 response
        self._attempt: Attempt | None = None  # the request being sent
        self._owner: int | None = None  # the thread iterating now
        self._closed = threading.Event()
        self._watch: Watch | None = None
        self._unsubscribe = signal._subscribe(self._abort) if signal is not None else None

    def _step(self) -> bool:
        """Run the flow in this thread, which owns the response meanwhile, until it
        delivers (True) or ends (False); clean up if it ended or was stopped."""
        with self._lock:
            if self._owner is not None:
                raise RuntimeError("this EventSource is already being iterated elsewhere")
            self._owner = threading.get_ident()
        try:
            return self._advance()
        finally:
            with self._lock:
                self._owner = None
                if self._reason == "stop":
                    self._finish()

    def _comment(self, comment: Any) -> None:
        assert self._on_comment is not None
        self._on_comment(comment.text)

    def _advance(self) -> bool:
        # Runs the flow until it delivers (True) or ends (False).
        if self._ops is None:
            if self._reason == "stop":
                return False
            self._ops = self._flow.run()
            self._watch = Watch(self) if self._flow.idle_timeout or self._flow.deadline else None
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
        attempt = Attempt()
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
                self._socket = duplicate(sock) if sock is not None else None
            if self._reason is not None:
                self._wake_owner()
        self._chunks = adapter.body(outcome)
        if self._watch is not None:
            self._watch.poke()
        return adapter.head(outcome)

    def _send_in_worker(self, request: Any, options: dict[str, Any], attempt: Attempt) -> None:
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

    def _abandon(self, attempt: Attempt) -> None:
        # The loop has moved on: close what came, and tell an HTTP/2 server.
        if attempt.h2 is not None:
            core.h2_reset(attempt.h2)
        if attempt.outcome is not None and not isinstance(attempt.outcome, BaseException):
            attempt.outcome.close()

    def _trace(self, attempt: Attempt, name: str, info: Mapping[str, Any]) -> None:
        kind, target = core.trace_target(name, info)
        if not kind:
            return
        with self._lock:
            if kind == "tcp":
                attempt.tcp = info.get("return_value")
            else:
                attempt.tcp = None  # the connection is made: httpcore owns its closing
            if attempt.abandoned:
                shutdown(target if kind != "h2" else None)
                return
            self._drop_socket()
            if kind == "h2":
                attempt.h2 = target
            elif target is not None:
                # While connecting, or on an HTTP/1.1 connection carrying our request,
                # the socket is ours alone: an interrupt may shut it down to wake us.
                # A duplicate, since TLS detaches the original object.
                self._socket = duplicate(target)
                if self._reason is not None:
                    shutdown(self._socket)

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
        shutdown(self._socket)
        attempt = self._attempt
        target = self._h2 if self._response is not None else attempt and attempt.h2
        if target is not None:
            threading.Thread(target=core.h2_wake, args=(target,), daemon=True).start()

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
            if h2 is not None:  # a stream that ended is not reset (h2 refuses)
                core.h2_reset(h2)
            response.close()
        if sock is not None:
            sock.close()

    def _finish(self) -> None:
        # Under the lock, by the owner (or by close() when nobody iterates).
        self._end_flow()
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self._close_response()
        if self._owns_client:
            self._client.close()
            if self._backend is not None:
                self._backend.close()
        self._release_signal()
        self._closed.set()


_DELIVERED = object()
