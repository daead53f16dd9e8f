"""Fresh credentials on every attempt: a headers callable, or an httpx.Auth."""

import itertools
import os

import httpx

from sse_post import EventSource, ReconnectPolicy

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
tokens = (f"token-{n}" for n in itertools.count(1))  # stands for your token cache
policy = ReconnectPolicy(initial_delay=0.1, min_delay=0.1)


def fresh_headers() -> dict[str, str]:
    token = next(tokens)
    print("attempt with", token)
    return {"Authorization": f"Bearer {token}"}


# Called before every attempt: the feed is cut once, and ends with a 204.
with EventSource(f"{BASE}/v1/feed", headers=fresh_headers, reconnect=policy) as source:
    print("events:", sum(1 for _ in source))


class RefreshingAuth(httpx.Auth):
    """Sends the current token; on 401, refreshes it and sends the request again."""

    def __init__(self) -> None:
        self.token = next(tokens)

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = next(tokens)
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


auth = RefreshingAuth()
with EventSource(f"{BASE}/v1/feed", auth=auth, reconnect=policy) as source:
    print("with auth:", sum(1 for _ in source), "events, last token", auth.token)
