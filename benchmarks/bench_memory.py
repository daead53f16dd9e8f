"""Peak memory while streaming, per contender, each in a fresh process.

(a) A long LLM token stream (1 GB with --full, 200 MB by default): peak RSS should stay
    flat. (b) A hostile 200 MiB line with no line end: with the default 16 MiB cap
    sse_post stops with EventTooLargeError; with the cap raised to 256 MiB its peak grows
    by at most ~1.2x the line. httpx-sse and openai's decoder have no cap. (c) The parser
    alone, pure Python and compiled: one 200 MiB event fed in 64 KiB chunks (the floor is
    2x: the line's bytes and its text), and an event of 16 MiB of short ``data:xy``
    lines at the default cap (at most 2x the cap plus 16 MiB).

    .venv/bin/python benchmarks/bench_memory.py [--full] [--parser-only]
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


def parser_child(workload: str) -> dict[str, object]:
    import sse_post

    chunk = 64 * 1024
    if workload == "200 MiB event":
        parser = sse_post.SSEParser(max_event_size=256 * MIB)
        size = LINE
        piece = b"x" * chunk
        baseline = peak_kib()
        parser.feed(b"data: ")
        for _ in range(size // chunk):
            parser.feed(piece)
        events = parser.feed(b"\n\n")
    else:
        parser = sse_post.SSEParser()
        size = sse_post.DEFAULT_MAX_EVENT_SIZE
        stream = b"data:xy\n" * (size // 3)  # no concatenation: its copy would set the peak
        baseline = peak_kib()
        events = []
        for i in range(0, len(stream), chunk):
            events += parser.feed(stream[i : i + chunk])
        events += parser.feed(b"\n")
    assert len(events) == 1
    return {
        "growth_mib": (peak_kib() - baseline) / 1024,
        "size_mib": size / MIB,
        "implementation": getattr(sse_post.SSEParser, "implementation", "python"),
    }


def parser_table() -> None:
    import os

    print("\n| workload (parser alone) | implementation | peak RSS growth |")
    print("|---|---|---:|")
    for workload in ("200 MiB event", "16 MiB of data:xy lines"):
        for pure in ("", "1"):
            out = subprocess.run(
                [sys.executable, __file__, "--parser-child", workload],
                capture_output=True,
                text=True,
                timeout=900,
                check=True,
                env={**os.environ, "SSE_POST_NO_EXTENSIONS": pure},
            )
            r = json.loads(out.stdout)
            growth, size = float(r["growth_mib"]), float(r["size_mib"])
            print(
                f"| {workload} | {r['implementation']} | {growth:.0f} MiB "
                f"({growth / size:.2f}x the event) |",
                flush=True,
            )


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
    parser.add_argument("--parser-only", action="store_true", help="only the parser table (c)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--parser-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    if args.parser_child:
        print(json.dumps(parser_child(args.parser_child)))
        return 0
    if args.parser_only:
        parser_table()
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
    parser_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
