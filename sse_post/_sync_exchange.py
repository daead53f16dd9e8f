"""The blocking driver's exchange: one request at a time on a client, whose owning
thread may be woken from any thread.

The owner sends, reads and closes; anyone else only wakes it (``wake``, under the
source's lock). A blocked HTTP/1.1 read is woken by shutting the socket down, which is
safe because an HTTP/1.1 connection serves only our request until its response is
closed (the owner then closes it, and the pool drops it); an HTTP/2 stream is woken
alone (see ``_httpcore.h2_wake``), since other requests share its connection. Sending
and waiting for the headers run in a worker thread (carrying the caller's contextvars),
so that a connect that cannot be interrupted still lets the owner return at once.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import TYPE_CHECKING, Any

from . import _httpcore as core
from . import _httpx as adapter
from ._sync_support import duplicate, shutdown

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterator, Mapping

    from ._request import Outgoing
    from ._sync_support import Wake

__all__ = ["SyncExchange"]


class Attempt:
    """One request in flight in a worker thread; guarded by the source's lock."""

    __slots__ = ("abandoned", "done", "h2", "outcome", "tcp")

    def __init__(self) -> None:
        self.outcome: Any = None
        self.done = False
        self.abandoned = False
        self.h2: Any = None  # (connection, stream id) once an HTTP/2 stream is opened
        self.tcp: Any = None  # httpcore's stream while the connection is being made


class SyncExchange:
    """The client, the open response and what wakes its owner. ``pending()`` says
    whether the source has been asked to stop what it does (an interrupt's reason)."""

    def __init__(
        self,
        client: Any,
        *,
        owned: bool,
        lock: threading.RLock,
        wake: Wake,
        pending: Callable[[], bool],
    ) -> None:
        self.client, self._owned = client, owned
        # Our own client's connects can be interrupted; a caller's block until they time out.
        self._backend = core.install_backend(client) if owned else None
        self._lock, self._wake, self._pending = lock, wake, pending
        self.response: Any = None
        self.chunks: Iterator[bytes] | None = None
        self._socket: socket.socket | None = None  # shut down to wake the owner
        self._h2: Any = None  # (connection, stream id) of the open HTTP/2 response
        self._attempt: Attempt | None = None  # the request being sent

    def send(self, outgoing: Outgoing, auth: Any, timeout: Any) -> Any:
        """Send in a worker and wait for the response or a wake-up. Returns what the
        flow is told: the response's head (then ``chunks`` reads its body) or the
        transport's failure; ``None`` if the source was interrupted first (what came
        meanwhile is closed). Raises what the send raised if it is no transport failure."""
        attempt = Attempt()
        trace = functools.partial(self._trace, attempt)
        request = adapter.build_request(self.client, outgoing, timeout, trace)
        options = adapter.send_options(auth, outgoing)
        with self._lock:
            self._wake.clear()
            if self._pending():
                return None
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
        if attempt.abandoned or self._pending():
            # Interrupted: whatever came (a failure the interrupt caused, say) is not news.
            if not attempt.abandoned and not isinstance(outcome, BaseException):
                self._abandon(attempt)
            return None
        if isinstance(outcome, BaseException):
            failed = adapter.failure(outcome)
            if failed is None:
                raise outcome
            return failed
        with self._lock:
            self.response, self._h2 = outcome, attempt.h2
            if adapter.is_http2(outcome):
                self._drop_socket()
            elif self._socket is None:
                sock = core.socket_of(outcome)
                self._socket = duplicate(sock) if sock is not None else None
            if self._pending():
                self.wake()
        self.chunks = adapter.body(outcome)
        return adapter.head(outcome)

    def _send_in_worker(self, request: Any, options: dict[str, Any], attempt: Attempt) -> None:
        try:
            outcome: Any = self.client.send(request, **options)
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
        # The owner has moved on: close what came, and tell an HTTP/2 server.
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
                if self._pending():
                    shutdown(self._socket)

    def _drop_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

    def wake(self) -> None:
        """Wake the owner from whatever it is blocked in; under the source's lock."""
        if self._backend is not None:
            self._backend.interrupt()
        # HTTP/1.1: shut the socket down (ours alone, see _trace). HTTP/2: the
        # connection is shared, so only our stream is woken, from a thread of its own
        # since httpcore's locks are not reentrant (we may be in a signal handler of a
        # thread that holds one).
        shutdown(self._socket)
        attempt = self._attempt
        target = self._h2 if self.response is not None else attempt and attempt.h2
        if target is not None:
            threading.Thread(target=core.h2_wake, args=(target,), daemon=True).start()

    def close_response(self) -> None:
        """Close the open response, if any: by the owner, or once nobody iterates."""
        with self._lock:
            response, self.response = self.response, None
            sock, self._socket = self._socket, None
            h2, self._h2 = self._h2, None
        self.chunks = None
        if response is not None:
            if h2 is not None:  # a stream that ended is not reset (h2 refuses)
                core.h2_reset(h2)
            response.close()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        """Close the response, and the client if it is our own (never a caller's)."""
        self.close_response()
        if self._owned:
            self.client.close()
            if self._backend is not None:
                self._backend.close()
