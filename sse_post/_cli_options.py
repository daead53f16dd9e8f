"""The options of ``sse-post``: the argument parser, its help text and the exit codes.

Kept apart from ``_cli.py`` (which runs the stream) so that the documented surface (every
option, every exit code) reads in one place, the one ``docs/reference/cli.md`` mirrors.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import __version__, protocols

if TYPE_CHECKING:
    from ._protocol import StreamProtocol

__all__ = ["EPILOG", "EXIT_CODES", "PRESETS", "build_parser"]

#: Exit codes, documented in ``sse-post --help`` and the docs.
EXIT_CODES = {
    "ok": 0,
    "error": 1,  # anything else
    "usage": 2,
    "response": 3,  # the server answered with an error status or a wrong content type
    "connection": 4,  # could not connect, or the stream broke (or ended early) unresumed
    "protocol": 5,  # an event over --max-event-size, or similar
    "server_event": 6,  # --protocol: the server sent an error event after its 200
    "interrupted": 130,  # Ctrl-C
}

#: The presets ``--protocol`` accepts, by their names in `sse_post.protocols`.
PRESETS: dict[str, StreamProtocol] = {
    preset.name: preset
    for preset in (
        protocols.openai_chat,
        protocols.openai_responses,
        protocols.anthropic_messages,
        protocols.gemini,
        protocols.mcp,
        protocols.a2a,
        protocols.vercel_ai,
    )
}

EPILOG = """\
output:
  On a terminal, readable coloured lines; otherwise one JSON object per event
  ({"event", "data", "id", "retry"}), ready for jq. Status goes to stderr.

protocols:
  --protocol NAME ends at the protocol's end event (a [DONE] is not printed), and
  fails with exit code 6 on its error events. --text prints only the generated text
  (openai_chat, openai_responses, anthropic_messages, gemini, vercel_ai).

exit codes:
  0 ok, 1 other error, 2 usage, 3 HTTP error or wrong content type,
  4 connection failed, or stream lost or ended before its end event,
  5 protocol error, 6 the server sent an error event (--protocol),
  130 interrupted (Ctrl-C)

examples:
  sse-post demo
  sse-post https://api.example.com/v1/chat/completions -H 'Authorization: Bearer sk-...' \\
      --json '{"stream": true, "messages": [{"role": "user", "content": "Hi"}]}' \\
      --protocol openai_chat --text
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``argparse`` parser of ``sse-post URL [options]``."""
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
        "--json",
        dest="json_body",
        metavar="JSON",
        help="JSON body (sets Content-Type), @FILE to read it from a file, @- from stdin",
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
        "--protocol",
        choices=list(PRESETS),
        metavar="NAME",
        help=f"a preset of sse_post.protocols: {', '.join(PRESETS)}",
    )
    parser.add_argument(
        "--format",
        choices=["auto", "jsonl", "pretty", "data"],
        default="auto",
        help="output format (default: auto)",
    )
    text = parser.add_mutually_exclusive_group()
    text.add_argument(
        "--extract",
        metavar="PATH",
        help="print a field of each event's JSON data as one text (e.g. choices.0.delta.content)",
    )
    text.add_argument(
        "--text",
        action="store_true",
        help="with --protocol: print only the generated text, as one continuous text",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show request and response headers (secrets redacted)",
    )
    parser.add_argument("--version", action="version", version=f"sse-post {__version__}")
    return parser
