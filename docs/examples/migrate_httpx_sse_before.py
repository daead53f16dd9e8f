"""Before: httpx-sse."""

import os

import httpx
from httpx_sse import connect_sse

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with httpx.Client() as client:
    with connect_sse(client, "POST", f"{BASE}/v1/chat/completions", json=body) as event_source:
        for sse in event_source.iter_sse():
            if sse.data != "[DONE]":
                for choice in sse.json()["choices"]:  # none in a usage chunk
                    print(choice["delta"].get("content") or "", end="")
print()
