"""One event source, run to its end by the sync or an async driver in a thread of its own,
and stopped from outside: the runner of the behaviour table (``test_behaviour.py``).

A broken stop shows as a thread still alive after a bound, never as a hung suite. Every
time is taken with ``time.monotonic()`` right where it happens: ``t_stop`` just before
the stop call, ``t_returned`` just after it returns, ``t_end`` when the loop ends.

Ways to stop:
- ``abort``: ``AbortController.abort()``; sync from the test thread, async from another
  task of the source's event loop;
- ``abort-thread``: an async source aborted from a plain thread (the test thread);
- ``close``: ``close()`` from the test thread, or ``aclose()`` from another task;
- ``idle``: nobody stops it; ``idle_timeout`` must.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

import sse_post

BOUND = 3.0  # seconds a loop may take to end before the cell counts it as hung


def make_client(flavour: str, http: str, is_async: bool, **options: Any) -> Any:
    """The caller's own client: httpx or httpx2, HTTP/1.1 or HTTP/2 (h2c with prior
    knowledge), with one connection at most, so a slot left taken shows."""
    lib = importlib.import_module(flavour)
    cls = lib.AsyncClient if is_async else lib.Client
    options.setdefault("limits", lib.Limits(max_connections=1))
    return cls(http1=http == "h1", http2=http == "h2", **options)


class Run:
    def __init__(
        self,
        driver: str,
        url: str,
        *,
        flavour: str = "own",
        http: str = "h1",
        way: str = "abort",
        warm_url: str | None = None,
        ok_url: str | None = None,
        **options: Any,
    ) -> None:
        self.driver, self.url, self.flavour, self.http, self.way = driver, url, flavour, http, way
        self.warm_url, self.ok_url = warm_url, ok_url
        self.controller = sse_post.AbortController()
        options.setdefault("reconnect", False)
        self.reconnecting = threading.Event()
        options["on_reconnect"] = lambda delay, error: self.reconnecting.set()
        self.options = options
        self.ready = threading.Event()  # the source exists and is being iterated
        self.first = threading.Event()  # the first event was delivered
        self.events: list[sse_post.ServerSentEvent] = []
        self.error: BaseException | None = None
        self.source: Any = None
        self.pool: object = None  # the status of a request after the loop, or its error
        self.t_first: float | None = None
        self.t_stop: float | None = None
        self.t_returned: float | None = None
        self.t_end: float | None = None
        self._token: Any = None
        self._stop_event: Any = None
        target = self._sync if driver == "sync" else self._async_thread
        self.thread = threading.Thread(target=target, daemon=True, name=f"drive-{driver}")

    def start(self) -> Run:
        self.thread.start()
        assert self.ready.wait(BOUND), "the source did not start"
        return self

    def stop(self) -> None:
        """Stop the source as ``way`` says; returns once the stop call returned."""
        if self.way == "idle":
            return
        if self.driver == "sync" or self.way == "abort-thread":
            self.t_stop = time.monotonic()
            if self.way == "close":
                self.source.close()
            else:
                self.controller.abort()
            self.t_returned = time.monotonic()
            return
        try:
            anyio.from_thread.run_sync(self._stop_event.set, token=self._token)
        except anyio.RunFinishedError:
            return  # the loop ended already: the cell reports it

    def join(self) -> bool:
        self.thread.join(BOUND)
        return not self.thread.is_alive()

    def _client(self, is_async: bool) -> Any:
        if self.flavour == "own":
            return None
        return make_client(self.flavour, self.http, is_async)

    def _delivered(self, event: sse_post.ServerSentEvent) -> None:
        self.events.append(event)
        if self.t_first is None:
            self.t_first = time.monotonic()
            self.first.set()

    # --- sync -----------------------------------------------------------------------
    def _sync(self) -> None:
        client = self._client(is_async=False)
        try:
            if self.warm_url:
                client.get(self.warm_url).raise_for_status()
            with sse_post.EventSource(
                self.url, client=client, signal=self.controller.signal, **self.options
            ) as source:
                self.source = source
                self.ready.set()
                try:
                    for event in source:
                        self._delivered(event)
                except Exception as exc:
                    self.error = exc
                self.t_end = time.monotonic()
            if client is not None and self.ok_url:
                self.pool = self._next_request_sync(client)
        finally:
            self.ready.set()
            if client is not None:
                client.close()

    def _next_request_sync(self, client: Any) -> object:
        timeout = type(client.timeout)(5.0, pool=1.0)
        try:
            return client.get(self.ok_url, timeout=timeout).status_code
        except Exception as exc:
            return exc

    # --- async ----------------------------------------------------------------------
    def _async_thread(self) -> None:
        try:
            anyio.run(self._async, backend=self.driver)
        finally:
            self.ready.set()

    async def _async(self) -> None:
        self._token = anyio.lowlevel.current_token()
        self._stop_event = anyio.Event()
        client = self._client(is_async=True)
        try:
            if self.warm_url:
                (await client.get(self.warm_url)).raise_for_status()
            async with sse_post.AsyncEventSource(
                self.url, client=client, signal=self.controller.signal, **self.options
            ) as source:
                self.source = source
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._stopper, source)
                    self.ready.set()
                    try:
                        async for event in source:
                            self._delivered(event)
                    except Exception as exc:
                        self.error = exc
                    self.t_end = time.monotonic()
                    if not self._stop_event.is_set():
                        tg.cancel_scope.cancel()  # nobody stopped it: no stopper needed
            if client is not None and self.ok_url:
                self.pool = await self._next_request_async(client)
        finally:
            if client is not None:
                await client.aclose()

    async def _stopper(self, source: sse_post.AsyncEventSource) -> None:
        await self._stop_event.wait()
        self.t_stop = time.monotonic()
        if self.way == "close":
            await source.aclose()
        else:
            self.controller.abort()
        self.t_returned = time.monotonic()

    async def _next_request_async(self, client: Any) -> object:
        timeout = type(client.timeout)(5.0, pool=1.0)
        try:
            return (await client.get(self.ok_url, timeout=timeout)).status_code
        except Exception as exc:
            return exc
