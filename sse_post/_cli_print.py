"""What ``sse-post`` prints: secrets redacted, server text made harmless to a terminal.

Two rules hold for every line the command line writes:

- status lines on stderr never show a secret: userinfo (``user:pass@``), query or fragment
  parameters whose name marks a secret (``?api_key=...``), and the values of secret
  request headers are replaced by ``[redacted]``, wherever they appear in the line;
- text that came from the server (event fields, extracted values, error bodies, response
  headers, a redirect's URL) has its control characters escaped, so a server cannot move
  the cursor, clear the screen or retitle the terminal. Newlines and tabs stay.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._errors import EventDataError
from ._redirects import SECRET_MARKERS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TextIO

    from ._events import ServerSentEvent

__all__ = [
    "REDACTED",
    "SECRET_WORDS",
    "Printer",
    "Redactor",
    "escape_controls",
    "http_hooks",
    "is_secret_name",
    "redact_header",
    "redact_urls",
]

REDACTED = "[redacted]"
#: A header, query parameter or field whose name contains one of these holds a secret.
SECRET_WORDS = SECRET_MARKERS  # one rule for the library's redirects and the CLI
_HEADER_WORDS = (*SECRET_WORDS, "cookie")  # Cookie and Set-Cookie carry sessions

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b alone is a CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")
_PARAM = re.compile(r"([?&;#])([^=&;#\s]*)=([^&;#\s]*)")


def escape_controls(text: str) -> str:
    """``text`` with every control character but ``\\n`` and ``\\t`` written as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def is_secret_name(name: str, words: Iterable[str] = SECRET_WORDS) -> bool:
    """Whether a header or parameter called ``name`` holds a secret (case-insensitive)."""
    lowered = unquote(name).lower()
    return any(word in lowered for word in words)


def redact_header(name: str, value: str) -> str:
    """The value to show for a header: a secret keeps only its scheme (``Bearer``)."""
    if not is_secret_name(name, _HEADER_WORDS):
        return value
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "token", "digest"):
        return f"{scheme} {REDACTED}"
    return REDACTED


def _redact_url(match: re.Match[str]) -> str:
    url = _USERINFO.sub(REDACTED + "@", match.group())

    def param(m: re.Match[str]) -> str:
        sep, name, value = m.groups()
        return f"{sep}{name}={REDACTED}" if is_secret_name(name) and value else m.group()

    return _PARAM.sub(param, url)


def redact_urls(text: str) -> str:
    """``text`` with the userinfo and secret parameters of every URL in it redacted."""
    return _URL.sub(_redact_url, text)


class Redactor:
    """Makes a status line safe: URLs redacted, and the literal secrets the caller
    gave (userinfo, secret parameter and header values) removed wherever they appear,
    percent-encoded or not; then control characters escaped."""

    def __init__(self, url: str, headers: Iterable[tuple[str, str]]) -> None:
        found: set[str] = set()
        for userinfo in _USERINFO.findall(url):
            user, colon, password = userinfo[:-1].partition(":")
            found.add(password if colon else user)  # a lone user part is often a token
        for _sep, name, value in _PARAM.findall(url):
            if is_secret_name(name):
                found.add(value)
        for name, value in headers:
            if is_secret_name(name, _HEADER_WORDS):
                found.add(value)
                found.add(value.partition(" ")[2])  # the token of "Bearer <token>"
        variants = {v for s in found for v in (s, unquote(s))}
        # Short values would blank out ordinary words; URL redaction still covers them.
        self._secrets = sorted((s for s in variants if len(s) >= 4), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = redact_urls(text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return escape_controls(text)


class Printer:
    """Writes events to stdout in the chosen format; every format but ``jsonl`` escapes
    the server's control characters (``jsonl`` is JSON, escaped already)."""

    def __init__(
        self,
        out: TextIO,
        style: str,
        extract: str | None,
        colour: bool,
        *,
        text: Callable[[ServerSentEvent], str] | None = None,
    ) -> None:
        self.out = out
        self.style = style
        self.path = [int(p) if p.isdigit() else p for p in extract.split(".")] if extract else None
        self.text = text  # a preset's text rule, for --text
        self.colour = colour
        self.partial = False  # extracted text printed without a final newline

    def show(self, event: ServerSentEvent) -> None:
        out = self.out
        if self.path is not None or self.text is not None:
            piece = self.text(event) if self.text else extract(event, self.path or [])
            if piece:
                piece = escape_controls(piece)
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
            out.write(escape_controls(event.data) + "\n")
        else:
            name, ident = escape_controls(event.event), escape_controls(event.id)
            if self.colour:
                name = f"\033[36m{name}\033[0m"
            ident = f" #{ident}" if ident else ""
            if self.colour and ident:
                ident = f"\033[2m{ident}\033[0m"
            out.write(f"{name}{ident}: {escape_controls(event.data)}\n")
        out.flush()

    def finish(self) -> None:
        if self.partial:
            self.out.write("\n")
            self.out.flush()


def extract(event: ServerSentEvent, path: list[str | int]) -> str | None:
    """The value at ``path`` in the event's JSON data as text; ``None`` when the data is
    not JSON (an end marker such as ``[DONE]``, or nesting too deep to decode) or has
    nothing there."""
    try:
        value: Any = event.json()
    except EventDataError:
        return None
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):  # decodable, yet too deep to encode again
        return None


def http_hooks(
    say: Callable[[str], None], responses: list[Any], *, verbose: bool
) -> dict[str, list[Callable[[Any], None]]]:
    """httpx event hooks: they see each request as actually sent (the library's
    ``Accept``, ``Last-Event-ID`` and body headers included) and each response."""

    def on_request(request: Any) -> None:
        if verbose:
            say(f"> {request.method} {request.url}")
            for name, value in request.headers.raw:
                text = name.decode("latin-1")
                say(f"> {text}: {redact_header(text, value.decode('latin-1'))}")

    def on_response(response: Any) -> None:
        responses.append(response)
        if verbose:
            say(f"< {response.http_version} {response.status_code} {response.reason_phrase}")
            for name, value in response.headers.raw:
                text = name.decode("latin-1")
                say(f"< {text}: {redact_header(text, value.decode('latin-1'))}")

    return {"request": [on_request], "response": [on_response]}
