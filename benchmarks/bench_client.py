"""End-to-end client throughput over loopback, side by side.

A uvicorn + Starlette server (benchmarks/_e2e_server.py, its own process) answers a POST
with a workload in 16 KiB writes. Contenders, sync on one httpx.Client and async on one
httpx.AsyncClient: sse_post's EventSource / AsyncEventSource with the client passed in,
httpx-sse (connect_sse + iter_sse), httpx + openai's SSEDecoder (what the openai SDK
does), and the raw ceiling (iter_raw, counting bytes). Rounds are interleaved; medians
are reported, with events/s, the ratio to httpx-sse and the share of the raw ceiling.
The "client overhead" column is (sse_post - raw) / parse-only: the time sse_post spends
beyond reading bytes, relative to parsing the same bytes from memory.

    .venv/bin/python benchmarks/bench_client.py --rounds 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from httpx_sse import aconnect_sse, connect_sse
from openai._streaming import SSEDecoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _e2e_server
from _util import e2e_server, median

import sse_post

WORKLOADS = ["tokens", "named", "large"]
COUNTS = {name: _e2e_server.WORKLOADS[name].count(b"\n\n") for name in WORKLOADS}


def sync_contenders(client: httpx.Client, url: str) -> dict[str, Callable[[], int]]:
    def ours() -> int:
        with sse_post.EventSource(url, method="POST", client=client, reconnect=False) as source:
            return sum(1 for _ in source)

    def httpx_sse() -> int:
        with connect_sse(client, "POST", url) as event_source:
            return sum(1 for _ in event_source.iter_sse())

    def openai() -> int:
        with client.stream("POST", url) as response:
            return sum(1 for _ in SSEDecoder().iter_bytes(response.iter_bytes()))

    def raw() -> int:
        with client.stream("POST", url) as response:
            return sum(len(chunk) for chunk in response.iter_raw())

    return {"sse_post": ours, "httpx-sse": httpx_sse, "openai": openai, "raw": raw}


def async_contenders(client: httpx.AsyncClient, url: str) -> dict[str, Callable[[], Any]]:
    # Each loop counts what it receives, as the sync ones do; nothing is kept.
    async def ours() -> int:
        count = 0
        async with sse_post.AsyncEventSource(
            url, method="POST", client=client, reconnect=False
        ) as source:
            async for _ in source:
                count += 1
        return count

    async def httpx_sse() -> int:
        count = 0
        async with aconnect_sse(client, "POST", url) as event_source:
            async for _ in event_source.aiter_sse():
                count += 1
        return count

    async def openai() -> int:
        count = 0
        async with client.stream("POST", url) as response:
            async for _ in SSEDecoder().aiter_bytes(response.aiter_bytes()):
                count += 1
        return count

    async def raw() -> int:
        size = 0
        async with client.stream("POST", url) as response:
            async for chunk in response.aiter_raw():
                size += len(chunk)
        return size

    return {"sse_post": ours, "httpx-sse": httpx_sse, "openai": openai, "raw": raw}


def parse_only(name: str) -> float:
    body = _e2e_server.WORKLOADS[name]
    chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)]
    best = []
    for _ in range(3):
        start = time.perf_counter()
        parser = sse_post.SSEParser()
        for chunk in chunks:
            parser.feed(chunk)
        best.append(time.perf_counter() - start)
    return min(best)


def report(mode: str, name: str, times: dict[str, list[float]]) -> str:
    m = {label: median(t) for label, t in times.items()}
    events = COUNTS[name]
    overhead = (m["sse_post"] - m["raw"]) / parse_only(name)
    return (
        f"| {mode} | {name} | {events / m['sse_post']:,.0f} | {m['httpx-sse'] / m['sse_post']:.2f}x "
        f"| {m['openai'] / m['sse_post']:.2f}x | {m['raw'] / m['sse_post']:.0%} | {overhead:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"# End-to-end throughput, {time.strftime('%Y-%m-%d')}, median of {args.rounds} rounds\n"
    )
    print(
        "| mode | workload | sse_post events/s | vs httpx-sse | vs openai | raw ceiling share | client overhead |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    with e2e_server() as base:
        with httpx.Client(timeout=60) as client:
            for name in WORKLOADS:
                contenders = sync_contenders(client, f"{base}/stream/{name}")
                assert contenders["sse_post"]() == contenders["httpx-sse"]() == COUNTS[name]
                assert contenders["openai"]() == COUNTS[name]
                times: dict[str, list[float]] = {label: [] for label in contenders}
                for _ in range(args.rounds):
                    for label, fn in contenders.items():
                        start = time.perf_counter()
                        fn()
                        times[label].append(time.perf_counter() - start)
                print(report("sync", name, times), flush=True)

        async def run_async() -> None:
            async with httpx.AsyncClient(timeout=60) as client:
                for name in WORKLOADS:
                    contenders = async_contenders(client, f"{base}/stream/{name}")
                    assert (
                        await contenders["sse_post"]()
                        == await contenders["httpx-sse"]()
                        == COUNTS[name]
                    )
                    times: dict[str, list[float]] = {label: [] for label in contenders}
                    for _ in range(args.rounds):
                        for label, fn in contenders.items():
                            start = time.perf_counter()
                            await fn()
                            times[label].append(time.perf_counter() - start)
                    print(report("asyncio", name, times), flush=True)

        anyio.run(run_async)
    return 0


if __name__ == "__main__":
    sys.exit(main())
