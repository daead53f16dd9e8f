"""The sans-I/O parser driven by hand, over urllib3: feed() per chunk, close() at the end."""

import json
import os

import urllib3

from sse_post import SSEParser

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

http = urllib3.PoolManager()
response = http.request("GET", f"{BASE}/v1/feed?count=3", preload_content=False)
parser = SSEParser()
for chunk in response.stream(1024):
    for event in parser.feed(chunk):
        print(event.id, json.loads(event.data)["title"])
parser.close()
response.release_conn()
print("resume from:", parser.last_event_id, "after", parser.retry, "ms")
