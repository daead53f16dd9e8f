"""The parser alone, over requests' iter_content(): bytes in, events out."""

import os

import requests

import sse_post

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
with requests.post(f"{BASE}/v1/chat/completions", json=body, stream=True, timeout=30) as response:
    response.raise_for_status()
    for event in sse_post.parse(response.iter_content(chunk_size=None)):
        if event.data != "[DONE]":
            for choice in event.json()["choices"]:  # none in a usage chunk
                print(choice["delta"].get("content") or "", end="")
print()
