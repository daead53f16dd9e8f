"""Headers and authentication: per-source headers, or your own configured httpx client."""

import os

import httpx

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
body = {"messages": [{"role": "user", "content": "Hi"}]}

# Headers given to the source; the dict is copied, never modified.
headers = {"Authorization": "Bearer sk-demo", "OpenAI-Organization": "org-demo"}
with EventSource(
    f"{BASE}/v1/chat/completions", method="POST", json=body, headers=headers
) as source:
    print("with headers:", sum(1 for _ in source), "events")
assert headers == {"Authorization": "Bearer sk-demo", "OpenAI-Organization": "org-demo"}

# Or a client of your own (base URL, auth, proxies, limits...), shared by many sources.
with httpx.Client(base_url=BASE, headers={"Authorization": "Bearer sk-demo"}) as client:
    with EventSource("/v1/chat/completions", method="POST", json=body, client=client) as source:
        print("with a client:", sum(1 for _ in source), "events")
