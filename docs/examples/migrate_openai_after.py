"""After: sse_post's parser over the same httpx stream, a public and spec-exact decoder."""

import os

import httpx

import sse_post

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with httpx.Client() as client:
    with client.stream("POST", f"{BASE}/v1/chat/completions", json=body) as response:
        for sse in sse_post.parse(response.iter_bytes()):
            if sse.data != "[DONE]":
                for choice in sse.json()["choices"]:  # none in a usage chunk
                    print(choice["delta"].get("content") or "", end="")
print()
