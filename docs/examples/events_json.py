"""Typed events: event, data, id, retry, and .json() with a clear error on non-JSON data."""

import os

from sse_post import EventDataError, EventSource, ServerSentEvent

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

with EventSource(f"{BASE}/v1/feed?count=2", reconnect=False) as source:
    for event in source:
        print(event.event, event.id, event.json()["title"])

done = ServerSentEvent(data="[DONE]")
try:
    done.json()
except EventDataError as exc:  # also a ValueError
    print("not JSON:", exc.event.data)

# Events compare by value, which makes them easy to assert on.
assert ServerSentEvent(data="hi") == ServerSentEvent(event="message", data="hi", id="", retry=None)
