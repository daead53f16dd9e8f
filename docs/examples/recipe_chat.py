"""Recipe: an OpenAI-compatible chat completion with a Stop button.

Each message gets its own AbortController: Stop aborts the message being generated,
from the UI thread, and the next message starts with a fresh one (an aborted controller
stays aborted). The preset ends the loop at [DONE] and turns an error chunk into
ServerEventError.
"""

import os
import sys
import threading

from sse_post import AbortController, EventSource, ServerEventError, protocols

BASE = os.environ.get("SSE_POST_DEMO_URL", "https://api.openai.com")
HEADERS = {"Authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', 'sk-demo')}"}


class ChatUI:
    """The parts of a chat window this recipe needs: a transcript, a Stop button."""

    def __init__(self) -> None:
        self.history: list[dict[str, str]] = []
        self.generating: AbortController | None = None  # the message Stop would abort

    def press_stop(self) -> None:  # called by the UI toolkit, on its own thread
        if self.generating is not None:
            self.generating.abort("stopped by the user")

    def send(self, prompt: str, *, press_stop_after: int | None = None) -> None:
        self.history.append({"role": "user", "content": prompt})
        controller = self.generating = AbortController()  # one per message
        body = {"model": "gpt-4o-mini", "stream": True, "messages": self.history}
        reply, tokens = "", 0
        try:
            with EventSource(
                f"{BASE}/v1/chat/completions",
                method="POST",
                json=body,
                headers=HEADERS,
                protocol=protocols.openai_chat,  # ends at [DONE]; error chunks raise
                signal=controller.signal,  # Stop ends the loop quietly
            ) as source:
                for event in source:
                    # "" for the role-only first chunk, the finish and the usage chunks.
                    text = protocols.text(event, protocols.openai_chat)
                    if text:
                        reply += text
                        tokens += 1
                        sys.stdout.write(text)
                        sys.stdout.flush()
                    if tokens == press_stop_after:  # simulate a click, from another thread
                        threading.Thread(target=self.press_stop).start()
        except ServerEventError as exc:  # the provider failed mid-answer
            print(f"\n[error: {exc.__cause__}]")
        finally:
            self.generating = None
        # Keep what was shown, even a stopped reply, so the conversation can go on.
        self.history.append({"role": "assistant", "content": reply})
        print(f"\n[{controller.signal.reason or 'finished'}]")


ui = ChatUI()
ui.send("What is SSE?")
ui.send("Tell me something long", press_stop_after=8)
ui.send("Thanks!")  # a fresh controller: the Stop above does not abort this one
