"""Parser throughput, side by side: sse_post against the Python SSE parsers people use.

Each contender parses the same in-memory stream, chunked the same way, through its real
path; the runs are interleaved (every contender once per round) and the median of the
rounds is reported, with the ratio to httpx-sse; the cyclic GC is off while a run is timed. sse_post runs twice: its compiled core
("C", when built) and its pure-Python parser ("pure"). Times are the process's CPU time,
which other load on the machine disturbs far less than the wall clock. Every contender
must produce the same events, or the script stops.

    make bench                      # quick: a few rounds
    python benchmarks/bench_parser.py --rounds 9
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import httpx_sse
import openai
from openai._streaming import SSEDecoder

import sse_post
from sse_post._parser import PySSEParser

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _workloads

Chunks = list[bytes]
Normalised = list[tuple[str, str, str]]


WORKLOADS: dict[str, Callable[[int], bytes]] = {
    "tokens": lambda n: _workloads.tokens(n, done=True),
    "named+id": _workloads.named,
    "64KiB events": _workloads.large,
    "20-line events": _workloads.multiline,
    "tokens CRLF": lambda n: _workloads.tokens(n, b"\r\n", done=True),
}
SIZES = {
    "tokens": 20000,
    "named+id": 20000,
    "64KiB events": 64,
    "20-line events": 2000,
    "tokens CRLF": 20000,
}


def _split(stream: bytes, how: str) -> Chunks:
    if how == "event":
        sep = b"\r\n\r\n" if b"\r\n\r\n" in stream else b"\n\n"
        return [part + sep for part in stream.split(sep)[:-1]]
    size = {"16B": 16, "1KiB": 1024, "64KiB": 65536}[how]
    return [stream[i : i + size] for i in range(0, len(stream), size)]


# Each contender returns its own event objects through its real path; normalising them
# for the equality check happens outside the timed region.


def _sse_post(cls: type[Any]) -> Callable[[Chunks], list[Any]]:
    def run(chunks: Chunks) -> list[Any]:
        parser = cls()
        events = []
        for chunk in chunks:
            events += parser.feed(chunk)
        events += parser.close()
        return events

    return run


def _compiled() -> type[Any] | None:
    try:
        from sse_post._speedups import SSEParser
    except ImportError:
        return None
    return SSEParser


def _response(module: object, chunks: Chunks) -> object:
    request = module.Request("POST", "http://127.0.0.1/stream")  # type: ignore[attr-defined]
    return module.Response(  # type: ignore[attr-defined]
        200, headers={"content-type": "text/event-stream"}, content=iter(chunks), request=request
    )


def run_httpx_sse(chunks: Chunks) -> list[Any]:
    return list(httpx_sse.EventSource(_response(httpx, chunks)).iter_sse())  # type: ignore[arg-type]


def run_httpx2(chunks: Chunks) -> list[Any]:
    return list(httpx2.EventSource(_response(httpx2, chunks), max_event_size=None))  # type: ignore[arg-type]


def run_openai(chunks: Chunks) -> list[Any]:
    return list(SSEDecoder().iter_bytes(iter(chunks)))


def _normalise(events: list[Any]) -> Normalised:
    return [(e.event or "message", e.data, e.id or "") for e in events]


C_PARSER = _compiled()
CONTENDERS: dict[str, Callable[[Chunks], list[Any]]] = {
    **({"sse_post": _sse_post(C_PARSER)} if C_PARSER is not None else {}),
    "sse_post pure": _sse_post(PySSEParser),
    "httpx-sse": run_httpx_sse,
    "httpx2": run_httpx2,
    "openai": run_openai,
}


def _time(fn: Callable[[Chunks], list[Any]], chunks: Chunks) -> float:
    # As timeit does: no cyclic GC pass (whose cost depends on what else is alive, not
    # on the contender) may land inside a timed run.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn(chunks)
        return time.process_time() - start
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds (median reported)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the workload sizes")
    args = parser.parse_args(argv)

    print(f"# Parser benchmark, {time.strftime('%Y-%m-%d')}")
    print(
        f"\nPython {platform.python_version()} on {platform.machine()}, "
        f"sse_post {sse_post.__version__}, httpx-sse {_version('httpx-sse')}, "
        f"httpx2 {httpx2.__version__}, openai {openai.__version__}; "
        f"median of {args.rounds} interleaved rounds of CPU time; "
        f"sse_post's compiled core {'built' if C_PARSER else 'NOT built: C columns show pure'}."
        "\n"
    )
    print(
        "| workload | chunks | C MB/s | C events/s | C vs httpx-sse "
        "| pure vs httpx-sse | C vs httpx2 | C vs openai |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, make in WORKLOADS.items():
        stream = make(max(1, int(SIZES[name] * args.scale)))
        for how in ("16B", "1KiB", "64KiB", "event"):
            chunks = _split(stream, how)
            results = {label: _normalise(fn(chunks)) for label, fn in CONTENDERS.items()}
            reference = results["sse_post pure"]
            for label, got in results.items():
                if got != reference:
                    print(f"{label} disagrees with sse_post on {name} / {how}", file=sys.stderr)
                    return 1
            times: dict[str, list[float]] = {label: [] for label in CONTENDERS}
            for _ in range(args.rounds):
                for label, fn in CONTENDERS.items():
                    times[label].append(_time(fn, chunks))
            median = {label: statistics.median(t) for label, t in times.items()}
            ours = median.get("sse_post", median["sse_post pure"])
            print(
                f"| {name} | {how} | {len(stream) / ours / 1e6:.1f} "
                f"| {len(reference) / ours:,.0f} "
                f"| {median['httpx-sse'] / ours:.2f}x "
                f"| {median['httpx-sse'] / median['sse_post pure']:.2f}x "
                f"| {median['httpx2'] / ours:.2f}x | {median['openai'] / ours:.2f}x |",
                flush=True,
            )
    return 0


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


if __name__ == "__main__":
    sys.exit(main())
