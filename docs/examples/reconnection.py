"""A live feed over GET: reconnection with Last-Event-ID and the server's retry: time."""

import os

from sse_post import EventSource, ReconnectPolicy

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


def on_reconnect(delay: float, error: BaseException | None) -> None:
    why = type(error).__name__ if error else "clean end"
    print(f"  reconnecting in {delay:.2f} s ({why}), Last-Event-ID: {source.last_event_id}")


policy = ReconnectPolicy(max_attempts=10, max_delay=5.0)  # None: never give up
with EventSource(f"{BASE}/v1/feed", reconnect=policy, on_reconnect=on_reconnect) as source:
    for event in source:
        print(f"{event.id}: {event.json()['title']}")
print("the server said 204: nothing more")
