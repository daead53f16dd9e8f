"""Before: requests-sse."""

import json
import os

from requests_sse import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

with EventSource(f"{BASE}/v1/feed?count=3", timeout=30) as event_source:
    for event in event_source:
        print(event.last_event_id, json.loads(event.data)["title"])
        if event.last_event_id == "3":
            break
