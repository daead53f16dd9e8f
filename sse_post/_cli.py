"""``sse-post``: a curl for server-sent events, on the sync ``EventSource``.

Usage: ``sse-post URL [options]``, or ``sse-post demo [--serve] [--port N]``. It parses
arguments, hands them to ``EventSource`` and prints what comes back; the streaming,
reconnecting and aborting are the library's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx

from . import protocols
from ._abort import AbortController
from ._cli_options import EXIT_CODES, PRESETS, build_parser
from ._cli_print import Printer, Redactor, http_hooks
from ._errors import (
    ConnectionLostError,
    EventTooLargeError,
    NetworkError,
    RedirectError,
    ResponseError,
    ServerEventError,
    SSEError,
)
from ._httpx import DEFAULT_TIMEOUT
from ._sync_client import EventSource

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

__all__ = ["EXIT_CODES", "main"]


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
        # Like curl: @FILE and @- read the body; JSON text never starts with "@".
        from_file = args.json_body.startswith("@")
        text = _read_data(args.json_body) if from_file else args.json_body
        try:
            options["json"] = json.loads(text)
        except (ValueError, RecursionError) as exc:  # json.loads also takes bytes
            where = "stdin" if args.json_body == "@-" else args.json_body[1:]
            got = f"the contents of {where!r}" if from_file else repr(args.json_body)
            raise ValueError(f"expected valid JSON after --json, got {got} ({exc})") from None
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
    if args.protocol is not None:
        options["protocol"] = PRESETS[args.protocol]
    if args.text:
        with_text = [name for name, preset in PRESETS.items() if protocols.text_rule(preset)]
        if args.protocol not in with_text:
            got = f"--protocol {args.protocol}" if args.protocol else "no --protocol"
            raise ValueError(
                f"expected --text with a --protocol that has text ({', '.join(with_text)}), "
                f"got {got}"
            )
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


def _stream(args: argparse.Namespace, request: dict[str, Any]) -> int:
    out = sys.stdout
    style = args.format
    if style == "auto":
        style = "pretty" if out.isatty() else "jsonl"
    colour = style == "pretty" and out.isatty() and "NO_COLOR" not in os.environ
    # Every status line goes through `say`: secrets redacted, server text escaped.
    redact = Redactor(args.url, request["headers"])

    def say(text: str) -> None:
        print(redact(text), file=sys.stderr)

    controller = AbortController()
    started = time.monotonic()
    count = 0
    protocol = request.get("protocol")
    text = protocols.text_rule(protocol) if args.text and protocol else None
    printer = Printer(out, style, args.extract, colour, text=text)
    responses: list[httpx.Response] = []
    client = httpx.Client(
        timeout=DEFAULT_TIMEOUT,
        follow_redirects=True,
        event_hooks=http_hooks(say, responses, verbose=args.verbose),
    )

    def on_open(response: httpx.Response) -> None:
        ctype = response.headers.get("content-type", "")
        say(f"* connected: {response.status_code} {ctype} {response.url}")

    def on_reconnect(delay: float, error: BaseException | None) -> None:
        if isinstance(error, ResponseError):
            # The page itself is shown once, by the final error if it comes to that.
            why = f" after {error.status_code} {error.content_type or '(no content type)'}"
        elif error is not None:
            why = f" after {type(error).__name__}: {error}"
        else:
            why = " after the stream ended"
        last = source.last_event_id or "-"
        say(f"* reconnecting in {delay:.2f} s{why} (Last-Event-ID: {last})")

    code = EXIT_CODES["ok"]
    try:
        try:
            source = EventSource(
                args.url,
                client=client,
                signal=controller.signal,
                on_open=on_open,
                on_reconnect=on_reconnect,
                reconnect=request.pop("reconnect", True),
                **request,
            )
            with source:
                for event in source:
                    count += 1
                    printer.show(event)
                    if args.max_events is not None and count >= args.max_events:
                        break
        finally:
            client.close()
    except BrokenPipeError:
        # The reader left (`| head`): the stream is closed as after --max-events, and
        # stdout now leads nowhere, so that writing to it again cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except KeyboardInterrupt:
        controller.abort("interrupted")
        code = EXIT_CODES["interrupted"]
    except httpx.InvalidURL as exc:
        code = _fail(say, exc, "usage")
    except (ResponseError, RedirectError) as exc:
        code = _fail(say, exc, "response")
    except EventTooLargeError as exc:
        code = _fail(say, exc, "protocol")
    except ServerEventError as exc:
        code = _fail(say, exc, "server_event")
    except (ConnectionLostError, NetworkError, httpx.TransportError) as exc:
        code = _fail(say, exc, "connection")
    except (SSEError, httpx.HTTPError) as exc:
        code = _fail(say, exc, "error")
    printer.finish()
    # Counted off each response (error pages and reconnects included) as it was read:
    # a response keeps its count after it is closed.
    downloaded = sum(response.num_bytes_downloaded for response in responses)
    elapsed = time.monotonic() - started
    note = " (interrupted)" if code == EXIT_CODES["interrupted"] else ""
    say(f"* {count} events, {downloaded} bytes, {elapsed:.2f} s{note}")
    return code


def _fail(say: Callable[[str], None], exc: BaseException, kind: str) -> int:
    cause = exc.__cause__
    # A ReconnectError's message already quotes its last failure: say it once.
    shown = f" ({type(cause).__name__}: {cause})" if cause and str(cause) not in str(exc) else ""
    say(f"sse-post: {exc}{shown}")
    return EXIT_CODES[kind]
