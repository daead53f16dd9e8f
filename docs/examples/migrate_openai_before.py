"""Before: openai's internal SSEDecoder over an httpx stream (what the SDK does inside)."""

import json
import os

import httpx
from openai._streaming import SSEDecoder

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with httpx.Client() as client:
    with client.stream("POST", f"{BASE}/v1/chat/completions", json=body) as response:
        for sse in SSEDecoder().iter_bytes(response.iter_bytes()):
            if sse.data != "[DONE]":
                for choice in json.loads(sse.data)["choices"]:  # none in a usage chunk
                    print(choice["delta"].get("content") or "", end="")
print()
