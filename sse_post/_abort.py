"""Abort handles, after the DOM's ``AbortController`` / ``AbortSignal``.

One controller may serve many event sources, sync and async alike, and ``abort()`` may be
called from any thread at any moment, a signal handler included. The sources register
callbacks on the signal; the callbacks must be quick and must not block, since
``abort()`` runs them in the caller's thread.

The lock is reentrant, as trio's entry queue's is: a signal handler runs in the main
thread between two bytecodes, possibly while that thread holds the lock in
``_subscribe``; a plain lock would deadlock there. Subscriptions are keyed by a counter,
not by ``id()`` of the callback: a bound method is a new object each time, and the id of
a dead one may be reused by another.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AbortController", "AbortSignal"]


class AbortSignal:
    """The read-only side of an `AbortController`; pass it as ``signal=``.

    Sources that use it stop as soon as it is aborted: an iteration ends quietly, as
    after ``EventSource.close()``; a source not yet started sends no request at all.
    """

    __slots__ = ("_aborted", "_callbacks", "_keys", "_lock", "_reason")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._aborted = False
        self._reason: object = None
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._keys = itertools.count()

    @property
    def aborted(self) -> bool:
        """Whether `AbortController.abort` has been called."""
        return self._aborted

    @property
    def reason(self) -> object:
        """The ``reason`` given to `AbortController.abort`, or ``None``."""
        return self._reason

    def _subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        # Runs the callback at once if the signal is already aborted. Returns a function
        # that unsubscribes, so that long-lived signals do not keep dead sources alive.
        with self._lock:
            if not self._aborted:
                key = next(self._keys)
                self._callbacks[key] = callback
                return lambda: self._unsubscribe(key)
        callback()
        return _nothing

    def _unsubscribe(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def __repr__(self) -> str:
        state = f"aborted, reason={self._reason!r}" if self._aborted else "not aborted"
        return f"<AbortSignal {state}>"


class AbortController:
    """Aborts every source that was given its `signal`.

    Example::

        controller = AbortController()
        threading.Timer(5, controller.abort).start()
        with EventSource(url, method="POST", json=body, signal=controller.signal) as source:
            for event in source:  # ends quietly once aborted
                ...
    """

    __slots__ = ("_signal",)

    def __init__(self) -> None:
        self._signal = AbortSignal()

    @property
    def signal(self) -> AbortSignal:
        """The signal to pass to sources as ``signal=``."""
        return self._signal

    def abort(self, reason: object = None) -> None:
        """Abort the signal; thread-safe, idempotent and non-blocking, and safe to call
        from a signal handler.

        An aborted controller stays aborted: a Stop button needs a new controller for
        each request.

        Args:
            reason: kept as ``signal.reason`` for whoever needs to know why. Only the
                first call's reason is kept.

        Raises:
            Exception: a subscriber's callback failed; every other callback ran first.
                Several failures come as an ``ExceptionGroup``.
        """
        signal = self._signal
        with signal._lock:
            if signal._aborted:
                return
            signal._aborted = True
            signal._reason = reason
            callbacks = list(signal._callbacks.values())
            signal._callbacks.clear()
        errors: list[Exception] = []
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:  # the others must still run
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("abort callbacks failed", errors)


def _nothing() -> None:
    return None
