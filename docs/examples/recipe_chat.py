"""Recipe: an OpenAI-compatible chat completion with [DONE] and a Stop button.

The UI appends each delta to the message on screen; Stop aborts from the UI thread; the
server sees the connection close and stops generating.
"""

import os
import sys
import threading

from sse_post import AbortController, EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")


class ChatUI:
    def __init__(self) -> None:
        self.message = ""
        self.stop_button = AbortController()
        self.input_enabled = False

    def append(self, delta: str) -> None:
        self.message += delta
        sys.stdout.write(delta)
        sys.stdout.flush()

    def press_stop(self) -> None:  # called by the UI toolkit, on its own thread
        self.stop_button.abort("stopped by the user")


def complete(ui: ChatUI, prompt: str, *, stop_after: int | None = None) -> None:
    body = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    headers = {"Authorization": f"Bearer {os.environ.get('API_KEY', 'sk-demo')}"}
    deltas = 0
    with EventSource(
        f"{BASE}/v1/chat/completions",
        method="POST",
        json=body,
        headers=headers,
        signal=ui.stop_button.signal,
    ) as source:
        for event in source:
            if event.data == "[DONE]":  # the end marker
                break
            # The first chunk holds only the role, the last ones a finish_reason and the
            # usage (with no choices): count only the chunks that carry text.
            for choice in event.json()["choices"]:
                if text := choice["delta"].get("content"):
                    ui.append(text)
                    deltas += 1
            if deltas == stop_after:  # simulate a click on Stop from another thread
                threading.Thread(target=ui.press_stop).start()
    ui.input_enabled = True  # whether it finished or was stopped
    print(f"\n[{ui.stop_button.signal.reason or 'finished'}]")


complete(ChatUI(), "What is SSE?")
complete(ChatUI(), "Tell me something long", stop_after=8)
