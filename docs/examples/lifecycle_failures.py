"""What each failure raises, and how fast: a POST reports at once, a GET feed retries."""

import os
import socket
import time

from sse_post import EventSource, NetworkError, ReconnectError, ReconnectPolicy, SSEError

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")

# A programming error raises at once, when the source is made, and is never retried.
try:
    EventSource("127.0.0.1:8000/v1/feed")
except ValueError as exc:
    print("ValueError:", exc)

with socket.socket() as sock:  # a port where nothing listens
    sock.bind(("127.0.0.1", 0))
    down = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/chat"

# A POST that cannot start reports at once, with the reason; the transport's own error
# is the __cause__.
start = time.monotonic()
try:
    with EventSource(down, method="POST", json={}) as source:
        for _ in source:
            pass
except NetworkError as exc:
    print(f"NetworkError after {time.monotonic() - start:.1f} s: {exc.__cause__!r}")

# A GET feed keeps trying, as a browser's EventSource does, until the policy gives up.
policy = ReconnectPolicy(max_attempts=3, initial_delay=0.1, min_delay=0.1)
try:
    with EventSource(down, reconnect=policy) as source:
        for _ in source:
            pass
except ReconnectError as exc:
    print(f"ReconnectError after {exc.attempts} attempts")

# Every failure caused by the server, the network or a timeout is an SSEError.
try:
    with EventSource(f"{BASE}/v1/no-such-feed") as source:
        for _ in source:
            pass
except SSEError as exc:
    print(type(exc).__name__, exc.status_code)
