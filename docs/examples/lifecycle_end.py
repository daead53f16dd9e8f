"""End events: the loop ends at the answer's last event, and a cut answer is an error."""

import os

from sse_post import EventSource, IncompleteStreamError, StreamProtocol

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

# A bare sentinel ends the loop and is not yielded: every event here is a JSON chunk.
chat = StreamProtocol(end=lambda event: event.data == "[DONE]")
body = {"messages": [{"role": "user", "content": "Hi"}]}
with EventSource(f"{BASE}/v1/chat/completions", method="POST", json=body, protocol=chat) as source:
    # A real stream's first delta has only the role; a usage chunk has no choices.
    words = [
        choice["delta"].get("content") or ""
        for event in source
        for choice in event.json()["choices"]
    ]
print("".join(words).strip())

# An end event with JSON data is yielded, then the loop ends (and the connection closes,
# even if the server kept it open).
job = StreamProtocol(end=lambda event: event.event == "done")
with EventSource(f"{BASE}/v1/jobs", method="POST", json={}, protocol=job) as source:
    last = list(source)[-1]
print(f"{last.event}: {last.json()['report']}")

# With an end rule, a stream that stops before its end event raises IncompleteStreamError
# after delivering what came: a truncated answer never passes for a complete one. (This
# feed is cut in the middle of its 4th event; reconnect=False forbids resuming it.)
six = StreamProtocol(end=lambda event: event.id == "6")
try:
    with EventSource(f"{BASE}/v1/feed", protocol=six, reconnect=False) as source:
        for event in source:
            print("got", event.id)
except IncompleteStreamError as exc:
    print(f"incomplete after event {exc.last_event_id}: {exc}")
