"""The parser over aiohttp: aparse() takes any async iterable of bytes."""

import asyncio
import os

import aiohttp

import sse_post

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


async def main() -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{BASE}/v1/chat/completions", json=body) as response:
            response.raise_for_status()
            async for event in sse_post.aparse(response.content.iter_any()):
                if event.data != "[DONE]":
                    for choice in event.json()["choices"]:  # none in a usage chunk
                        print(choice["delta"].get("content") or "", end="")
    print()


asyncio.run(main())
