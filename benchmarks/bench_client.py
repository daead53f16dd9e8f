"""End-to-end client cost over loopback, side by side: bulk and live streams.

Two workloads, each run sync, on asyncio and on trio:

- **bulk**: a uvicorn + Starlette server (benchmarks/_e2e_server.py, its own process)
  answers a POST with 100,000 LLM token events, 100,000 named events with ids, or 200
  events of 64 KiB, in 16 KiB writes: many events per read.
- **live**: a paced socket server (benchmarks/_live_server.py) writes one token event per
  write with TCP_NODELAY and a pause after each: one read per event, the client idle in
  between, as an LLM answer arrives. The "reads/event" column checks that (it counts the
  raw ceiling's socket reads).

Contenders, on one httpx client per run: sse_post's EventSource / AsyncEventSource with
the client passed in; httpx-sse 0.4 (connect_sse + iter_sse); httpx2's built-in
``client.sse()`` (on an httpx2 client); httpx + openai's SSEDecoder (what the openai SDK
does); the raw ceiling (iter_raw, bytes dropped). When sse_post's compiled parser core
is present, "sse_post" is the compiled one and a worker process with
``SSE_POST_NO_EXTENSIONS=1`` adds "sse_post pure" to the same interleaved rounds.

Cost is the client process's CPU time per event (not wall: the server is another process
and the live stream is mostly waiting). Ratios are the median over rounds of a peer's CPU
over sse_post's in the same round: above 1 means sse_post is cheaper. Rounds are
interleaved, the order rotated each round (live cells take ``--live-rounds``, 9);
every run's event count is checked. "Client overhead" is (sse_post - raw) / parse-only
CPU of the same bytes.

    .venv/bin/python benchmarks/bench_client.py --rounds 5
    .venv/bin/python benchmarks/bench_client.py --workloads live --live-events 5000
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _workloads
from _contenders import CONTENDERS, counting_recvs, expected, parser_impl, run_once
from _util import ROOT, Worker, e2e_server, live_server, median

import sse_post

Runner = Callable[..., dict[str, float]]
BULK_BODIES = {
    "tokens": _workloads.tokens(100_000),
    "named": _workloads.named(100_000),
    "large": _workloads.large(200),
}
PEERS = ["httpx-sse", "httpx2", "openai"]


def parse_only(name: str) -> float:
    body = BULK_BODIES[name]
    chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)]
    best = []
    for _ in range(3):
        start = time.process_time()
        parser = sse_post.SSEParser()
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
        best.append(time.process_time() - start)
    return min(best)


def measure(
    runners: dict[str, Runner],
    mode: str,
    workload: str,
    base: str,
    args: argparse.Namespace,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """Per contender: median CPU and wall seconds over interleaved, rotated rounds, and
    the CPU of each round (``runs``), for ratios paired round by round."""
    want = expected(workload, args.live_events)
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in runners}
    labels = list(runners)
    for r in range(rounds):
        for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
            s = runners[label](
                mode=mode, workload=workload, base=base, n=args.live_events, gap=args.gap
            )
            if label != "raw" and s["count"] != want:
                raise AssertionError(f"{label} {mode} {workload}: {s['count']} events, not {want}")
            samples[label].append(s)
    return {
        label: {
            "cpu": median([s["cpu"] for s in got]),
            "wall": median([s["wall"] for s in got]),
            "runs": [s["cpu"] for s in got],
        }
        for label, got in samples.items()
    }


def ratio(m: dict[str, dict[str, Any]], theirs: str, ours: str) -> float:
    """Median over rounds of their CPU over ours in the same round: a load that drifts
    during the run moves both sides of each round alike."""
    return median([t / o for t, o in zip(m[theirs]["runs"], m[ours]["runs"], strict=True)])


def ratios(m: dict[str, dict[str, Any]]) -> list[str]:
    cells = [f"{ratio(m, peer, 'sse_post'):.2f}x" for peer in PEERS]
    if "sse_post pure" in m:
        cells.append(f"{ratio(m, 'httpx-sse', 'sse_post pure'):.2f}x")
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="sync,asyncio,trio")
    parser.add_argument("--workloads", default="tokens,named,large,live")
    parser.add_argument("--live-events", type=int, default=2000, help="events per live run")
    parser.add_argument("--live-rounds", type=int, default=9, help="rounds of the live cells")
    parser.add_argument("--gap", type=int, default=300, help="live: microseconds between events")
    args = parser.parse_args(argv)
    modes, workloads = args.modes.split(","), args.workloads.split(",")
    runners: dict[str, Runner] = {
        label: (lambda label=label, **kw: run_once(contender=label, **kw)) for label in CONTENDERS
    }
    impl = parser_impl()
    with contextlib.ExitStack() as stack:
        if impl == "compiled":
            # The worker must import this checkout's sse_post, not whichever one the
            # interpreter has installed: PYTHONPATH names it, and the path is checked.
            pure = Worker(str(ROOT), {"SSE_POST_NO_EXTENSIONS": "1"})
            stack.callback(pure.close)
            if not pure.info["sse_post"].startswith(f"{ROOT}/"):
                raise RuntimeError(f"the pure worker imported {pure.info['sse_post']}")
            if pure.info["impl"] == "pure":
                runners["sse_post pure"] = lambda **kw: pure.run(contender="sse_post", **kw)
        extra = " | pure vs httpx-sse" if "sse_post pure" in runners else ""
        bulk_base = stack.enter_context(e2e_server())
        live_base = stack.enter_context(live_server())
        print(f"# End-to-end client CPU, {time.strftime('%Y-%m-%d')}, sse_post parser: {impl}\n")
        bulk = [w for w in workloads if w != "live"]
        if bulk:
            print(f"Bulk: median of {args.rounds} interleaved rounds.\n")
            print(
                "| mode | workload | sse_post events/s | CPU us/event | vs httpx-sse | vs httpx2 "
                f"| vs openai{extra} | raw ceiling share | client overhead |"
            )
            print("|---|---|---:|---:|---:|---:|---:|" + "---:|" * bool(extra) + "---:|---:|")
            for mode in modes:
                for name in bulk:
                    m = measure(runners, mode, name, bulk_base, args, args.rounds)
                    ours, events = m["sse_post"], expected(name, 0)
                    overhead = (ours["cpu"] - m["raw"]["cpu"]) / parse_only(name)
                    cells = [
                        mode,
                        name,
                        f"{events / ours['wall']:,.0f}",
                        f"{ours['cpu'] / events * 1e6:.2f}",
                        *ratios(m),
                        f"{m['raw']['cpu'] / ours['cpu']:.0%}",
                        f"{overhead:.2f}",
                    ]
                    print("| " + " | ".join(cells) + " |", flush=True)
        if "live" in workloads:
            n = args.live_events
            print(
                f"\nLive: {n} events per run, one per write, {args.gap} us apart; client CPU "
                f"us per event, median of {args.live_rounds} interleaved rounds.\n"
            )
            print(
                "| mode | sse_post | httpx-sse | httpx2 | openai | raw | vs httpx-sse | vs httpx2 "
                f"| vs openai{extra} | reads/event |"
            )
            print("|---|" + "---:|" * (9 + bool(extra)))
            for mode in modes:
                with counting_recvs() as recvs:
                    run_once(mode, "live", "raw", live_base, n, args.gap)
                m = measure(runners, mode, "live", live_base, args, args.live_rounds)
                us = [f"{m[c]['cpu'] / n * 1e6:.1f}" for c in CONTENDERS]
                cells = [mode, *us, *ratios(m), f"{recvs[0] / n:.2f}"]
                print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
