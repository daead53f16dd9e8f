"""A deadline for the whole stream, restart(), and a POST feed that ends and comes back."""

import os

from sse_post import DeadlineExceededError, EventSource, ReconnectPolicy, SSEError

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
long_chat = {"messages": [{"role": "user", "content": "a long answer please"}]}

# deadline= bounds the whole iteration, reconnects included.
try:
    with EventSource(
        f"{BASE}/v1/chat/completions", method="POST", json=long_chat, deadline=0.5
    ) as source:
        for _ in source:
            pass
except DeadlineExceededError as exc:
    print(
        isinstance(exc, SSEError), isinstance(exc, TimeoutError), exc
    )  # timed out: the stream outlived its deadline of 0.5 s

# restart() drops the connection and reconnects at once with Last-Event-ID; call it
# from any thread or task (a config change, a new token, a stream that looks stuck).
policy = ReconnectPolicy(initial_delay=0.1, min_delay=0.1)
with EventSource(f"{BASE}/v1/feed", reconnect=policy) as source:
    for event in source:
        print("feed", event.id)
        if event.id == "2":
            source.restart()
            print("restarted")

# A POST stream ends with its response, unless the policy says the feed comes back:
# then it is sent again (body and Last-Event-ID) after each clean end.
again = ReconnectPolicy(reconnect_after_end=True, initial_delay=0.1, min_delay=0.1)
runs = 0
with EventSource(f"{BASE}/v1/jobs", method="POST", json={}, reconnect=again) as source:
    for event in source:
        if event.event == "done":
            runs += 1
            print("job done, run", runs)
            if runs == 2:
                break
