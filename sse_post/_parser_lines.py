"""The parser's line buffer: the rare states a feed passes through first (closed,
failed, a BOM, a CRLF split between chunks), huge chunks and long lines, the
``max_event_size`` accounting (see `SSEParser`) and the clamp of huge ``retry:`` values.
A mixin of `SSEParser`, which holds the state; the spec's steps themselves are in
``_parser_blocks.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import EventTooLargeError

__all__ = [
    "HOLD",
    "LONG_LINE",
    "SLICE",
    "LineBuffer",
    "find_lines",
    "has_long_lines",
    "to_retry",
    "utf8_size",
]

# Internal lists of what feed() returns: ServerSentEvent, or Comment too.
_Items = list[Any]

_BOM = b"\xef\xbb\xbf"
# Chunks longer than this are parsed a slice at a time (see SSEParser._feed_slices).
SLICE = 256 * 1024
# Whole lines wait in the buffer only while it is shorter than this (SSEParser.feed).
HOLD = 256
# A pending line longer than this is decoded in place when it ends (_finish_long_line).
LONG_LINE = 64 * 1024
# "retry:" is "interpreted as an integer in base ten", exactly: Python's are unbounded.
# But int() refuses strings of over 4,300 digits (sys.get_int_max_str_digits()), and
# remote input must never raise, so longer values clamp to the largest of 4,300 digits.
_MAX_RETRY_DIGITS = 4300
_MAX_RETRY: int = 10**_MAX_RETRY_DIGITS - 1


class LineBuffer:
    """The line handling of `SSEParser` (see the module docstring)."""

    if not TYPE_CHECKING:  # mypy would then check the subclass's slots against ()
        __slots__ = ()
    else:
        _pending: bytearray
        _held: bool
        _irregular: bool
        _at_start: bool
        _skip_lf: bool
        _closed: bool
        _error: EventTooLargeError | None
        _data: list[str]
        _size: int
        _event_type: str
        _block_retry: int | None
        _limit: int

        def feed(self, data: bytes) -> list[Any]:
            raise NotImplementedError  # SSEParser's

        def _interpret(self, text: str) -> _Items:
            raise NotImplementedError  # Blocks'

        def _steps(self, text: str) -> _Items:
            raise NotImplementedError  # Blocks'

    def _release(self) -> None:
        # Interpret the whole lines feed() held back: they hold no blank line, so they
        # complete no event, and nothing in them can cross the limit.
        self._held = False
        pending = self._pending
        held = pending.rfind(b"\n") + 1
        if held:
            text = pending[:held].decode("utf-8", "replace")
            del pending[:held]
            self._steps(text)

    def _prelude(self, data: bytes) -> bytes:
        # The rare states, kept off the common path: closed, failed, at the start of the
        # stream (a BOM may come), or just after a CR that ended a chunk.
        if self._closed:
            raise RuntimeError("feed() called after close(); make a new SSEParser per stream")
        if self._error is not None:
            raise self._error
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 0x0A:  # the LF of a CRLF split between two chunks
                data = data[1:]
        if self._at_start and data:
            data = self._strip_bom(data)
        self._irregular = self._at_start or self._skip_lf
        return data

    def _strip_bom(self, data: bytes) -> bytes:
        # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if
        # any."  Its three bytes may arrive in separate chunks.
        head = bytes(self._pending) + data
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._pending[:] = head
            return b""
        self._at_start = False
        self._pending.clear()
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _feed_slices(self, data: bytes) -> _Items:
        # A huge chunk is parsed a slice at a time, so that the text and the lines made
        # from it stay small next to max_event_size.
        events: _Items = []
        for start in range(0, len(data), SLICE):
            try:
                events += self.feed(data[start : start + SLICE])
            except EventTooLargeError:
                if not events:
                    raise
                return events  # delivered now; the next call raises
            if self._error is not None:
                break
        return events

    def _finish_long_line(self, data: bytes) -> _Items:
        # The pending line is long and this chunk ends it. Its value is decoded straight
        # from the pending buffer, which is then dropped: the line is held at most twice.
        lf, cr = data.find(b"\n"), data.find(b"\r")
        first = lf if cr < 0 or 0 <= lf < cr else cr
        pending = self._pending
        pending += data[:first]
        self._pending = bytearray()
        if data[first] == 0x0D:
            if first + 1 < len(data) and data[first + 1] == 0x0A:
                first += 1
            elif first + 1 == len(data):
                self._skip_lf = self._irregular = True
        if pending[:5] == b"data:":
            skip = 6 if pending[5:6] == b" " else 5
            value = str(memoryview(pending)[skip:], "utf-8", "replace")
            del pending
            if self._size + utf8_size(value) > self._limit:
                return self._fail([])
            self._data.append(value)
            self._size += utf8_size(value) + 1
            events: _Items = []
        else:
            line = pending.decode("utf-8", "replace")
            del pending
            events = self._interpret_checked(line + "\n")
            if self._error is not None:
                return events
        try:
            events += self.feed(data[first + 1 :])
        except EventTooLargeError:
            if not events:
                raise
        return events

    def _pending_over(self) -> bool:
        # Whether the line not yet ended puts the block over the limit (see the class).
        if self._held:
            self._release()
        pending = self._pending
        if pending[:5] == b"data:":
            value = len(pending) - (6 if pending[5:6] == b" " else 5)
            return self._size + value > self._limit
        if len(pending) < 5 and b"data:".startswith(pending):
            return False
        return self._size + len(pending) - bool(self._data) > self._limit

    def _interpret_checked(self, text: str) -> _Items:
        # For feeds that may cross the limit: measure line by line, as the block grows,
        # then interpret the lines before the first one that would cross it.
        limit = self._limit
        size = self._size
        has_data = bool(self._data)
        lines = text.split("\n")
        lines.pop()
        for index, line in enumerate(lines):
            if not line:
                size = 0
                has_data = False
                continue
            name, _, value = line.partition(":")
            if name == "data":
                size += utf8_size(value[1:] if value[:1] == " " else value) + 1
                has_data = True
            else:
                size += utf8_size(line)
            if size - has_data > limit:
                del lines[index:]
                lines.append("")
                return self._fail(self._interpret("\n".join(lines)) if index else [])
        return self._interpret(text)

    def _fail(self, events: _Items) -> _Items:
        self._error = EventTooLargeError(self._limit)
        self._irregular = True
        self._discard()
        if events:
            return events  # delivered now; the next call raises
        raise self._error

    def _discard(self) -> None:
        self._pending = bytearray()
        self._held = False
        self._data = []
        self._size = 0
        self._event_type = ""
        self._block_retry = None


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def to_retry(digits: str) -> int:
    if len(digits) < 19:
        return int(digits)
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_RETRY_DIGITS:
        return _MAX_RETRY
    try:
        return int(significant)
    except ValueError:  # the application lowered sys.set_int_max_str_digits()
        return _MAX_RETRY


def has_long_lines(text: str) -> bool:
    # str.split walks the text a character at a time (about 0.25 ns a character here),
    # while str.find of one character is a memchr (about 20 times faster). Splitting
    # wins for short lines, finding for long ones, such as a 64 KiB JSON event; probing
    # two places costs two short memchr calls.
    middle = len(text) // 2
    return text.find("\n", 0, 512) < 0 or text.find("\n", middle, middle + 512) < 0


def find_lines(text: str) -> list[str]:
    # text.split("\n"), for text with long lines.
    lines = []
    find = text.find
    start = 0
    end = find("\n")
    while end >= 0:
        lines.append(text[start:end])
        start = end + 1
        end = find("\n", start)
    lines.append(text[start:])
    return lines
