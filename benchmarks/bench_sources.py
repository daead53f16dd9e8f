"""Many sources at once: memory per source, and threads per connect, 1 to 1,000 sources.

Each cell runs in a fresh process: it opens one source and closes it (so one-time costs,
lazy imports and anything built once and shared, are paid before the baseline), then
opens N sources at once against the local uvicorn server's ``/hold`` (one event, then
silence), waits until every one has received its event, and measures while all N are
open:

- **RSS growth per source**: resident memory (``/proc/self/statm``) over the baseline,
  divided by N. RSS, not tracemalloc, because most of a client's weight is OpenSSL's (its
  SSL context and the CA store it loads), which Python's allocator never sees;
  ``--tracemalloc`` adds the Python-heap share in a second run of each cell.
- **threads per connect** (sync): threads started while the N sources opened, over N;
  and threads still alive with all N open, over N.

Rows: sse_post without ``client=`` (each source on its own), and sse_post on one shared
client as the reference. Async sources are opened concurrently in one task group; sync
sources are opened one after another from one thread and held open (each iterator has
taken its first event).

    .venv/bin/python benchmarks/bench_sources.py
    .venv/bin/python benchmarks/bench_sources.py --counts 1000 --backends asyncio,trio --tracemalloc
    .venv/bin/python benchmarks/bench_sources.py --sync-counts ""      # async only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = os.sysconf("SC_PAGE_SIZE")
TIMEOUT = 300.0


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def child(mode: str, shared: bool, n: int, url: str, traced: bool) -> dict[str, Any]:
    """Open ``n`` sources of ``mode`` (sync, asyncio or trio) and measure; run in a fresh process."""
    import anyio
    import httpx

    import sse_post

    started = [0]
    original_start = threading.Thread.start

    def counting_start(self: threading.Thread) -> None:
        started[0] += 1
        original_start(self)

    threading.Thread.start = counting_start  # type: ignore[method-assign]
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    result: dict[str, Any] = {}

    def measure_start() -> None:
        if traced:
            tracemalloc.start()
        result.update(rss=rss(), threads=threading.active_count(), started=started[0])

    def measure_end() -> None:
        result["rss"] = rss() - result["rss"]
        result["alive"] = threading.active_count() - result["threads"]
        result["started"] = started[0] - result["started"]
        if traced:
            result["traced"] = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()

    if mode == "sync":
        client = httpx.Client(limits=limits) if shared else None
        options = {"client": client} if client else {}

        def open_one() -> Any:
            source = sse_post.EventSource(url, method="POST", reconnect=False, **options)
            events = iter(source)
            next(events)
            return source, events

        warm, _ = open_one()
        warm.close()
        measure_start()
        held = [open_one() for _ in range(n)]
        measure_end()
        for source, _ in held:
            source.close()
        if client is not None:
            client.close()
        return result

    async def main() -> None:
        client = httpx.AsyncClient(limits=limits) if shared else None
        options = {"client": client} if client else {}
        opened = [0]
        all_open, release = anyio.Event(), anyio.Event()

        async def one() -> None:
            async with sse_post.AsyncEventSource(
                url, method="POST", reconnect=False, **options
            ) as source:
                await source.__anext__()
                opened[0] += 1
                if opened[0] == n:
                    all_open.set()
                await release.wait()

        release.set()
        await one()  # the warm-up source: opened, read, closed
        opened[0] = 0
        all_open, release = anyio.Event(), anyio.Event()
        measure_start()
        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(one)
                await all_open.wait()
                measure_end()
                release.set()
        if client is not None:
            await client.aclose()

    anyio.run(main, backend=mode)
    return result


def run_cell(mode: str, shared: bool, n: int, url: str, traced: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps([mode, shared, n, url, traced])],
        capture_output=True,
        text=True,
        timeout=TIMEOUT + 60,
        check=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="1,10,100,1000")
    parser.add_argument("--backends", default="asyncio", help="async backends to run")
    parser.add_argument("--sync-counts", help="source counts for sync (default: --counts)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return 0
    from _util import e2e_server

    counts = [int(c) for c in args.counts.split(",")]
    sync_counts = [
        int(c)
        for c in (args.counts if args.sync_counts is None else args.sync_counts).split(",")
        if c
    ]
    modes = args.backends.split(",") + ["sync"] * bool(sync_counts)
    print(f"# Many sources at once, {time.strftime('%Y-%m-%d')}\n")
    traced = " | Python heap per source" if args.tracemalloc else ""
    print(
        f"| mode | client | sources | RSS per source{traced} | threads started per connect | threads alive per source |"
    )
    print("|---|---|---:|---:|" + "---:|" * bool(traced) + "---:|---:|")
    with e2e_server() as base:
        url = f"{base}/hold?seconds={TIMEOUT:.0f}"
        for mode in modes:
            for shared in (False, True):
                for n in sync_counts if mode == "sync" else counts:
                    r = run_cell(mode, shared, n, url, False)
                    cells = [
                        mode,
                        "one shared" if shared else "none (no client=)",
                        f"{n:,}",
                        f"{r['rss'] / n / 1024:,.1f} KiB",
                    ]
                    if traced:
                        t = run_cell(mode, shared, n, url, True)
                        cells.append(f"{t['traced'] / n / 1024:,.1f} KiB")
                    cells += [f"{r['started'] / n:.2f}", f"{r['alive'] / n:.2f}"]
                    print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
