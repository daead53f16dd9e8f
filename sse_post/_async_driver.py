"""The async driver of the stream flow, on anyio (asyncio and trio): performs what
``_flow`` asks, decides nothing.

The task that iterates owns the response (through its ``AsyncExchange``). An operation
that may block runs in a cancel scope of its own (never held across the return of
``__anext__``), which ``aclose()``, an abort, ``restart()``, the idle timeout and the
deadline cancel; the cancelled operation becomes an ``Interrupted`` result for the flow.
The live path, an HTTP/1.1 body with no timer, is read without a scope: an interrupt
shuts its socket down instead. An interrupt from another thread reaches the event loop
through its own public thread-safe call (``loop.call_soon_threadsafe``,
``TrioToken.run_sync_soon``).

It is longer than the sync driver (about 200 lines to 150) because the timers are its
own: the deadline and the idle timeout are the cancel scope's deadline here, where the
sync driver hands them to a watch thread (``_sync_support.Watch``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import anyio

from . import _httpx as adapter
from ._async_exchange import AsyncExchange
from ._ops import CLOSE, READ, Deliver, Interrupted
from ._source import SourceCore
from ._sync_support import shutdown

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._abort import AbortSignal
    from ._request import Outgoing

__all__ = ["AsyncDriver"]


class AsyncDriver(SourceCore):
    """Performs the flow's operations on anyio; see `AsyncEventSource`."""

    def _setup(self, client: Any, auth: Any, timeout: Any, signal: AbortSignal | None) -> None:
        self._exchange = AsyncExchange(
            client or adapter.own_client(sync=False), owned=client is None
        )
        self._auth, self._timeout = auth, timeout
        self._lock = threading.RLock()  # abort() may come from any thread, or a signal
        self._busy = False
        self._scope: anyio.CancelScope | None = None
        self._loop_thread: int | None = None
        self._call_soon: Callable[[Callable[[], object]], object] | None = None
        self._end_at: float | None = None
        self._idle_at: float | None = None
        self._closed = threading.Event()
        self._done: anyio.Event | None = None  # set with _closed, for tasks of the loop
        self._unsubscribe = signal._subscribe(self._abort) if signal is not None else None

    async def _step(self) -> bool:
        """Run the flow in this task, which owns the response meanwhile, until it
        delivers (True) or ends (False); clean up if it ended or was stopped."""
        if self._busy:
            raise RuntimeError("this AsyncEventSource is already being iterated elsewhere")
        self._busy = True
        try:
            if self._ops is None:
                self._start()
            ops, result = self._ops, None
            op = self._resume_op()
            while True:
                if op is None:
                    try:
                        op = ops.send(result)
                    except StopIteration:
                        self._interrupt("stop")
                        return False
                if op is READ and self._exchange.socket is not None:
                    result = await self._read(None)
                elif type(op) is Deliver:
                    self._queue.extend(op.items)
                    self._then_read = op.then_read
                    if self._flow.idle_timeout is not None:
                        self._idle_at = anyio.current_time() + self._flow.idle_timeout
                    return True
                elif op is CLOSE:
                    await self._exchange.close_response()
                    result = None
                else:
                    result = await self._scoped(op)
                op = None
        except BaseException:
            self._interrupt("stop")
            raise
        finally:
            self._busy = False
            if self._reason == "stop":
                await self._finish()

    async def _scoped(self, op: Any) -> Any:
        # One operation in a cancel scope of its own, which an interrupt, the deadline or
        # the idle timeout cancels; never held across the return of __anext__.
        with anyio.CancelScope(deadline=self._end_at or float("inf")) as scope:
            self._scope = scope
            try:
                if self._reason is not None:
                    return Interrupted(self._take_reason() or "stop")
                if op is READ:
                    return await self._read(scope)
                if hasattr(op, "request"):
                    return await self._send(op.request)
                await anyio.sleep(op.seconds)
                return None
            finally:
                self._scope = None
        # Cancelled by an interrupt (its reason says which) or by a deadline.
        reason = self._take_reason()
        if reason is None:
            past_end = self._end_at is not None and anyio.current_time() >= self._end_at
            reason = "deadline" if past_end else "idle"
        return Interrupted(reason)

    def _start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._done = anyio.Event()
        try:
            import asyncio

            self._call_soon = asyncio.get_running_loop().call_soon_threadsafe
        except RuntimeError:
            import trio

            self._call_soon = trio.lowlevel.current_trio_token().run_sync_soon
        flow = self._flow
        if flow.deadline is not None:
            self._end_at = anyio.current_time() + flow.deadline
        self._ops = flow.run()

    async def _read(self, scope: anyio.CancelScope | None) -> Any:
        # Without a scope, the live path: an HTTP/1.1 body with no timer to watch is read
        # without a cancel scope (3 us on asyncio, 5 us on trio, per chunk). An interrupt
        # wakes it by shutting the socket down instead, as the sync driver does: the
        # connection serves only this request until its response is closed, here.
        if self._reason is not None:
            return Interrupted(self._take_reason() or "stop")
        if scope is not None and self._idle_at is not None:
            scope.deadline = min(self._idle_at, self._end_at or float("inf"))
        try:
            chunk = await self._exchange.chunks.__anext__()  # type: ignore[union-attr]
        except StopAsyncIteration:
            chunk = b""
        except Exception as exc:
            if scope is None and self._reason is not None:
                return Interrupted(self._take_reason() or "stop")  # the error we caused
            failed = adapter.failure(exc)
            if failed is None:
                raise
            return failed
        finally:
            if scope is not None:
                scope.deadline = self._end_at or float("inf")
        if not chunk and scope is None and self._reason is not None:
            return Interrupted(self._take_reason() or "stop")  # the end we caused
        return chunk

    async def _send(self, outgoing: Outgoing) -> Any:
        flow = self._flow
        live = flow.idle_timeout is None and flow.deadline is None
        result = await self._exchange.send(outgoing, self._auth, self._timeout, unscoped=live)
        if self._exchange.response is not None and flow.idle_timeout is not None:
            self._idle_at = anyio.current_time() + flow.idle_timeout
        return result

    def _interrupt(self, reason: str) -> None:
        with self._lock:
            if not self._ask(reason):
                return
            call_soon = self._call_soon
            shutdown(self._exchange.socket)
        if threading.get_ident() == self._loop_thread:
            self._cancel_pending()
        elif call_soon is not None:
            try:
                call_soon(self._cancel_pending)
            except RuntimeError:
                pass  # the loop is gone, and the step with it

    def _cancel_pending(self) -> None:
        # In the loop's thread: cancel the running step if the reason is still pending
        # (the step may have taken it meanwhile; a stale cancel would cut the next one).
        scope = self._scope
        if scope is not None and self._reason is not None:
            scope.cancel()

    async def _finish(self) -> None:
        if self._closed.is_set():
            return
        self._end_flow()
        await self._exchange.aclose()
        self._release_signal()
        self._closed.set()
        if self._done is not None:
            self._done.set()
