"""Recipe: an Anthropic-style stream of named events (message_start, content_block_delta...)."""

import os

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {
    "model": "demo",
    "max_tokens": 256,
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}
headers = {"x-api-key": "sk-demo", "anthropic-version": "2023-06-01"}
text = []
with EventSource(f"{BASE}/v1/messages", method="POST", json=body, headers=headers) as source:
    for event in source:
        if event.event == "content_block_delta":
            delta = event.json()["delta"]
            if delta["type"] == "text_delta":
                text.append(delta["text"])
                print(delta["text"], end="", flush=True)
        elif event.event == "message_stop":
            break
        elif event.event == "error":
            raise RuntimeError(event.json())
        # message_start, content_block_start/stop and ping need nothing here
print()
