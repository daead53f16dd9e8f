"""AsyncEventSource on trio: the same code, another event loop."""

import os

import anyio

from sse_post import AsyncEventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


async def main() -> None:
    async with AsyncEventSource(f"{BASE}/v1/jobs", method="POST", json={}) as source:
        async for event in source:
            if event.event == "progress":
                print(event.json()["percent"], end=" ")
    print()


anyio.run(main, backend="trio")
