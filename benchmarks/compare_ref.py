"""This checkout's sse_post against another git ref's, end to end, side by side in one run.

The guard against a throughput regression when the client changes: the end-to-end cells
of bench_client.py (bulk tokens and named events, sync and asyncio; the live stream sync,
asyncio and trio) run with this checkout's ``sse_post`` and with the ``sse_post`` of
``--baseline`` (``git archive`` of that ref's package into a temporary directory), each
in its own worker process (benchmarks/_contenders.py, PYTHONPATH pointing at its tree),
so both are timed by the same benchmark code, on the same servers, in interleaved
rounds with the order swapped every round. The cost is client CPU per event (the median
over rounds); "new/old" is the median over rounds of the old CPU over the new in the
same round, so above 1 means this checkout is cheaper, and a cell below
``1 - --threshold`` (default 5%) is flagged.

    .venv/bin/python benchmarks/compare_ref.py                    # against main~1
    .venv/bin/python benchmarks/compare_ref.py --baseline v0.1.0 --rounds 9
    .venv/bin/python benchmarks/compare_ref.py --cells sync:tokens,asyncio:live --fail
    .venv/bin/python benchmarks/compare_ref.py --new main --baseline main~3   # two refs

A ref with the optional compiled parser core (``sse_post/_speedups.c``) gets it built in
place (``setup.py build_ext --inplace``), as ``make test`` builds it in a checkout; if the
two sides still parse differently (a build failed, or this checkout's core is not built),
the header says so, and ``--pure`` runs both on the pure parser.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import ROOT, Worker, e2e_server, live_server, median

CELLS = "sync:tokens,sync:named,asyncio:tokens,asyncio:named,sync:live,asyncio:live,trio:live"


def export(ref: str, into: Path, build: bool) -> str:
    """Write ``ref``'s tree under ``into``; return the short commit id. With ``build``,
    and a ref that has the optional compiled parser core, build that in place, so the
    ref runs as a checkout after ``make test`` does (a failed build leaves it pure)."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "--verify", "-q", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if found.returncode:
        raise SystemExit(f"compare_ref.py: no commit {ref!r} in {ROOT} (a shallow clone?)")
    commit = found.stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    if build and (into / "sse_post" / "_speedups.c").exists() and (into / "setup.py").exists():
        built = subprocess.run(
            [sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"],
            cwd=into,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if built.returncode:
            print(f"(building {ref}'s compiled parser core failed: it runs pure)\n")
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", default="main~1", help="git ref to compare with")
    parser.add_argument("--new", help="git ref to measure instead of this working tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", default=CELLS, help="mode:workload, comma-separated")
    parser.add_argument("--live-events", type=int, default=2000)
    parser.add_argument("--gap", type=int, default=300, help="live: microseconds between events")
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--pure", action="store_true", help="both sides on the pure parser")
    parser.add_argument("--fail", action="store_true", help="exit 1 when a cell is flagged")
    args = parser.parse_args(argv)
    cells = [tuple(cell.split(":")) for cell in args.cells.split(",")]
    env = {"SSE_POST_NO_EXTENSIONS": "1"} if args.pure else {}
    with contextlib.ExitStack() as stack:
        tree = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sse-post-base-")))
        commit = export(args.baseline, tree / "old", not args.pure)
        if args.new:
            head = f"{args.new} = {export(args.new, tree / 'new', not args.pure)}"
            trees = {"new": tree / "new", "old": tree / "old"}
        else:
            head = subprocess.run(
                ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            trees = {"new": ROOT, "old": tree / "old"}
        sides = {side: Worker(str(where), env) for side, where in trees.items()}
        for side, worker in sides.items():
            stack.callback(worker.close)
            if not worker.info["sse_post"].startswith(f"{trees[side]}/"):
                raise RuntimeError(f"{side} imported {worker.info['sse_post']}")
        bases = {
            "bulk": stack.enter_context(e2e_server()),
            "live": stack.enter_context(live_server()),
        }
        print(
            f"# sse_post {head} (new, {sides['new'].info['impl']} parser) against "
            f"{args.baseline} = {commit} (old, {sides['old'].info['impl']}), "
            f"{time.strftime('%Y-%m-%d')}, median of {args.rounds} interleaved rounds\n"
        )
        if sides["new"].info["impl"] != sides["old"].info["impl"]:
            print("The two sides parse with different parsers: --pure compares like with like.\n")
        samples: dict[tuple[str, ...], dict[str, list[dict[str, float]]]] = {
            cell: {"new": [], "old": []} for cell in cells
        }
        for r in range(args.rounds):
            for cell in cells:
                mode, workload = cell
                order = ["new", "old"] if (r + cells.index(cell)) % 2 == 0 else ["old", "new"]
                for side in order:
                    s = sides[side].run(
                        mode=mode,
                        workload=workload,
                        contender="sse_post",
                        base=bases["live" if workload == "live" else "bulk"],
                        n=args.live_events,
                        gap=args.gap,
                    )
                    samples[cell][side].append(s)
        print(
            "| mode | workload | new CPU us/event | old CPU us/event | new/old | wall new/old | |"
        )
        print("|---|---|---:|---:|---:|---:|---|")
        flagged = 0
        for cell, got in samples.items():
            counts = {s["count"] for side in got.values() for s in side}
            if len(counts) != 1:
                raise AssertionError(f"{cell}: the two sides received {sorted(counts)} events")
            events = counts.pop()
            cpu = {side: median([s["cpu"] for s in runs]) for side, runs in got.items()}
            pairs = list(zip(got["old"], got["new"], strict=True))  # one pair per round
            ratio = median([old["cpu"] / new["cpu"] for old, new in pairs])
            wall_ratio = median([old["wall"] / new["wall"] for old, new in pairs])
            flag = "SLOWER" if ratio < 1 - args.threshold else ""
            flagged += bool(flag)
            print(
                f"| {cell[0]} | {cell[1]} | {cpu['new'] / events * 1e6:.2f} "
                f"| {cpu['old'] / events * 1e6:.2f} | {ratio:.3f} "
                f"| {wall_ratio:.3f} | {flag} |",
                flush=True,
            )
        print(
            f"\n{flagged} of {len(cells)} cells more than {args.threshold:.0%} slower than "
            f"{args.baseline}."
        )
    return 1 if flagged and args.fail else 0


if __name__ == "__main__":
    sys.exit(main())
