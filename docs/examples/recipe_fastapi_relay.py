"""Recipe: relay an upstream SSE stream from a FastAPI endpoint to your own clients.

The endpoint streams from the upstream with AsyncEventSource and re-emits each event;
when your client disconnects, FastAPI cancels the generator, which closes the upstream
connection too.
"""

import os

import anyio
import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from sse_post import AsyncEventSource
from sse_post.testing import format_event

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
app = FastAPI()


@app.post("/chat")
async def chat(body: dict[str, object]) -> StreamingResponse:
    async def relay():
        async with AsyncEventSource(
            f"{BASE}/v1/chat/completions", method="POST", json=body
        ) as upstream:
            async for event in upstream:
                yield format_event(
                    event.data, event=None if event.event == "message" else event.event
                )

    return StreamingResponse(relay(), media_type="text/event-stream")


async def main() -> None:
    # Try it in-process; in production run `uvicorn recipe_fastapi_relay:app`.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
        body = {"messages": [{"role": "user", "content": "relay me"}]}
        async with AsyncEventSource("/chat", method="POST", json=body, client=client) as source:
            async for event in source:
                if event.data != "[DONE]":
                    for choice in event.json()["choices"]:  # none in a usage chunk
                        print(choice["delta"].get("content") or "", end="")
    print()


if __name__ == "__main__":
    anyio.run(main)
