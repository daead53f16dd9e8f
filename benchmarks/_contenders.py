"""The end-to-end contenders and one timed run of one of them, shared by bench_client.py
and compare_ref.py, in process or in a worker process.

A worker (``python benchmarks/_contenders.py``) imports whichever ``sse_post`` its
PYTHONPATH and environment give it (another git ref's, or the pure parser under
``SSE_POST_NO_EXTENSIONS=1``), says which one on its first output line, then answers one
JSON request per line with one timed run. In process and in a worker the same
``run_once`` does the work, so the two sides of a comparison measure the same thing.

Each run times one whole stream, request to last event, as the client process's CPU time
(``time.process_time``: every thread of the process, nothing of the server's) and as wall
time. The client is made and its connection warmed up before the clock starts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import os
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import httpx2
from httpx_sse import aconnect_sse, connect_sse
from openai._streaming import SSEDecoder

import sse_post

CONTENDERS = ["sse_post", "httpx-sse", "httpx2", "openai", "raw"]
BULK = {"tokens": 100_000, "named": 100_000, "large": 200}  # events per run, _e2e_server.py
SSL = ssl.create_default_context()  # made once: a client's SSL context is not what we time


def parser_impl() -> str:
    """``"compiled"`` when sse_post's optional compiled parser core is in use, else ``"pure"``.

    Asks ``sse_post.SSEParser.implementation`` (``"c"`` or ``"python"``); a tree older
    than that attribute has the pure parser unless it holds ``sse_post._speedups``.
    """
    implementation = getattr(sse_post.SSEParser, "implementation", None)
    if implementation is not None:
        return "pure" if implementation == "python" else "compiled"
    if os.environ.get("SSE_POST_NO_EXTENSIONS", "") not in ("", "0"):
        return "pure"
    try:
        found = importlib.util.find_spec("sse_post._speedups") is not None
    except ImportError:
        found = False
    return "compiled" if found else "pure"


def url_of(base: str, workload: str, n: int, gap: int) -> str:
    if workload == "live":
        return f"{base}/live?n={n}&gap={gap}"
    return f"{base}/stream/{workload}"


def expected(workload: str, n: int) -> int:
    return n if workload == "live" else BULK[workload]


def sync_contender(name: str, client: httpx.Client, client2: httpx2.Client, url: str) -> int:
    if name == "sse_post":
        with sse_post.EventSource(url, method="POST", client=client, reconnect=False) as source:
            return sum(1 for _ in source)
    if name == "httpx-sse":
        with connect_sse(client, "POST", url) as event_source:
            return sum(1 for _ in event_source.iter_sse())
    if name == "httpx2":
        with client2.sse(url, method="POST") as event_source:
            return sum(1 for _ in event_source)
    if name == "openai":
        with client.stream("POST", url) as response:
            return sum(1 for _ in SSEDecoder().iter_bytes(response.iter_bytes()))
    with client.stream("POST", url) as response:  # raw: the ceiling, bytes read and dropped
        return sum(1 for _ in response.iter_raw())


async def async_contender(
    name: str, client: httpx.AsyncClient, client2: httpx2.AsyncClient, url: str
) -> int:
    count = 0  # each loop counts what it receives; nothing is kept
    if name == "sse_post":
        async with sse_post.AsyncEventSource(
            url, method="POST", client=client, reconnect=False
        ) as source:
            async for _ in source:
                count += 1
    elif name == "httpx-sse":
        async with aconnect_sse(client, "POST", url) as event_source:
            async for _ in event_source.aiter_sse():
                count += 1
    elif name == "httpx2":
        async with client2.sse(url, method="POST") as event_source:
            async for _ in event_source:
                count += 1
    elif name == "openai":
        async with client.stream("POST", url) as response:
            async for _ in SSEDecoder().aiter_bytes(response.aiter_bytes()):
                count += 1
    else:
        async with client.stream("POST", url) as response:
            async for _ in response.aiter_raw():
                count += 1
    return count


def _timed(fn: Callable[[], int]) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    count = fn()
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "count": count,
    }


def run_once(
    mode: str, workload: str, contender: str, base: str, n: int = 0, gap: int = 0
) -> dict[str, float]:
    """One timed stream: ``{"cpu": s, "wall": s, "count": events (chunks for raw)}``."""
    url = url_of(base, workload, n, gap)
    warm = f"{base}/stream/feed" if workload != "live" else f"{base}/warm"
    if mode == "sync":
        with httpx.Client(verify=SSL, timeout=60) as client, httpx2.Client(verify=SSL) as c2:
            (c2 if contender == "httpx2" else client).post(warm).read()
            return _timed(lambda: sync_contender(contender, client, c2, url))

    async def main() -> dict[str, float]:
        async with (
            httpx.AsyncClient(verify=SSL, timeout=60) as client,
            httpx2.AsyncClient(verify=SSL) as c2,
        ):
            await (c2 if contender == "httpx2" else client).post(warm)
            cpu, wall = time.process_time(), time.perf_counter()
            count = await async_contender(contender, client, c2, url)
            return {
                "cpu": time.process_time() - cpu,
                "wall": time.perf_counter() - wall,
                "count": count,
            }

    return anyio.run(main, backend=mode)


@contextlib.contextmanager
def counting_recvs() -> Iterator[list[int]]:
    """Count the process's socket reads: the stdlib socket's (sync and asyncio) and trio's
    socket wrapper's (it holds the stdlib's unbound methods, so patching those misses it)."""
    import trio._socket  # private, but only this check touches it

    counter = [0]
    patched: list[tuple[type, str, Any]] = []  # (class, name, its own attribute or None)
    for cls in (socket.socket, trio._socket._SocketType):
        for name in ("recv", "recv_into"):
            original = getattr(cls, name)
            patched.append((cls, name, vars(cls).get(name)))
            if inspect.iscoroutinefunction(original):  # trio's

                async def counted(self: Any, *args: Any, _f: Any = original) -> Any:
                    counter[0] += 1
                    return await _f(self, *args)

            else:

                def counted(self: Any, *args: Any, _f: Any = original) -> Any:  # type: ignore[misc]
                    counter[0] += 1
                    return _f(self, *args)

            setattr(cls, name, counted)
    try:
        yield counter
    finally:
        for cls, name, own in patched:
            if own is None:
                delattr(cls, name)
            else:
                setattr(cls, name, own)


def worker() -> int:
    """Answer one JSON request per stdin line with one ``run_once`` result per line."""
    print(json.dumps({"sse_post": sse_post.__file__, "impl": parser_impl()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(run_once(**request)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(worker())
