"""Recipe: a live log tail that keeps the last 100 lines."""

import collections
import os

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

tail: collections.deque[str] = collections.deque(maxlen=100)
with EventSource(f"{BASE}/v1/logs?lines=250", reconnect=False) as source:
    for event in source:
        tail.append(event.data)
        if event.data.startswith("WARN"):
            print("warning:", event.data)
print(len(tail), "lines kept; the last:", tail[-1])
