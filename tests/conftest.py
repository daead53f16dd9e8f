from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import settings

import sse_post

from .server import ScriptedServer

# Bounded fuzzing in `make test`; `make fuzz` selects the long profile.
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.register_profile("default", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # Pinned rather than left to anyio's default, which silently drops a backend that is
    # not installed: both must run.
    return str(request.param)


@pytest.fixture(scope="session")
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.start()
    yield scripted
    scripted.stop()


@dataclass
class Outcome:
    events: list[sse_post.ServerSentEvent] = field(default_factory=list)
    error: BaseException | None = None
    states: list[sse_post.ReadyState] = field(default_factory=list)
    source: Any = None

    @property
    def data(self) -> list[str]:
        return [e.data for e in self.events]


FAST = sse_post.ReconnectPolicy(initial_delay=0.01, max_delay=0.05, jitter=0.0, min_delay=0.0)


class Runner:
    """Runs one event source to the end in the chosen mode and reports what happened.

    ``mode`` is "sync", "asyncio" or "trio"; ``flavour`` is "httpx" or "httpx2" (the
    caller's own client, from that library). ``on_event(outcome, source)`` runs after
    each event, from the iterating thread or task.
    """

    def __init__(self, mode: str, flavour: str = "httpx") -> None:
        self.mode = mode
        self.flavour = flavour

    @property
    def is_async(self) -> bool:
        return self.mode != "sync"

    def _client(self, follows: bool = False) -> Any:
        if self.flavour == "httpx":
            return None
        import httpx2

        cls = httpx2.AsyncClient if self.is_async else httpx2.Client
        return cls(follow_redirects=follows)

    def __call__(
        self,
        url: str,
        *,
        on_event: Callable[[Outcome, Any], None] | None = None,
        before: Callable[[Any], None] | None = None,
        **options: Any,
    ) -> Outcome:
        options.setdefault("reconnect", False)
        self.follows = options.pop("client_follows", False)
        if self.is_async:
            return anyio.run(self._run_async, url, on_event, before, options, backend=self.mode)
        return self._run_sync(url, on_event, before, options)

    def _run_sync(self, url: str, on_event: Any, before: Any, options: dict[str, Any]) -> Outcome:
        outcome = Outcome()
        client = self._client(self.follows)
        try:
            with sse_post.EventSource(url, client=client, **options) as source:
                outcome.source = source
                if before:
                    before(source)
                try:
                    for event in source:
                        outcome.events.append(event)
                        outcome.states.append(source.ready_state)
                        if on_event:
                            on_event(outcome, source)
                except Exception as exc:
                    outcome.error = exc
        finally:
            if client is not None:
                client.close()
        return outcome

    async def _run_async(
        self, url: str, on_event: Any, before: Any, options: dict[str, Any]
    ) -> Outcome:
        outcome = Outcome()
        client = self._client(self.follows)
        try:
            async with sse_post.AsyncEventSource(url, client=client, **options) as source:
                outcome.source = source
                if before:
                    before(source)
                try:
                    async for event in source:
                        outcome.events.append(event)
                        outcome.states.append(source.ready_state)
                        if on_event:
                            on_event(outcome, source)
                except Exception as exc:
                    outcome.error = exc
        finally:
            if client is not None:
                await client.aclose()
        return outcome


@pytest.fixture(
    params=[
        (mode, flavour) for flavour in ("httpx", "httpx2") for mode in ("sync", "asyncio", "trio")
    ],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def run(request: pytest.FixtureRequest) -> Runner:
    """Runs a source sync, on asyncio and on trio; with our own httpx client, and with
    the caller's client from httpx2."""
    return Runner(*request.param)


def in_thread(fn: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


__all__ = ["FAST", "Outcome", "Runner", "httpx", "in_thread"]
