"""Comments (keep-alives, progress notes) reach on_comment, in order with the events."""

import os

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

with EventSource(
    f"{BASE}/v1/jobs", method="POST", json={}, on_comment=lambda text: print("comment:", text)
) as source:
    for event in source:
        print("event:", event.event)
