"""After: sse_post. Same EventSource shape; any method, body and headers; async too."""

import os

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

with EventSource(f"{BASE}/v1/feed?count=3", timeout=30) as event_source:
    for event in event_source:
        print(event.id, event.json()["title"])
        if event.id == "3":
            break
