"""Abort latency: from ``controller.abort()`` to the end of the loop, per phase and mode.

Phases: connecting (a TLS handshake the server never answers), waiting for response
headers, blocked reading a silent stream, and waiting to reconnect. Modes: sync,
asyncio, trio. Each cell is the p50 / p99 of ``--repeats`` runs, in milliseconds.

    .venv/bin/python benchmarks/abort_latency.py --repeats 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sse_post
from tests.server import WAIT, ScriptedServer, SilentServer


def _loop(
    mode: str, url: str, signal: Any, first: threading.Event, ended: list[float], **options: Any
) -> threading.Thread:
    def sync_target() -> None:
        with sse_post.EventSource(url, signal=signal, **options) as source:
            for _ in source:
                first.set()
        ended.append(time.perf_counter())

    async def async_main() -> None:
        async with sse_post.AsyncEventSource(url, signal=signal, **options) as source:
            async for _ in source:
                first.set()
        ended.append(time.perf_counter())

    target = sync_target if mode == "sync" else lambda: anyio.run(async_main, backend=mode)
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def measure(mode: str, phase: str, server: ScriptedServer) -> float:
    controller = sse_post.AbortController()
    ready = threading.Event()
    first = threading.Event()
    ended: list[float] = []
    silent = None
    options: dict[str, Any] = {"reconnect": False}
    if phase == "connecting":
        silent = SilentServer()
        url = f"https://127.0.0.1:{silent.port}/"
        ready = silent.accepted
    elif phase == "headers":

        def script(h: Any) -> None:
            ready.set()
            h.wait_client_gone()

        url = server.route(script)
    elif phase == "silent stream":

        def script(h: Any) -> None:
            h.start()
            h.send(b"data: x\n\n")
            h.wait_client_gone()

        url = server.route(script)
        ready = first
    else:

        def script(h: Any) -> None:
            h.start()
            h.send(b"id: 1\ndata: x\n\n")
            h.drop()
            ready.set()

        url = server.route(script)
        options["reconnect"] = sse_post.ReconnectPolicy(initial_delay=60, max_delay=60, jitter=0)
    thread = _loop(mode, url, controller.signal, first, ended, **options)
    if not ready.wait(WAIT):
        raise RuntimeError(f"{mode} {phase}: never reached the phase")
    if phase == "reconnect wait":
        # The drop reaches the client a moment after the server makes it; give the
        # client that moment so the abort lands in the wait, not in the read.
        time.sleep(0.05)
    start = time.perf_counter()
    controller.abort()
    thread.join(WAIT)
    if silent is not None:
        silent.stop()
    if thread.is_alive() or not ended:
        raise RuntimeError(f"{mode} {phase}: the loop did not end")
    return (ended[0] - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    server = ScriptedServer()
    server.start()
    phases = ["connecting", "headers", "silent stream", "reconnect wait"]
    modes = ["sync", "asyncio", "trio"]
    print(f"Abort latency, ms (p50 / p99 of {args.repeats} runs), {time.strftime('%Y-%m-%d')}\n")
    print("| phase | " + " | ".join(modes) + " |")
    print("|---|" + "---:|" * len(modes))
    for phase in phases:
        cells = []
        for mode in modes:
            samples = sorted(measure(mode, phase, server) for _ in range(args.repeats))
            p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
            cells.append(f"{statistics.median(samples):.2f} / {p99:.2f}")
        print(f"| {phase} | " + " | ".join(cells) + " |", flush=True)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
