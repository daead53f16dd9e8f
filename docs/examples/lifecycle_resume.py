"""Resume with a different request: the protocol's resume rule says what to send."""

import os

from sse_post import EventSource, ReconnectPolicy, ResumeState, StreamProtocol

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


def resume(state: ResumeState):
    # The original request, the last event ID, the first and last events, the first
    # response's headers and the attempt number: enough to build any resume call.
    print(f"attempt {state.attempt}: resuming after {state.last_event_id!r}")
    # Copy the original headers (a headers= callable has just given fresh ones), and
    # ask for a shorter feed; sse_post adds Last-Event-ID.
    return {"url": f"{BASE}/v1/feed?count=5", "headers": state.request.headers}


feed = StreamProtocol(resume=resume)
policy = ReconnectPolicy(initial_delay=0.1, min_delay=0.1)
with EventSource(f"{BASE}/v1/feed", protocol=feed, reconnect=policy) as source:
    print("ids:", " ".join(event.id for event in source))  # the feed is cut in event 4
print("last request:", source.url)
