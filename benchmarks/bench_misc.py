"""Concurrency, time to first event, and httpx-sse's abort, side by side.

1. 1,000 concurrent async streams from one process (asyncio and trio) to the local
   uvicorn server, each 100 named events: all delivered? total events/s, and peak RSS
   growth per stream; sse_post's AsyncEventSource against httpx-sse's aconnect_sse.
2. Time to first event on a close-delimited response (no length, no chunking): from the
   server's write to the loop receiving the event, sync and async.
3. httpx-sse's `response.close()` from another thread while the reader is blocked on a
   silent stream: how long the reader stays blocked (the server speaks again after 2 s).
   sse_post's figures for the same are in abort_latency.py.

    .venv/bin/python benchmarks/bench_misc.py [--streams 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sse_post


def concurrency_child(contender: str, backend: str, url: str, streams: int) -> dict[str, float]:
    from httpx_sse import aconnect_sse

    async def main() -> dict[str, float]:
        counts: list[int] = []
        limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:
            await client.post(url)  # warm up
            baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

            async def ours() -> None:
                n = 0
                async with sse_post.AsyncEventSource(
                    url, method="POST", client=client, reconnect=False
                ) as source:
                    async for _ in source:
                        n += 1
                counts.append(n)

            async def theirs() -> None:
                n = 0
                async with aconnect_sse(client, "POST", url) as event_source:
                    async for _ in event_source.aiter_sse():
                        n += 1
                counts.append(n)

            start = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(streams):
                    tg.start_soon(ours if contender == "sse_post" else theirs)
            elapsed = time.perf_counter() - start
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline
        return {
            "complete": sum(1 for c in counts if c == 100),
            "events": sum(counts),
            "seconds": elapsed,
            "kib_per_stream": growth / streams,
        }

    return anyio.run(main, backend=backend)


def time_to_first_event() -> dict[str, float]:
    from tests.server import ScriptedServer

    server = ScriptedServer()
    server.start()
    results: dict[str, float] = {}
    sent_at: list[float] = []

    def script(h) -> None:
        h.start(chunked=False)  # close-delimited
        # Stamped before the write: stamped after it, the client could receive the event
        # (and read the list) before the stamp exists.
        sent_at.append(time.perf_counter())
        h.send(b"data: first\n\n")
        h.wait_client_gone()

    for mode in ("sync", "asyncio", "trio"):
        samples = []
        for _ in range(20):
            sent_at.clear()
            url = server.route(script)
            if mode == "sync":
                with sse_post.EventSource(url, method="POST", reconnect=False) as source:
                    next(iter(source))
                    got = time.perf_counter()
            else:

                async def first(url: str = url) -> float:
                    async with sse_post.AsyncEventSource(
                        url, method="POST", reconnect=False
                    ) as source:
                        await source.__anext__()
                        return time.perf_counter()

                got = anyio.run(first, backend=mode)
            samples.append((got - sent_at[0]) * 1000)
        results[mode] = statistics.median(samples)
    server.stop()
    return results


def httpx_sse_close_wait() -> float:
    from httpx_sse import connect_sse

    from tests.server import ScriptedServer

    server = ScriptedServer()
    server.start()
    first = threading.Event()

    def script(h) -> None:
        h.start()
        h.send(b"data: one\n\n")
        if not h.wait_client_gone(2.0):  # silent for 2 s, then speaks again
            h.send(b"data: two\n\n")
            h.end()

    url = server.route(script)
    holder: dict[str, object] = {}
    ended: list[float] = []

    def reader() -> None:
        with httpx.Client() as client, connect_sse(client, "GET", url) as event_source:
            holder["response"] = event_source.response
            try:
                for _ in event_source.iter_sse():
                    first.set()
            except Exception:
                pass
        ended.append(time.perf_counter())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    first.wait(10)
    time.sleep(0.2)  # let the reader go back to its blocked read before closing
    start = time.perf_counter()
    holder["response"].close()  # type: ignore[attr-defined]
    thread.join(10)
    server.stop()
    return ended[0] - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        contender, backend, url, streams = args.child
        print(json.dumps(concurrency_child(contender, backend, url, int(streams))))
        return 0
    from _util import e2e_server

    print(f"# Concurrency, first-event latency and abort, {time.strftime('%Y-%m-%d')}\n")
    print(
        f"| {args.streams} concurrent streams | contender | complete | events/s | peak RSS per stream |"
    )
    print("|---|---|---:|---:|---:|")
    with e2e_server() as base:
        for backend in ("asyncio", "trio"):
            for contender in ("sse_post", "httpx-sse"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        contender,
                        backend,
                        f"{base}/stream/feed",
                        str(args.streams),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=True,
                )
                r = json.loads(out.stdout)
                print(
                    f"| {backend} | {contender} | {r['complete']}/{args.streams} | {r['events'] / r['seconds']:,.0f} "
                    f"| {r['kib_per_stream']:.1f} KiB |",
                    flush=True,
                )
    ttfe = time_to_first_event()
    print(
        "\nTime to first event on a close-delimited response (median of 20, ms): "
        + ", ".join(f"{m} {v:.2f}" for m, v in ttfe.items())
    )
    waits = [httpx_sse_close_wait() for _ in range(3)]
    print(
        "\nhttpx-sse: response.close() from another thread left the reader blocked for "
        + ", ".join(f"{w:.2f}" for w in waits)
        + " s in 3 runs (the server speaks again 2 s after its first event)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
