"""Live streams, counted: the instructions each client executes per live event.

On a virtual machine the CPU time of a live event is mostly the cost of waking up after
each pause (cold caches, the hypervisor), the same for every client and different from
run to run, so `bench_client.py`'s live ratios sit near 1 and move by 5-20%. This counts
instead: every contender streams the live workload (`_live_server.py`: one event per
write and per read, a pause after each) under valgrind's cachegrind, which counts the
user-space instructions the client process executes, whatever the machine is doing.
Each contender runs twice, with ``--events`` and with a fifth of them; the difference
over the events between them is its count per event (the start-up, the imports and the
warm-up cancel out). Hash randomisation is off, so a rerun gives the same counts to
within a fraction of a percent.

The "ceiling" column is httpx-sse's count over the raw reader's (httpx's ``aiter_raw``,
bytes dropped): the most any client on httpx could gain over httpx-sse if its own work
cost nothing. "reads/event" checks that each read carried one event (valgrind slows the
client about fifty times, hence the long default pause).

Needs valgrind on the PATH (it says so and exits 0 without it). About 12 minutes:

    .venv/bin/python benchmarks/bench_live_counted.py
    .venv/bin/python benchmarks/bench_live_counted.py --modes asyncio --events 500
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _util import ROOT, live_server

CONTENDERS = ["sse_post", "sse_post pure", "httpx-sse", "httpx2", "openai", "raw"]
PEERS = ["httpx-sse", "httpx2", "openai"]
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def child(mode: str, contender: str, base: str, n: int, gap: int) -> int:
    """In the process valgrind watches: one live stream, then its events and reads."""
    import _contenders

    with _contenders.counting_recvs() as recvs:
        result = _contenders.run_once(mode, "live", contender, base, n, gap)
    print(json.dumps({"count": result["count"], "reads": recvs[0]}))
    return 0


def counted(mode: str, contender: str, base: str, n: int, gap: int) -> tuple[int, dict[str, int]]:
    """The instructions of one whole child process, and what the child printed."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    name = "sse_post" if contender == "sse_post pure" else contender
    if contender == "sse_post pure":
        env["SSE_POST_NO_EXTENSIONS"] = "1"
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            json.dumps([mode, name, base, n, gap]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    refs = _REFS.search(proc.stderr)
    if refs is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
    return int(refs.group(1).replace(",", "")), json.loads(proc.stdout.splitlines()[-1])


def per_event(mode: str, contender: str, base: str, n: int, gap: int) -> tuple[float, float]:
    """Instructions per event (the difference of two runs) and reads per event."""
    small = n // 5
    low, _ = counted(mode, contender, base, small, gap)
    high, out = counted(mode, contender, base, n, gap)
    if contender != "raw" and out["count"] != n:
        raise AssertionError(f"{contender} {mode}: {out['count']} events, not {n}")
    return (high - low) / (n - small), out["reads"] / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", default="sync,asyncio,trio")
    parser.add_argument("--events", type=int, default=1000, help="events of the longer run")
    parser.add_argument("--gap", type=int, default=10_000, help="microseconds between events")
    parser.add_argument("--jobs", type=int, default=2, help="children counted at once")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*json.loads(args.child))
    if shutil.which("valgrind") is None:
        print("bench_live_counted: valgrind is not installed; nothing counted")
        return 0
    modes = args.modes.split(",")
    print(f"# Live streams, instructions per event, {time.strftime('%Y-%m-%d')}\n")
    print(
        f"{args.events} events (less {args.events // 5}) one per write, {args.gap} us apart; "
        "thousands of user-space instructions per event (cachegrind).\n"
    )
    print(
        "| mode | " + " | ".join(CONTENDERS) + " | vs httpx-sse | vs httpx2 | vs openai "
        "| pure vs httpx-sse | ceiling | reads/event |"
    )
    print("|---|" + "---:|" * (len(CONTENDERS) + 6))
    with live_server() as base, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for mode in modes:
            jobs = {
                c: pool.submit(per_event, mode, c, base, args.events, args.gap) for c in CONTENDERS
            }
            got = {c: job.result() for c, job in jobs.items()}
            k = {c: got[c][0] for c in CONTENDERS}
            cells = [
                mode,
                *(f"{k[c] / 1000:.1f}" for c in CONTENDERS),
                *(f"{k[p] / k['sse_post']:.2f}x" for p in PEERS),
                f"{k['httpx-sse'] / k['sse_post pure']:.2f}x",
                f"{k['httpx-sse'] / k['raw']:.2f}x",
                f"{max(got[c][1] for c in CONTENDERS):.2f}",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
