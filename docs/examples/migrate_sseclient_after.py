"""After: sse_post. No requests session to manage; abort and reconnection built in."""

import os

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with EventSource(f"{BASE}/v1/chat/completions", method="POST", json=body, timeout=30) as source:
    for event in source:
        if event.data != "[DONE]":
            for choice in event.json()["choices"]:  # none in a usage chunk
                print(choice["delta"].get("content") or "", end="")
print()
