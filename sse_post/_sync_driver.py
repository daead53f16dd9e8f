"""The blocking driver of the stream flow: performs what ``_flow`` asks, decides nothing.

One thread owns a response: the iterating thread opens, reads and closes it (through its
``SyncExchange``, which also knows how to wake it); ``close()``, an abort, the idle watch
or ``restart()`` from another thread only *ask* (``_interrupt``): they set the reason
and wake the owner, which then ends what it was doing as an ``Interrupted`` result for
the flow.
"""

from __future__ import annotations

import threading
from threading import get_ident
from typing import TYPE_CHECKING, Any

from . import _httpx as adapter
from ._ops import CLOSE, READ, Deliver, Interrupted
from ._source import SourceCore
from ._sync_exchange import SyncExchange
from ._sync_support import Wake, Watch

if TYPE_CHECKING:
    from ._abort import AbortSignal
    from ._request import Outgoing

__all__ = ["SyncDriver"]


class SyncDriver(SourceCore):
    """Performs the flow's operations with blocking I/O; see `EventSource`."""

    def _setup(self, client: Any, auth: Any, timeout: Any, signal: AbortSignal | None) -> None:
        self._auth, self._timeout = auth, timeout
        # Reentrant: abort() may run in a signal handler while this thread holds it.
        self._lock = threading.RLock()
        self._wake = Wake(self._lock)
        self._exchange = SyncExchange(
            client or adapter.own_client(sync=True),
            owned=client is None,
            lock=self._lock,
            wake=self._wake,
            pending=lambda: self._reason is not None,
        )
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
            self._owner = get_ident()
        try:
            if self._ops is None:
                if self._reason == "stop":
                    return False
                flow = self._flow
                self._ops = flow.run()
                self._watch = Watch(self) if flow.idle_timeout or flow.deadline else None
            ops = self._ops
            result: Any = None
            op = self._resume_op()
            while True:
                if op is None:
                    try:
                        op = ops.send(result)
                    except StopIteration:
                        self._interrupt("stop")
                        return False
                # A read and a delivery, once per event on a live stream, inline.
                if op is READ:
                    if self._reason is not None:
                        result = Interrupted(self._take_reason() or "stop")
                    else:
                        try:
                            result = next(self._exchange.chunks, b"")  # type: ignore[arg-type]
                        except Exception as exc:
                            result = self._read_failed(exc)
                elif type(op) is Deliver:
                    self._queue.extend(op.items)
                    self._then_read = op.then_read
                    if self._watch is not None:
                        self._watch.poke()
                    return True
                else:
                    result = self._perform(op)
                op = None
        except BaseException:
            self._interrupt("stop")  # an error, or KeyboardInterrupt: end and clean up
            raise
        finally:
            with self._lock:
                self._owner = None
                if self._reason == "stop":
                    self._finish()

    def _comment(self, comment: Any) -> None:
        assert self._on_comment is not None
        self._on_comment(comment.text)

    def _perform(self, op: Any) -> Any:
        if op is CLOSE:
            self._exchange.close_response()
            return None
        if hasattr(op, "request"):
            return self._send(op.request)
        return self._wait(op.seconds)

    def _read_failed(self, exc: Exception) -> Any:
        # In the except clause of a read: the error an interrupt caused (it shut the
        # socket down) is that interrupt; a transport's failure is the flow's to judge.
        reason = self._take_reason()
        if reason is not None:
            return Interrupted(reason)
        failed = adapter.failure(exc)
        if failed is None:
            raise  # the read's exception, which the caller's except clause is handling
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
        result = self._exchange.send(outgoing, self._auth, self._timeout)
        if result is None:
            return Interrupted(self._take_reason() or "stop")
        if self._watch is not None:
            self._watch.poke()
        return result

    def _interrupt(self, reason: str) -> None:
        with self._lock:
            if not self._ask(reason):
                return
            self._wake.set()
            self._exchange.wake()

    def _finish(self) -> None:
        # Under the lock, by the owner (or by close() when nobody iterates).
        self._end_flow()
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self._exchange.close()
        self._release_signal()
        self._closed.set()
