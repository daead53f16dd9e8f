"""The blocking driver's helpers: a signal-safe wake-up flag, the
idle and deadline watch, the socket moves that wake a blocked read, and the own client's
interruptible TCP connect (httpcore's blocks in ``socket.create_connection`` until its
timeout, and nobody gets the socket before it is connected; the adapter wraps httpcore's
backend in it)."""

from __future__ import annotations

import errno
import os
import selectors
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._sync_driver import SyncDriver

__all__ = ["InterruptibleBackend", "Wake", "Watch", "duplicate", "shutdown"]


class Wake:
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


class Watch:
    """Interrupts its source when no event came for ``idle_timeout`` s, or when the
    ``deadline`` has passed. One thread per source that has either."""

    def __init__(self, source: SyncDriver) -> None:
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
                if self._source._exchange.response is not None:
                    self._source._interrupt("idle")
                self._next = now + (self._idle or 0)
            wake = min(t for t in (self._end, self._next) if t is not None)
            if self._stopped.wait(max(wake - now, 0.001)):
                return


def duplicate(sock: socket.socket) -> socket.socket:
    # fromfd duplicates the descriptor, for TLS sockets too (whose dup() is refused).
    return socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)


def shutdown(sock: socket.socket | None) -> None:
    # Wakes a recv() blocked in another thread, which close() alone would not.
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never connected


class InterruptibleBackend:
    """A sync network backend (httpcore's, wrapped), but `interrupt` cuts a TCP connect
    short.

    It connects without blocking and waits in a selector on the socket and a wake-up
    socket pair (signal-safe: `interrupt` only sends a byte). Everything else is the
    wrapped backend's. The adapter passes in what a connect returns and raises (its
    stream class and connect errors).
    """

    def __init__(
        self,
        inner: Any,
        *,
        stream: Callable[[socket.socket], Any],
        failed: type[Exception],
        timed_out: type[Exception],
    ) -> None:
        self._inner = inner
        self._stream, self._failed, self._timed_out = stream, failed, timed_out
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        # The pair outlives `close` while a connect waits on it: closing a descriptor
        # drops it from an epoll set without waking the waiter, which would then sit
        # out the whole connect timeout. An RLock: `close` may run in a signal handler.
        self._lock = threading.RLock()
        self._connecting = 0
        self._closed = False

    def interrupt(self) -> None:
        try:
            self._wake_w.send(b"!")
        except OSError:
            pass  # full (an interrupt is pending anyway) or closed

    def reset(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass  # drained

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._connecting:
                self.interrupt()  # the last connect out closes the pair
                return
        self._wake_r.close()
        self._wake_w.close()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        with self._lock:
            if self._closed:
                raise self._failed("the connect was interrupted")
            self._connecting += 1
        try:
            return self._connect(host, port, timeout, local_address, socket_options)
        finally:
            with self._lock:
                self._connecting -= 1
                if self._closed and not self._connecting:
                    self.close()

    def _connect(
        self,
        host: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Any,
    ) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        last: OSError | None = None
        try:
            addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:  # an unknown host, say
            raise self._failed(str(exc)) from exc
        for family, kind, proto, _, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                if local_address is not None:
                    sock.bind((local_address, 0))
                sock.setblocking(False)
                code = sock.connect_ex(address)
                if code == errno.EINPROGRESS:
                    code = self._wait(sock, deadline)
                if code:
                    raise OSError(code, os.strerror(code))
                sock.setblocking(True)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return self._stream(sock)
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:
                sock.close()
                raise
        raise self._failed(str(last or "no address to connect to"))

    def _wait(self, sock: socket.socket, deadline: float | None) -> int:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_WRITE)
            selector.register(self._wake_r, selectors.EVENT_READ)
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            ready = {key.fileobj for key, _ in selector.select(remaining)}
        if self._wake_r in ready:
            raise self._failed("the connect was interrupted")
        if sock not in ready:
            raise self._timed_out("timed out")
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
