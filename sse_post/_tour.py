"""The guided tour that ``sse-post demo`` prints, run against the embedded demo server."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._abort import AbortController
from ._policy import ReconnectPolicy
from ._sync_client import EventSource

if TYPE_CHECKING:
    from ._demo import DemoServer

__all__ = ["Tour"]


def _content(chunk: Any) -> str:
    """The text of a chat completion chunk: none in the role, finish and usage chunks."""
    return "".join(choice["delta"].get("content") or "" for choice in chunk["choices"])


class Tour:
    """The guided tour of ``sse-post demo``, against a running ``DemoServer``."""

    def __init__(self, server: DemoServer, out: Any) -> None:
        self.server = server
        self.out = out
        self.tty = out.isatty()

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def heading(self, text: str) -> None:
        self.say()
        self.say(f"\033[1m{text}\033[0m" if self.tty else f"== {text}")

    def run(self) -> int:
        self.say(
            f"sse_post demo: an embedded server is streaming on {self.server.url} "
            "(no network used)."
        )
        self.chat()
        self.stop_button()
        self.resume()
        self.progress()
        self.say()
        self.say("Done. Poke the server yourself with: sse-post demo --serve")
        return 0

    def chat(self) -> None:
        self.heading("1. A chat completion: POST with a JSON body, streamed token by token")
        url = self.server.url + "/v1/chat/completions"
        body = {
            "model": "demo",
            "stream": True,
            "messages": [{"role": "user", "content": "What is SSE?"}],
        }
        self.say(f"POST {url}")
        with EventSource(
            url, method="POST", json=body, headers={"Authorization": "Bearer demo"}
        ) as source:
            for event in source:
                if event.data == "[DONE]":
                    break
                self.out.write(_content(event.json()))
                self.out.flush()
        self.say("\n[DONE]")

    def stop_button(self) -> None:
        self.heading("2. A Stop button: abort a stream mid-flight from another thread")
        url = self.server.url + "/v1/chat/completions"
        body = {"messages": [{"role": "user", "content": "Tell me something long"}]}
        controller = AbortController()
        tokens = 0
        with EventSource(url, method="POST", json=body, signal=controller.signal) as source:
            for event in source:
                text = _content(event.json()) if event.data != "[DONE]" else ""
                if not text:
                    continue  # the role, the finish or the usage chunk
                self.out.write(text)
                self.out.flush()
                tokens += 1
                if tokens == 12:  # the user presses Stop, from the UI thread
                    threading.Thread(target=controller.abort, args=("stop pressed",)).start()
        self.say(
            f"\n[stopped after {tokens} tokens: signal.reason = {controller.signal.reason!r}]"
        )

    def resume(self) -> None:
        self.heading("3. A live feed over GET: the server drops the connection, we resume")
        url = self.server.url + "/v1/feed"

        def on_reconnect(delay: float, error: BaseException | None) -> None:
            why = f"connection lost ({type(error).__name__})" if error else "stream ended"
            self.say(
                f"   ... {why}, reconnecting in {delay:.2f} s "
                f"with Last-Event-ID: {source.last_event_id}"
            )

        policy = ReconnectPolicy(jitter=0)
        with EventSource(url, reconnect=policy, on_reconnect=on_reconnect) as source:
            for event in source:
                self.say(f"   {event.event} #{event.id}: {event.json()['title']}")
        self.say("   (the server answered 204 when there was nothing more: the feed ended)")

    def progress(self) -> None:
        self.heading("4. Progress of a long job, driven by progress events")
        url = self.server.url + "/v1/jobs"
        with EventSource(url, method="POST", json={"job": "report"}) as source:
            for event in source:
                if event.event == "progress":
                    p = event.json()
                    bar = "#" * (p["percent"] // 5)
                    line = f"   [{bar:<20}] {p['percent']:3d}% {p['step']}"
                    if self.tty:
                        self.out.write("\r" + line.ljust(60))
                        self.out.flush()
                    else:
                        self.say(line)
                elif event.event == "done":
                    if self.tty:
                        self.say()
                    self.say(f"   done: {event.json()['report']}")
