"""Peak memory while streaming, per contender, each in a fresh process.

(a) A long LLM token stream (1 GB with --full, 200 MB by default): peak RSS should stay
    flat. (b) A hostile 200 MiB line with no line end: with the default 16 MiB cap
    sse_post stops with EventTooLargeError; with the cap raised to 256 MiB its peak grows
    by at most ~1.2x the line. httpx-sse and openai's decoder have no cap.

    .venv/bin/python benchmarks/bench_memory.py [--full]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MIB = 1024 * 1024
LINE = 200 * MIB


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(contender: str, url: str, cap: str) -> dict[str, object]:
    import httpx
    from httpx_sse import connect_sse
    from openai._streaming import SSEDecoder

    import sse_post

    outcome = "ok"
    events = 0
    with httpx.Client(timeout=120) as client:
        client.post(url.split("/stream")[0].split("/line")[0] + "/stream/feed").read()  # warm up
        baseline = peak_kib()
        start = time.perf_counter()
        try:
            if contender == "sse_post":
                size = {"default": sse_post.DEFAULT_MAX_EVENT_SIZE, "256MiB": 256 * MIB}[cap]
                with sse_post.EventSource(
                    url, method="POST", client=client, reconnect=False, max_event_size=size
                ) as source:
                    for _ in source:
                        events += 1
            elif contender == "httpx-sse":
                with connect_sse(client, "POST", url) as event_source:
                    for _ in event_source.iter_sse():
                        events += 1
            else:
                with client.stream("POST", url) as response:
                    for _ in SSEDecoder().iter_bytes(response.iter_bytes()):
                        events += 1
        except sse_post.EventTooLargeError:
            outcome = "EventTooLargeError"
        elapsed = time.perf_counter() - start
    return {
        "growth_mib": (peak_kib() - baseline) / 1024,
        "events": events,
        "outcome": outcome,
        "seconds": elapsed,
    }


def run_child(contender: str, url: str, cap: str = "default") -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", contender, url, cap],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--full", action="store_true", help="a 1 GB token stream instead of 200 MB"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    import _e2e_server
    from _util import e2e_server

    token_body = len(_e2e_server.WORKLOADS["tokens"])
    repeat = (1024 if args.full else 200) * MIB // token_body
    print(f"# Peak memory, {time.strftime('%Y-%m-%d')}\n")
    print("| workload | contender | cap | outcome | events | peak RSS growth |")
    print("|---|---|---|---|---:|---:|")
    with e2e_server() as base:
        tokens_url = f"{base}/stream/tokens?repeat={repeat}"
        label = f"{repeat * token_body / 1e9:.2f} GB of tokens"
        for contender in ("sse_post", "httpx-sse", "openai"):
            r = run_child(contender, tokens_url)
            print(
                f"| {label} | {contender} | default | {r['outcome']} | {r['events']:,} | {r['growth_mib']:.1f} MiB |",
                flush=True,
            )
        line_url = f"{base}/line?size={LINE}"
        for contender, cap in (
            ("sse_post", "default"),
            ("sse_post", "256MiB"),
            ("httpx-sse", "-"),
            ("openai", "-"),
        ):
            r = run_child(contender, line_url, cap if cap != "-" else "default")
            growth = float(r["growth_mib"])  # type: ignore[arg-type]
            print(
                f"| 200 MiB line, no line end | {contender} | {cap} | {r['outcome']} | {r['events']} "
                f"| {growth:.0f} MiB ({growth / 200:.2f}x the line) |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
