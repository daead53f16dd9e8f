"""``sse-post``: a curl for server-sent events, on the sync ``EventSource``.

Usage: ``sse-post URL [options]``, or ``sse-post demo [--serve] [--port N]``. It parses
arguments, hands them to ``EventSource`` and prints what comes back; the streaming,
reconnecting and aborting are the library's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

import httpx

from . import __version__
from ._abort import AbortController
from ._errors import ConnectionLostError, EventTooLargeError, ResponseError, SSEError
from ._sync_client import EventSource

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._events import ServerSentEvent

__all__ = ["EXIT_CODES", "main"]

#: Exit codes, documented in ``sse-post --help`` and the docs.
EXIT_CODES = {
    "ok": 0,
    "error": 1,  # anything else
    "usage": 2,
    "response": 3,  # the server answered with an error status or a wrong content type
    "connection": 4,  # could not connect, or the stream broke and was not resumed
    "protocol": 5,  # an event over --max-event-size, or similar
    "interrupted": 130,  # Ctrl-C
}

_SECRET_WORDS = ("authorization", "cookie", "key", "token", "secret", "password", "auth")

EPILOG = """\
output:
  On a terminal, readable coloured lines; otherwise one JSON object per event
  ({"event", "data", "id", "retry"}), ready for jq. Status goes to stderr.

exit codes:
  0 ok, 1 other error, 2 usage, 3 HTTP error or wrong content type,
  4 connection failed or stream lost, 5 protocol error, 130 interrupted (Ctrl-C)

examples:
  sse-post demo
  sse-post https://api.example.com/v1/chat/completions -H 'Authorization: Bearer sk-...' \\
      --json '{"stream": true, "messages": [{"role": "user", "content": "Hi"}]}' \\
      --extract choices.0.delta.content
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sse-post",
        description="Stream server-sent events from any HTTP method (a curl for SSE).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="the URL to request, or 'demo' for the offline tour")
    parser.add_argument(
        "-X", "--request", dest="method", help="HTTP method (default: GET, or POST with a body)"
    )
    parser.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="request header, repeatable",
    )
    body = parser.add_mutually_exclusive_group()
    body.add_argument(
        "--json", dest="json_body", metavar="JSON", help="JSON body (sets Content-Type)"
    )
    body.add_argument(
        "-d", "--data", metavar="DATA", help="body as text, @FILE to read a file, @- for stdin"
    )
    parser.add_argument(
        "--last-event-id", default="", metavar="ID", help="resume from this event ID"
    )
    parser.add_argument("--no-reconnect", action="store_true", help="never reconnect")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="connect/read/write timeout in seconds"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        metavar="S",
        help="seconds without an event before reconnecting",
    )
    parser.add_argument("--max-events", type=int, metavar="N", help="stop after N events")
    parser.add_argument(
        "--format",
        choices=["auto", "jsonl", "pretty", "data"],
        default="auto",
        help="output format (default: auto)",
    )
    parser.add_argument(
        "--extract",
        metavar="PATH",
        help="print a field of each event's JSON data as one text (e.g. choices.0.delta.content)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show request and response headers (secrets redacted)",
    )
    parser.add_argument("--version", action="version", version=f"sse-post {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["demo"]:
        from ._demo import main as demo_main

        return demo_main(args_list[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        request = _request_options(args)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"sse-post: error: {exc}", file=sys.stderr)
        return EXIT_CODES["usage"]
    return _stream(args, request)


def _request_options(args: argparse.Namespace) -> dict[str, Any]:
    headers = []
    for header in args.headers:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"expected -H 'Name: value', got {header!r}")
        headers.append((name.strip(), value.strip()))
    options: dict[str, Any] = {"headers": headers}
    if args.json_body is not None:
        try:
            options["json"] = json.loads(args.json_body)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"expected valid JSON after --json, got {args.json_body!r} ({exc})"
            ) from None
    elif args.data is not None:
        options["content"] = _read_data(args.data)
    has_body = "json" in options or "content" in options
    options["method"] = (args.method or ("POST" if has_body else "GET")).upper()
    if args.last_event_id:
        options["last_event_id"] = args.last_event_id
    if args.no_reconnect:
        options["reconnect"] = False
    if args.timeout is not None:
        options["timeout"] = httpx.Timeout(args.timeout)
    if args.idle_timeout is not None:
        options["idle_timeout"] = args.idle_timeout
    if args.max_events is not None and args.max_events < 1:
        raise ValueError(f"expected --max-events of at least 1, got {args.max_events}")
    return options


