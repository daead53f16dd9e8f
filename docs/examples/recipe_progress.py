"""Recipe: progress of a long job, each event a step and a percentage, as a progress bar."""

import os
import sys

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


def bar(percent: int, step: str) -> str:
    filled = percent * 30 // 100
    return f"[{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% {step}"


with EventSource(
    f"{BASE}/v1/jobs", method="POST", json={"job": "report"}, idle_timeout=30
) as source:
    for event in source:
        if event.event == "progress":
            progress = event.json()
            end = "\r" if sys.stdout.isatty() else "\n"
            print(bar(progress["percent"], progress["step"]), end=end, flush=True)
        elif event.event == "done":
            print(f"\nreport ready: {event.json()['report']}")
            break
