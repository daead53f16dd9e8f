"""``sse-post demo``: an embedded event-stream server on 127.0.0.1 and a guided tour.

Standard library only, nothing from the network. The server's endpoints imitate what
people stream in practice:

- ``POST /v1/chat/completions``: an OpenAI-style chat completion, answered token by
  token and ended with ``data: [DONE]``;
- ``GET /v1/feed``: a notification feed with ids and ``retry:``, which drops its first
  connection mid-event to show a resume with ``Last-Event-ID``;
- ``POST /v1/messages``: an Anthropic-style stream of named events
  (``message_start``, ``content_block_delta``..., ``message_stop``);
- ``POST /v1/jobs``: progress events for a long job, then a ``done`` event;
- ``GET /v1/logs``: a log tail.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._tour import Tour

__all__ = ["DemoServer", "main"]

TOKEN_DELAY = 0.015  # seconds between tokens: fast, but visibly streaming


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        routes = {
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/v1/messages"): self._messages,
            ("GET", "/v1/feed"): self._feed,
            ("POST", "/v1/jobs"): self._job,
            ("GET", "/v1/logs"): self._logs,
        }
        handler = routes.get((self.command, url.path))
        if handler is None:
            self._plain(404, b'{"error": "no such endpoint"}')
            return
        try:
            handler(body, query)
        except (ConnectionError, OSError):
            self.server.clients_gone.append(url.path)  # the client left mid-stream
            self.close_connection = True

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _start(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chat(self, body: bytes, query: dict[str, str]) -> None:
        try:
            request = json.loads(body or b"{}")
            prompt = str(request["messages"][-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            self._plain(400, b'{"error": "expected {\\"messages\\": [{\\"content\\": ...}]}"}')
            return
        answer = _answer(prompt, long="long" in prompt.lower())
        self._start()
        # The shape real OpenAI-compatible servers send, so that code written against the
        # demo survives them: a keep-alive comment, a first delta with the role and no
        # content, one delta per token, a finish chunk whose delta is empty, a usage chunk
        # with no choices at all, then [DONE].
        self._send(b": keep-alive\n\n")
        self._chunk([{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}])
        time.sleep(TOKEN_DELAY)  # the time to the first token
        for n, word in enumerate(answer.split(" "), 1):
            delta = {"content": word + " "}
            self._chunk([{"index": 0, "delta": delta, "finish_reason": None}])
            if n % 10 == 0:
                self._send(b": keep-alive\n\n")
            time.sleep(TOKEN_DELAY)
        self._chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        words = len(answer.split(" "))
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": words}
        self._chunk([], usage=usage)
        self._send(b"data: [DONE]\n\n")
        self._end()

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> None:
        chunk = {
            "id": "chatcmpl-demo",
            "object": "chat.completion.chunk",
            "model": "demo",
            "choices": choices,
            **extra,
        }
        self._send(b"data: " + json.dumps(chunk).encode() + b"\n\n")

    def _messages(self, body: bytes, query: dict[str, str]) -> None:
        try:
            prompt = str(json.loads(body or b"{}")["messages"][-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            self._plain(400, b'{"error": "expected {\\"messages\\": [{\\"content\\": ...}]}"}')
            return
        self._start()

        def named(event: str, data: dict[str, Any]) -> None:
            self._send(b"event: %s\ndata: %s\n\n" % (event.encode(), json.dumps(data).encode()))

        named("message_start", {"type": "message_start", "message": {"id": "msg_demo"}})
        named("content_block_start", {"type": "content_block_start", "index": 0})
        for word in _answer(prompt, long=False).split(" "):
            delta = {"type": "text_delta", "text": word + " "}
            named(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
            time.sleep(TOKEN_DELAY)
        self._send(b'event: ping\ndata: {"type": "ping"}\n\n')
        named("content_block_stop", {"type": "content_block_stop", "index": 0})
        named("message_stop", {"type": "message_stop"})
        self._end()

    def _feed(self, body: bytes, query: dict[str, str]) -> None:
        total = int(query.get("count", "6"))
        last = self.headers.get("Last-Event-ID")
        start = int(last) + 1 if last and last.isdigit() else 1
        if start > total:
            self.send_response(204)  # nothing more: the EventSource way to say stop
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._start()
        self._send(b"retry: 200\n\n")
        for n in range(start, total + 1):
            event = json.dumps({"title": f"notification {n}"}).encode()
            if last is None and n == 4:
                # Cut the first connection in the middle of event 4.
                self._send(b"event: notification\nid: 4\ndata: " + event[:10])
                self.close_connection = True
                return
            self._send(b"event: notification\nid: %d\ndata: %s\n\n" % (n, event))
            time.sleep(TOKEN_DELAY)
        self._end()

    def _job(self, body: bytes, query: dict[str, str]) -> None:
        steps = ["queued", "downloading", "parsing", "indexing", "summarising", "writing report"]
        self._start()
        for i, step in enumerate(steps, 1):
            progress = {
                "step": step,
                "done": i,
                "total": len(steps),
                "percent": round(100 * i / len(steps)),
            }
            self._send(b"event: progress\ndata: " + json.dumps(progress).encode() + b"\n\n")
            self._send(b": keep-alive\n\n")
            time.sleep(TOKEN_DELAY * 4)
        self._send(b'event: done\ndata: {"report": "/reports/42"}\n\n')
        self._end()

    def _logs(self, body: bytes, query: dict[str, str]) -> None:
        lines = int(query.get("lines", "0")) or None  # 0: forever
        self._start()
        n = 0
        while lines is None or n < lines:
            n += 1
            level = "WARN" if n % 7 == 0 else "INFO"
            self._send(
                b"event: log\nid: %d\ndata: %s worker-%d handled request %d\n\n"
                % (n, level.encode(), n % 3, n)
            )
            time.sleep(TOKEN_DELAY * (10 if lines is None else 1))
        self._end()


def _answer(prompt: str, *, long: bool) -> str:
    text = (
        f'You asked: "{prompt}". This answer is streamed token by token over a POST '
        "request, the way chat completion APIs do, and sse_post hands each token to your "
        "loop the moment it arrives."
    )
    if long:
        text += " " + " ".join(["And it goes on, and on,"] * 40) + " until someone presses Stop."
    return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    clients_gone: list[str]


class DemoServer:
    """The demo server, on 127.0.0.1 and a free port unless one is given; a context
    manager that serves from a background thread."""

    def __init__(self, port: int = 0) -> None:
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.clients_gone = []
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def clients_gone(self) -> list[str]:
        """Paths whose client left in the middle of a stream."""
        return self._httpd.clients_gone

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    def serve_forever(self) -> None:
        self._httpd.serve_forever()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sse-post demo", description="Run the offline demo.")
    parser.add_argument(
        "--serve", action="store_true", help="only run the demo server, until Ctrl-C"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port for --serve (default: a free one)"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.serve:
        return _serve(args.port)
    with DemoServer() as server:
        return Tour(server, sys.stdout).run()


def _serve(port: int) -> int:
    server = DemoServer(port)
    url = server.url
    print(
        f"sse_post demo server on {url} (Ctrl-C to stop). Try:\n\n"
        f"  sse-post {url}/v1/chat/completions --json "
        """'{"messages": [{"role": "user", "content": "Hello"}]}' \\\n"""
        "      --protocol openai_chat --text\n"
        f"  sse-post {url}/v1/messages --json "
        """'{"messages": [{"role": "user", "content": "Hi"}]}' --protocol anthropic_messages\n"""
        f"  sse-post {url}/v1/feed\n"
        f"  sse-post {url}/v1/jobs -X POST --format data\n"
        f"  sse-post {url}/v1/logs --max-events 20\n"
        f"  curl -N {url}/v1/feed\n",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 130
    return 0
