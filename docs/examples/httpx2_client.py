"""Pass a client from httpx2 (the fork the openai, anthropic and MCP SDKs use)."""

import os

import anyio
import httpx2

from sse_post import AsyncEventSource, EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
BODY = {"messages": [{"role": "user", "content": "Hi"}]}

with httpx2.Client() as client:
    with EventSource(
        f"{BASE}/v1/chat/completions", method="POST", json=BODY, client=client
    ) as source:
        print(
            "sync:", sum(1 for _ in source), "events over", type(client).__module__.split(".")[0]
        )


async def main() -> None:
    async with httpx2.AsyncClient() as client:
        url = f"{BASE}/v1/chat/completions"
        async with AsyncEventSource(url, method="POST", json=BODY, client=client) as source:
            print("async:", len([e async for e in source]), "events")


anyio.run(main)
