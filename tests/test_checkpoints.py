"""The cancel probes of ``_checkpoints`` against the backend's own cancellation point:
the probe may say yes only where the point would raise, and must say yes wherever it
would (a probe that missed would let ``__anext__`` return a queued event inside a
cancelled scope). Each test runs the pure probes and the compiled core's (the C run is
skipped where the core was not built)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.lowlevel
import pytest

from sse_post import SSEParser, _checkpoints
from sse_post._checkpoints import cancel_probe, cancellation_point
from sse_post._parser import SPEEDUPS

from .parser_impls import BOTH, C_PARSER, core

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True, params=BOTH)
def probes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_checkpoints, "_COMPILED", None if request.param == "python" else core())
    return str(request.param)


def test_the_core_is_in_use_where_the_parser_is_compiled() -> None:
    # The one switch every compiled piece follows (the probes here: _COMPILED).
    assert (SPEEDUPS is not None) is (SSEParser.implementation == "c")


def test_each_implementation_makes_its_own_probe(probes: str, anyio_backend: str) -> None:
    async def kind() -> str:
        probe = cancel_probe()
        return type(probe).__name__

    expected = {"python": "function", "c": f"{anyio_backend.capitalize()}Probe"}[probes]
    assert anyio.run(kind, backend=anyio_backend) == expected


async def _raises(point: Callable[[], object]) -> bool:
    try:
        await point()  # type: ignore[misc]
    except anyio.get_cancelled_exc_class():
        return True
    return False


# (outer cancelled, inner cancelled, inner shielded) -> does the point raise?
CASES = [
    (False, False, False, False),
    (True, False, False, True),
    (False, True, False, True),
    (True, False, True, False),
    (False, True, True, True),
]


@pytest.mark.parametrize(("outer", "inner", "shield", "expected"), CASES)
async def test_probe_agrees_with_the_backends_point(
    outer: bool, inner: bool, shield: bool, expected: bool
) -> None:
    probe = cancel_probe()
    assert probe is not None  # both backends' layouts are known on the versions we test
    with anyio.CancelScope() as outer_scope, anyio.CancelScope(shield=shield) as inner_scope:
        assert probe() is False
        if outer:
            outer_scope.cancel()
        if inner:
            inner_scope.cancel()
        said = probe()
        raised = await _raises(cancellation_point())
        assert (said, raised) == (expected, expected)


async def test_probe_follows_the_task_that_calls_it() -> None:
    # One probe, several tasks: each asks about its own scopes.
    probe = cancel_probe()
    assert probe is not None
    seen: list[bool] = []

    async def cancelled_child() -> None:
        with anyio.CancelScope() as scope:  # noqa: ASYNC100 (only the probe looks in)
            scope.cancel()
            seen.append(probe())

    async def calm_child() -> None:
        seen.append(probe())

    async with anyio.create_task_group() as group:
        group.start_soon(cancelled_child)
    async with anyio.create_task_group() as group:
        group.start_soon(calm_child)
    assert seen == [True, False]
    assert probe() is False


async def test_an_unknown_layout_means_no_probe(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a layout we know, every __anext__ awaits the real point instead.
    if anyio_backend == "asyncio":
        from anyio._backends import _asyncio as backend

        monkeypatch.setattr(backend, "_task_states", {})
    else:
        import trio

        class Task:
            pass

        monkeypatch.setattr(trio.lowlevel, "current_task", Task)
    assert cancel_probe() is None


async def test_trio_probe_sees_a_keyboard_interrupt_pending_for_the_main_task(
    anyio_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # trio delivers a pending KeyboardInterrupt at the main task's next checkpoint.
    if anyio_backend != "trio":
        pytest.skip("trio's own rule")
    import trio

    probe = cancel_probe()
    assert probe is not None
    task = trio.lowlevel.current_task()
    runner = task._runner
    monkeypatch.setattr(runner, "ki_pending", True)
    monkeypatch.setattr(runner, "main_task", object())
    assert probe() is False  # pending for the main task, and this is not it
    monkeypatch.setattr(runner, "main_task", task)
    assert probe() is True
    monkeypatch.setattr(runner, "ki_pending", False)
    assert probe() is False


@pytest.mark.skipif(C_PARSER is None, reason="sse_post._speedups not built")
@pytest.mark.parametrize("name", ["AsyncioProbe", "TrioProbe"])
def test_a_compiled_probe_never_initialised_raises(name: str) -> None:
    kind = getattr(core(), name)
    probe = kind.__new__(kind)
    with pytest.raises(RuntimeError, match="not initialised"):
        probe()
