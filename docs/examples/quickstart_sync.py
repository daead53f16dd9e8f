"""Stream a chat completion: POST with a JSON body, one token at a time."""

import os

from sse_post import EventSource

BASE = os.environ.get(
    "SSE_POST_DEMO_URL", "http://127.0.0.1:8000"
)  # sse-post demo --serve --port 8000

with EventSource(
    f"{BASE}/v1/chat/completions",
    method="POST",
    headers={"Authorization": "Bearer sk-demo"},
    json={"model": "demo", "stream": True, "messages": [{"role": "user", "content": "Hello"}]},
) as source:
    for event in source:
        if event.data == "[DONE]":
            break
        for choice in event.json()["choices"]:  # none in a usage chunk
            print(choice["delta"].get("content") or "", end="", flush=True)
print()
