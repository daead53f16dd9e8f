"""The cancellation point of every ``AsyncEventSource.__anext__`` (point 7 of issue 10:
also when it returns a queued event), made cheap: a bulk stream pays it per event. The
backend's own checkpoint, found once, and a synchronous probe that says when it could
raise, so that the common call (nothing cancelled) awaits nothing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from ._parser import SPEEDUPS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["cancel_probe", "cancellation_point"]


def cancellation_point() -> Callable[[], Awaitable[None]]:
    """The cheapest exact cancellation point of the running backend: trio's own; on
    asyncio anyio's backend method (1.1 us), found once, rather than through the public
    ``anyio.lowlevel`` function, which looks the backend up on every call (1.9 us)."""
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        return trio.lowlevel.checkpoint_if_cancelled
    try:
        from anyio._core._eventloop import get_async_backend

        method: Callable[[], Awaitable[None]] = get_async_backend().checkpoint_if_cancelled
    except (ImportError, AttributeError):  # a layout we do not know: the public way
        return anyio.lowlevel.checkpoint_if_cancelled
    return method


def cancel_probe() -> Callable[[], bool] | None:
    """A cheap test of whether the backend's cancellation point could raise, or
    ``None`` (then every call awaits the point). On trio, what its
    ``checkpoint_if_cancelled`` tests, without the coroutine (0.33 us to 0.1 us): the
    task's cancel status and a KeyboardInterrupt pending for the main task.

    On asyncio, whether anyio's checkpoint could raise: the walk of its
    ``checkpoint_if_cancelled`` over the scopes around the task, without a coroutine and
    with the task's anyio state looked up once per task (anyio keeps one state object
    for a task's life). It cuts the cancellation point that point 7 of issue 10 puts in
    every ``__anext__`` from 1.35 us to about 0.4 us per event of a bulk stream. It reads
    anyio's private task states, so it is used only where their layout is the one we
    know (the suite runs it on the lowest anyio declared and the newest); else ``None``,
    and every call awaits the checkpoint. A yes still goes through the real checkpoint,
    so a probe that misreads can only make a call slower, or miss a cancellation that
    the next read (a real checkpoint) delivers."""
    try:
        import asyncio
        import weakref

        from anyio._backends import _asyncio as backend

        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _trio_probe()
    except ImportError:
        return None
    try:
        states = backend._task_states
        scope = anyio.CancelScope()
        if (
            not isinstance(states, weakref.WeakKeyDictionary)
            or not all(
                isinstance(getattr(scope, name, None), kind)
                for name, kind in (("_cancel_called", bool), ("_shield", bool))
            )
            or not hasattr(scope, "_parent_scope")
        ):
            return None
        table = states.data  # type: ignore[attr-defined]
    except (ImportError, AttributeError, RuntimeError):
        return None
    # The loop is the source's (one source, one loop), found once: looking it up
    # costs a getpid() system call on every call in CPython's C accelerator.
    ref, current_task = weakref.ref, asyncio.current_task
    tasks = getattr(asyncio.tasks, "_current_tasks", None)
    if sys.version_info >= (3, 12) or not isinstance(tasks, dict):
        tasks = None  # current_task is C from 3.12 on
    known: Any = None  # the last task seen, and its anyio state
    known_state: Any = None

    def may_be_cancelled() -> bool:
        nonlocal known, known_state
        task = current_task(loop) if tasks is None else tasks.get(loop)
        if task is known:
            state = known_state
        else:
            state = table.get(ref(task))
            if state is None:
                return False  # no anyio scope around this task (yet: not kept)
            known, known_state = task, state
        scope = state.cancel_scope
        # The slots behind the public properties: a property call per scope would
        # double the cost, and the walk runs once per event.
        while scope is not None:
            if scope._cancel_called:
                return True
            if scope._shield:
                return False
            scope = scope._parent_scope
        return False

    if _COMPILED is not None:  # the same reads, without a frame per event
        return _COMPILED.AsyncioProbe(loop, tasks, current_task, table)  # type: ignore[no-any-return]
    return may_be_cancelled


def _trio_probe() -> Callable[[], bool] | None:
    import trio

    try:
        from trio._core._run import GLOBAL_RUN_CONTEXT as context

        task: Any = trio.lowlevel.current_task()
        runner = task._runner
        if (
            context.task is not task
            or not isinstance(task._cancel_status.effectively_cancelled, bool)
            or not isinstance(runner.ki_pending, bool)
        ):
            return None
    except (ImportError, AttributeError):
        return None

    def may_be_cancelled() -> bool:
        # The running task as trio.lowlevel.current_task() finds it, without its frame.
        task: Any = context.task
        return bool(
            task._cancel_status.effectively_cancelled
            or (task is runner.main_task and runner.ki_pending)
        )

    if _COMPILED is not None:  # the same reads, without a frame per event
        return _COMPILED.TrioProbe(context, runner)  # type: ignore[no-any-return]
    return may_be_cancelled


# The compiled core's probes, where it is in use.
_COMPILED: Any = SPEEDUPS
