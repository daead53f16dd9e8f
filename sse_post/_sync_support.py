"""The blocking driver's helpers: a request in flight, a signal-safe wake-up flag, the
idle and deadline watch, and the socket moves that wake a blocked read."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._sync_driver import SyncDriver

__all__ = ["Attempt", "Wake", "Watch", "duplicate", "shutdown"]


class Attempt:
    """One request in flight in a worker thread; guarded by the source's lock."""

    __slots__ = ("abandoned", "done", "h2", "outcome", "tcp")

    def __init__(self) -> None:
        self.outcome: Any = None
        self.done = False
        self.abandoned = False
        self.h2: Any = None  # (connection, stream id) once an HTTP/2 stream is opened
        self.tcp: Any = None  # httpcore's stream while the connection is being made


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
                if self._source._response is not None:
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
