"""The same stream with async for, on asyncio (or trio: anyio.run(main, backend="trio"))."""

import os

import anyio

from sse_post import AsyncEventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


async def main() -> None:
    body = {"stream": True, "messages": [{"role": "user", "content": "Hello"}]}
    async with AsyncEventSource(f"{BASE}/v1/chat/completions", method="POST", json=body) as source:
        async for event in source:
            if event.data == "[DONE]":
                break
            for choice in event.json()["choices"]:  # none in a usage chunk
                print(choice["delta"].get("content") or "", end="", flush=True)
    print()


anyio.run(main)
