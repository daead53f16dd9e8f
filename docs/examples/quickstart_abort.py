"""Abort a stream from another thread: the loop ends quietly, the connection closes."""

import os
import threading

from sse_post import AbortController, EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

controller = AbortController()
body = {"messages": [{"role": "user", "content": "Tell me something long"}]}
tokens = []
with EventSource(
    f"{BASE}/v1/chat/completions", method="POST", json=body, signal=controller.signal
) as source:
    for event in source:
        if event.data == "[DONE]":
            break
        for choice in event.json()["choices"]:  # none in a usage chunk
            if text := choice["delta"].get("content"):  # none in the role and finish chunks
                tokens.append(text)
        if len(tokens) == 5:
            # In an app this is the Stop button's handler, on the UI thread.
            threading.Thread(target=controller.abort, args=("user pressed Stop",)).start()
print(f"stopped after {len(tokens)} tokens: {controller.signal.reason}")
print(f"ready_state: {source.ready_state.name}")
