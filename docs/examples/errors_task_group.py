"""A chat message whose Stop button lives in a task group: errors arrive as an
ExceptionGroup, caught with except*; each message gets a new AbortController."""

import os

import anyio

from sse_post import AbortController, AsyncEventSource, ConnectionLostError, ResponseError

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


async def send_message(
    prompt: str, *, path: str = "/v1/chat/completions", stop_after: int | None = None
) -> AbortController:
    # A new controller for every message: an aborted controller stays aborted, and a
    # source given its signal would end at once, before sending anything.
    controller = AbortController()
    stop_pressed = anyio.Event()
    body = {"stream": True, "messages": [{"role": "user", "content": prompt}]}

    async def stream() -> None:
        tokens = 0
        async with AsyncEventSource(
            BASE + path, method="POST", json=body, signal=controller.signal
        ) as source:
            async for event in source:
                if event.data == "[DONE]":
                    break
                for choice in event.json()["choices"]:  # none in a usage chunk
                    if text := choice["delta"].get("content"):
                        print(text, end="", flush=True)
                        tokens += 1
                if tokens == stop_after:
                    stop_pressed.set()  # in a UI, the user clicks Stop
        print(f"\n[{controller.signal.reason or 'finished'}]")
        tg.cancel_scope.cancel()  # the answer is over: retire the Stop button

    async def stop_button() -> None:
        await stop_pressed.wait()
        controller.abort("stopped by the user")

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stream)
            tg.start_soon(stop_button)
    # A task group raises what its tasks raised as an ExceptionGroup, even a single
    # error; except* picks the errors out of it by type.
    except* ResponseError as group:
        for exc in group.exceptions:
            print(f"the server answered {exc.status_code}: {exc.body}")
    except* ConnectionLostError as group:
        for exc in group.exceptions:
            print(f"the stream broke: {exc} (last event ID {exc.last_event_id!r})")
    return controller


async def main() -> None:
    await send_message("Hello")
    stopped = await send_message("Tell me something long", stop_after=5)
    await send_message("Hello", path="/v1/no-such-endpoint")

    # Reusing the aborted controller: the source ends at once, with no request sent.
    async with AsyncEventSource(
        f"{BASE}/v1/chat/completions", method="POST", json={}, signal=stopped.signal
    ) as source:
        events = [event async for event in source]
    print(f"an aborted controller stays aborted: {stopped.signal.aborted}, {len(events)} events")


anyio.run(main)
