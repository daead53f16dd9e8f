"""Aborting from another task and from another thread, on asyncio; the same on trio."""

import os
import threading

import anyio

from sse_post import AbortController, AsyncEventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
BODY = {"messages": [{"role": "user", "content": "Something long"}]}


async def consume(controller: AbortController, got: list[str], first: anyio.Event) -> None:
    url = f"{BASE}/v1/chat/completions"
    async with AsyncEventSource(url, method="POST", json=BODY, signal=controller.signal) as source:
        async for event in source:
            got.append(event.data)
            first.set()


async def main() -> None:
    # From another task.
    controller, got, first = AbortController(), [], anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(consume, controller, got, first)
        await first.wait()
        controller.abort("from a task")
    print("task abort after", len(got), "events")

    # From another thread: abort() is thread-safe and never blocks.
    controller, got, first = AbortController(), [], anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(consume, controller, got, first)
        await first.wait()
        threading.Thread(target=controller.abort, args=("from a thread",)).start()
    print("thread abort:", controller.signal.reason)

    # Cancelling the task (a cancel scope, a timeout) also ends it, and closes the connection.
    with anyio.move_on_after(0.05):
        await consume(AbortController(), [], anyio.Event())
    print("cancel scope: done")


anyio.run(main)