def _read_data(value: str) -> bytes:
    if value == "@-":
        return sys.stdin.buffer.read()
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as file:
                return file.read()
        except OSError as exc:
            raise ValueError(f"cannot read the body file {value[1:]!r}: {exc.strerror}") from None
    return value.encode()


def redact(name: str, value: str) -> str:
    """The value to show for a header: secrets keep only their first characters."""
    if any(word in name.lower() for word in _SECRET_WORDS):
        scheme, _, rest = value.partition(" ")
        if rest and scheme.lower() in ("bearer", "basic", "token"):
            return f"{scheme} [redacted]"
        return "[redacted]"
    return value


def _stream(args: argparse.Namespace, request: dict[str, Any]) -> int:
    out = sys.stdout
    err = sys.stderr
    style = args.format
    if style == "auto":
        style = "pretty" if out.isatty() else "jsonl"
    colour = style == "pretty" and out.isatty() and "NO_COLOR" not in os.environ
    controller = AbortController()
    started = time.monotonic()
    count = 0
    downloaded = 0
    printer = _Printer(out, style, args.extract, colour)

    def on_open(response: httpx.Response) -> None:
        ctype = response.headers.get("content-type", "")
        print(f"* connected: {response.status_code} {ctype} {response.url}", file=err)
        if args.verbose:
            for name, value in response.headers.items():
                print(f"< {name}: {redact(name, value)}", file=err)

    def on_reconnect(delay: float, error: BaseException | None) -> None:
        why = f" after {type(error).__name__}: {error}" if error else " after the stream ended"
        print(
            f"* reconnecting in {delay:.2f} s{why} (Last-Event-ID: {source.last_event_id or '-'})",
            file=err,
        )

    if args.verbose:
        print(f"> {request['method']} {args.url}", file=err)
        for name, value in request["headers"]:
            print(f"> {name}: {redact(name, value)}", file=err)
    source = EventSource(
        args.url,
        signal=controller.signal,
        on_open=on_open,
        on_reconnect=on_reconnect,
        reconnect=request.pop("reconnect", True),
        **request,
    )
    code = EXIT_CODES["ok"]
    try:
        try:
            for event in source:
                count += 1
                printer.show(event)
                if args.max_events is not None and count >= args.max_events:
                    break
        finally:
            response = source.response
            if response is not None:
                downloaded = response.num_bytes_downloaded
            source.close()
    except KeyboardInterrupt:
        controller.abort("interrupted")
        code = EXIT_CODES["interrupted"]
    except ResponseError as exc:
        code = _fail(err, exc, "response")
    except EventTooLargeError as exc:
        code = _fail(err, exc, "protocol")
    except (ConnectionLostError, httpx.TransportError) as exc:
        code = _fail(err, exc, "connection")
    except (SSEError, httpx.HTTPError) as exc:
        code = _fail(err, exc, "error")
    printer.finish()
    elapsed = time.monotonic() - started
    note = " (interrupted)" if code == EXIT_CODES["interrupted"] else ""
    print(f"* {count} events, {downloaded} bytes, {elapsed:.2f} s{note}", file=err)
    return code


def _fail(err: TextIO, exc: BaseException, kind: str) -> int:
    cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
    print(f"sse-post: {exc}{cause}", file=err)
    return EXIT_CODES[kind]


class _Printer:
    def __init__(self, out: TextIO, style: str, extract: str | None, colour: bool) -> None:
        self.out = out
        self.style = style
        self.path = [int(p) if p.isdigit() else p for p in extract.split(".")] if extract else None
        self.colour = colour
        self.partial = False  # extracted text printed without a final newline

    def show(self, event: ServerSentEvent) -> None:
        out = self.out
        if self.path is not None:
            piece = _extract(event.data, self.path)
            if piece is not None:
                out.write(piece)
                self.partial = not piece.endswith("\n")
        elif self.style == "jsonl":
            record = {
                "event": event.event,
                "data": event.data,
                "id": event.id,
                "retry": event.retry,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.style == "data":
            out.write(event.data + "\n")
        else:
            name = f"\033[36m{event.event}\033[0m" if self.colour else event.event
            ident = f" #{event.id}" if event.id else ""
            if self.colour and ident:
                ident = f"\033[2m{ident}\033[0m"
            out.write(f"{name}{ident}: {event.data}\n")
        out.flush()

    def finish(self) -> None:
        if self.partial:
            self.out.write("\n")
            self.out.flush()


def _extract(data: str, path: list[str | int]) -> str | None:
    try:
        value: Any = json.loads(data)
    except ValueError:
        return None  # an end marker such as [DONE]
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)
