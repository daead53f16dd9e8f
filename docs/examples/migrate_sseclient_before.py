"""Before: sseclient-py over requests."""

import json
import os

import requests
import sseclient

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

body = {"messages": [{"role": "user", "content": "Hi"}]}
response = requests.post(
    f"{BASE}/v1/chat/completions",
    json=body,
    stream=True,
    headers={"Accept": "text/event-stream"},
    timeout=30,
)
client = sseclient.SSEClient(response)
for event in client.events():
    if event.data != "[DONE]":
        for choice in json.loads(event.data)["choices"]:  # none in a usage chunk
            print(choice["delta"].get("content") or "", end="")
print()
