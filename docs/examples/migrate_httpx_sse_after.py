"""After: sse_post. The same loop, plus abort, reconnection and errors that show the status."""

import os

import httpx

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with httpx.Client() as client:
    with EventSource(
        f"{BASE}/v1/chat/completions", method="POST", json=body, client=client
    ) as source:
        for sse in source:
            if sse.data != "[DONE]":
                for choice in sse.json()["choices"]:  # none in a usage chunk
                    print(choice["delta"].get("content") or "", end="")
print()
