"""Errors that say what the server answered, and timeouts."""

import os

import httpx

from sse_post import EventSource, ResponseError, SSEError

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

try:
    with EventSource(f"{BASE}/v1/no-such-thing", method="POST", json={}) as source:
        for _ in source:
            pass
except ResponseError as exc:
    print(exc)  # expected 200 text/event-stream, got 404 application/json: {"error": ...}
    print(exc.status_code, exc.content_type, exc.body)

# Timeouts: httpx's connect/read/write/pool timeouts, idle_timeout for a stream that only
# sends keep-alives, deadline= for the whole answer. Every failure caused by a timeout is
# an SSEError that is also a TimeoutError and says "timed out": a NetworkTimeoutError if
# the headers never came; a ConnectionLostError if the stream broke (a POST without event
# IDs cannot be resumed).
try:
    timeout = httpx.Timeout(5.0, read=0.001)
    with EventSource(f"{BASE}/v1/jobs", method="POST", json={}, timeout=timeout) as source:
        for _ in source:
            pass
except SSEError as exc:  # every failure of the server, the network or a timeout
    print("a timeout:", isinstance(exc, TimeoutError), "timed out" in str(exc))
    print("caused by:", type(exc.__cause__).__name__)
