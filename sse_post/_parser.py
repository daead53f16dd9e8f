"""Sans-I/O event stream parser: bytes in, ``ServerSentEvent``s out.

It implements "Interpreting an event stream" of the WHATWG HTML Living Standard,
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
and quotes each step next to the code that performs it.  It knows nothing of sockets,
clocks or event loops, so any byte source can drive it.

This pure-Python SSEParser is the reference. An optional compiled core with the same API
and behaviour, ``sse_post._speedups`` (written in C, built into the wheel where a compiler
works), replaces it at import, as aiohttp's and yarl's do; ``SSE_POST_NO_EXTENSIONS=1`` in
the environment keeps the pure one. ``SSEParser.implementation`` says which is in use
(``"c"`` or ``"python"``); `PySSEParser` is always the pure one.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, overload

from ._errors import EventTooLargeError
from ._events import (
    Comment,
    ServerSentEvent,
    _new,
    _set_data,
    _set_event,
    _set_id,
    _set_retry,
    _set_text,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

    from typing_extensions import TypeVar

    # What feed() and close() return: events, and comments when asked for.
    _T = TypeVar("_T", bound=ServerSentEvent | Comment, default=ServerSentEvent)
else:
    from typing import TypeVar

    _T = TypeVar("_T")

# Internal lists of what feed() returns: ServerSentEvent, or Comment too, as _T says.
_Items = list[Any]

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEParser", "aparse", "parse"]

#: Default bound, in bytes, on a pending line and on one event's data.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
# Chunks longer than this are parsed a slice at a time (see SSEParser._feed_slices).
_SLICE = 256 * 1024
# A pending line longer than this is decoded in place when it ends (_finish_long_line).
_LONG_LINE = 64 * 1024
# "retry:" is "interpreted as an integer in base ten", exactly: Python's are unbounded.
# But int() refuses strings of over 4,300 digits (sys.get_int_max_str_digits()), and
# remote input must never raise, so longer values clamp to the largest of 4,300 digits.
_MAX_RETRY_DIGITS = 4300
_MAX_RETRY: int = 10**_MAX_RETRY_DIGITS - 1


class SSEParser(Generic[_T]):
    """Incremental parser for a ``text/event-stream`` body.

    Feed it the body's bytes as they arrive, split anywhere; it returns the events that
    each feed completes. Call `close` at the end of the stream.

    With ``comments=True`` it also returns each comment line as a `Comment`, in stream
    order among the events: ``feed(b": ping\\ndata: x\\n\\n")`` returns
    ``[Comment(text=" ping"), ServerSentEvent(data="x")]``. Type checkers see
    ``SSEParser[ServerSentEvent]`` by default and ``SSEParser[ServerSentEvent | Comment]``
    with ``comments=True``, so ``feed`` is typed exactly either way.

    What ``max_event_size`` (N) bounds is the *block* being parsed: the lines since the
    last blank line, plus the line not yet ended. A block counts

    - its data exactly as it will be dispatched: the UTF-8 bytes of its ``data:``
      values joined by LF, so an event whose ``data`` is N bytes is accepted and one of
      N + 1 bytes is not;
    - every other line of the block (``event:``, ``id:``, ``retry:``, comments, unknown
      fields) in full, in UTF-8 bytes, without its line end;
    - the line not yet ended in bytes as received: its value if it starts with
      ``data:``, else all of it (a line that may still become ``data:``, such as
      ``da``, counts nothing yet).

    A block over N raises `EventTooLargeError`, whatever the chunking: the verdict is
    that of feeding the stream whole. Peak memory stays near twice the block (the
    bytes of a line and its text while it is decoded, or the data lines and their
    joined text at dispatch) plus the last event ID, for any input and chunk sizes.
    Python stores text of wide characters in up to 4 bytes a character, so a block
    whose data mixes ASCII with emoji costs up to 4 times its UTF-8 size.

    Args:
        last_event_id: seed for the last event ID, when resuming a stream after a
            reconnect. It is carried by events until the stream sends an ``id:``.
        max_event_size: the bound N above, in bytes; ``None`` for no bound.
        comments: also return comment lines, as `Comment` objects.

    Raises:
        ValueError: ``last_event_id`` holds NUL, CR or LF (no stream could send such an
            ID), or ``max_event_size`` is not positive.
    """

    #: Which parser this is: ``"python"`` here, ``"c"`` for the compiled core that
    #: ``sse_post.SSEParser`` names when it could be imported (see the module docstring).
    implementation: ClassVar[Literal["c", "python"]] = "python"

    __slots__ = (
        "_at_start",
        "_block_retry",
        "_closed",
        "_comments",
        "_data",
        "_error",
        "_event_type",
        "_id_buffer",
        "_irregular",
        "_last_event_id",
        "_limit",
        "_pending",
        "_retry",
        "_size",
        "_skip_lf",
    )

    @overload
    def __init__(
        self: SSEParser[ServerSentEvent],
        *,
        last_event_id: str = "",
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        comments: Literal[False] = False,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEParser[ServerSentEvent | Comment],
        *,
        last_event_id: str = "",
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        comments: bool,
    ) -> None: ...
    def __init__(
        self,
        *,
        last_event_id: str = "",
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        comments: bool = False,
    ) -> None:
        if any(c in last_event_id for c in "\0\r\n"):
            raise ValueError(
                f"expected a last_event_id without NUL, CR or LF, got {last_event_id!r}"
            )
        if max_event_size is not None and max_event_size <= 0:
            raise ValueError(f"expected a positive max_event_size or None, got {max_event_size!r}")
        self._limit = sys.maxsize if max_event_size is None else max_event_size
        self._comments = bool(comments)
        self._pending = bytearray()  # the line not yet ended; never holds CR or LF
        self._irregular = True  # feed() must look at the states below first
        self._at_start = True  # a BOM may still come
        self._skip_lf = False  # the last chunk ended with CR: an LF opening the next is its pair
        self._closed = False
        self._error: EventTooLargeError | None = None
        # "When a stream is parsed, a data buffer, an event type buffer, and a last event
        # ID buffer must be associated with it."  The data buffer is a list of parts to
        # join with LF: the data lines of this feed, and one part for each earlier feed.
        self._data: list[str] = []
        # The open block's size as counted (see above), plus one LF for each data line.
        self._size = 0
        self._event_type = ""
        self._id_buffer = last_event_id
        self._last_event_id = last_event_id
        self._block_retry: int | None = None
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID string: what a reconnect sends as ``Last-Event-ID``.

        An ``id:`` field takes effect at the blank line that ends its block, whether that
        block dispatches an event or not, so after a drop in the middle of an event this
        still names the last complete block rather than the discarded one.
        """
        return self._last_event_id

    @property
    def mid_event(self) -> bool:
        """Whether part of an event is buffered: a line not yet ended, or a block with
        ``data:`` or ``event:`` lines but no blank line yet. A stream that stops here was
        cut off rather than ended."""
        return bool(self._pending or self._data or self._event_type)

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds most recently set by ``retry:``, or
        ``None`` if the stream has not set one. It takes effect as soon as it is parsed.

        It is the exact integer the stream sent, however long; only a value of over
        4,300 significant digits, which Python's ``int()`` refuses to parse, is clamped
        to ``10**4300 - 1`` (as is one over ``sys.get_int_max_str_digits()``, if an
        application lowered it)."""
        return self._retry

    def feed(self, data: bytes) -> list[_T]:
        """Parse a chunk of the body and return the events it completes (and the
        comments it holds, with ``comments=True``).

        Raises:
            EventTooLargeError: the block being parsed exceeded ``max_event_size`` (see
                the class). Events completed before that were returned by this or an
                earlier call (if this call completed some, it returns them and the next
                call raises); after it the parser raises this error again.
            RuntimeError: `close` was called already.
        """
        if self._irregular:
            data = self._prelude(data)
        end = len(data) - 1
        if end < 0:
            return []
        if end >= _SLICE:
            return self._feed_slices(data)
        # "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single
        # U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR)
        # character, and a single U+000D CARRIAGE RETURN (CR) character not followed by a
        # U+000A LINE FEED (LF) character being the ways in which a line can end."
        # Only the new chunk is scanned: the pending bytes hold no line end.
        pending = self._pending
        if data[end] == 0x0A:
            cut = end
        else:
            cut = data.rfind(b"\n")
            if 0x0D in data:
                cut = max(cut, data.rfind(b"\r"))
                if cut == end:
                    # A CR ending the chunk ends its line now, rather than waiting to
                    # see if an LF follows; an LF opening the next chunk is its pair.
                    self._skip_lf = self._irregular = True
            if cut < 0:
                pending += data
                if len(pending) + self._size > self._limit and self._pending_over():
                    return self._fail([])
                return []
        # "Streams must be decoded using the UTF-8 decode algorithm."  CR and LF never
        # occur inside a multi-byte sequence, so whole lines decode on their own, and
        # invalid bytes become U+FFFD just as they would in one decode of the stream.
        size = len(pending) + cut + 1
        if pending:
            if len(pending) > _LONG_LINE:
                return self._finish_long_line(data)
            pending += data[: cut + 1]
            text = pending.decode("utf-8", "replace")
            pending.clear()
        else:
            text = (data if cut == end else data[: cut + 1]).decode("utf-8", "replace")
        if cut != end:
            pending += data[cut + 1 :]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        # A block counts at most 3 bytes for each byte received (U+FFFD), so most feeds
        # cannot reach the limit and skip the line-by-line accounting.
        if self._size + 3 * size <= self._limit:
            events = self._interpret(text)
        else:
            events = self._interpret_checked(text)
            if self._error is not None:
                return events
        if len(pending) + self._size > self._limit and self._pending_over():
            return self._fail(events)
        return events

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

    def close(self) -> list[_T]:
        """Signal the end of the stream. Calling it again does nothing.

        "Once the end of the file is reached, any pending data must be discarded. (If the
        file ends in the middle of an event, before the final empty line, the incomplete
        event is not dispatched.)"  So this returns no events; it returns a list so that a
        driver's last step reads like its others.

        Raises:
            EventTooLargeError: a `feed` crossed the size limit and returned the
                events completed before it; the error is raised here so that it is not lost.
        """
        if self._closed:
            return []
        self._closed = self._irregular = True
        self._discard()
        if self._error is not None:
            raise self._error
        return []

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
        for start in range(0, len(data), _SLICE):
            try:
                events += self.feed(data[start : start + _SLICE])
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
            if self._size + _utf8_size(value) > self._limit:
                return self._fail([])
            self._data.append(value)
            self._size += _utf8_size(value) + 1
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
                size += _utf8_size(value[1:] if value[:1] == " " else value) + 1
                has_data = True
            else:
                size += _utf8_size(line)
            if size - has_data > limit:
                del lines[index:]
                lines.append("")
                return self._fail(self._interpret("\n".join(lines)) if index else [])
        return self._interpret(text)

    def _interpret(self, text: str) -> _Items:
        # The hot loop. `text` is whole lines, each ended by LF. Splitting it on blank
        # lines first lets the commonest event of all, a lone "data: ..." line and a
        # blank line, skip the line-by-line machinery; every other block goes through
        # it. State lives in locals and is written back once.
        events: _Items = []
        data = self._data
        base = len(data)  # data[base:] are this feed's lines of an open block
        event_type = self._event_type
        id_buffer = self._id_buffer
        last_event_id = self._last_event_id
        block_retry = self._block_retry
        comments = self._comments
        clean = not data and not event_type and block_retry is None
        long_lines = len(text) >= 4096 and _has_long_lines(text)
        # All blocks but the last are followed by a blank line.
        blocks = [text] if long_lines else text.split("\n\n")
        last = len(blocks) - 1
        if not blocks[last]:
            blocks.pop()  # no lines after the last blank line, so no block to leave open
            last = -1
        for index, block in enumerate(blocks):
            if index != last:
                if clean and block[:6] == "data: " and "\n" not in block:
                    # One data line, then a blank line: the steps below, in short.
                    last_event_id = id_buffer
                    event = _new(ServerSentEvent)
                    _set_event(event, "message")
                    _set_data(event, block[6:])
                    _set_id(event, last_event_id)
                    _set_retry(event, None)
                    events.append(event)
                    continue
                lines = block.split("\n")
                if clean and 1 < len(lines) < 4 and lines[-1][:6] == "data: ":
                    # Named events: "event: " and/or "id: " lines, one data line, then a
                    # blank line, in short. Other blocks take the steps below.
                    head = lines[0]
                    named = "message"
                    short = True
                    if head[:7] == "event: ":
                        named = head[7:] or named
                        if len(lines) == 3:
                            head = lines[1]
                            short = head[:4] == "id: " and "\0" not in head
                            if short:
                                id_buffer = head[4:]
                    elif len(lines) == 2 and head[:4] == "id: " and "\0" not in head:
                        id_buffer = head[4:]
                    else:
                        short = False
                    if short:
                        last_event_id = id_buffer
                        event = _new(ServerSentEvent)
                        _set_event(event, named)
                        _set_data(event, lines[-1][6:])
                        _set_id(event, last_event_id)
                        _set_retry(event, None)
                        events.append(event)
                        continue
                lines.append("")
            else:
                lines = _find_lines(block) if long_lines else block.split("\n")
                lines.pop()  # the empty string after the last line end
            for line in lines:
                if not line:
                    # "If the line is empty (a blank line): Dispatch the event."
                    # "1. Set the last event ID string of the event source to the value
                    # of the last event ID buffer."
                    last_event_id = id_buffer
                    if data:
                        # "3. If the data buffer's last character is a U+000A LINE FEED
                        # (LF) character, then remove the last character from the data
                        # buffer."  Joining the lines with LF is exactly that.
                        # "6. If the event type buffer has a value other than the empty
                        # string, change the type of the newly created event to equal the
                        # value of the event type buffer."
                        event = _new(ServerSentEvent)
                        _set_event(event, event_type or "message")
                        _set_data(event, "\n".join(data))
                        _set_id(event, last_event_id)
                        _set_retry(event, block_retry)
                        events.append(event)
                        data = []
                    # "2. If the data buffer is an empty string, set the data buffer and
                    # the event type buffer to the empty string and return."  "7. Set the
                    # data buffer and the event type buffer to the empty string."
                    event_type = ""
                    block_retry = None
                    base = 0
                    continue
                # The commonest fields, written the usual way, skip partition(); a
                # one-character test first spares a failed slice of each prefix.
                first = line[0]
                if first == "d":
                    if line[:6] == "data: ":
                        # "If value starts with a U+0020 SPACE character, remove it from
                        # value."  "Append the field value to the data buffer, then
                        # append a single U+000A LINE FEED (LF) character to the data
                        # buffer."
                        data.append(line[6:])
                        continue
                elif first == "e":
                    if line[:7] == "event: ":
                        event_type = line[7:]
                        continue
                elif first == "i" and line[:4] == "id: ":
                    value = line[4:]
                    if "\0" not in value:
                        id_buffer = value
                    continue
                # "Collect the characters on the line before the first U+003A COLON
                # character (:), and let field be that string. Collect the characters
                # on the line after the first U+003A COLON character (:), and let value
                # be that string."  A line without a colon is a field name whose value
                # is the empty string.
                name, _, value = line.partition(":")
                if not name:
                    # "If the line starts with a U+003A COLON character (:) Ignore the
                    # line."  Unless asked for: then its text after the colon, as is.
                    if comments:
                        comment = _new(Comment)
                        _set_text(comment, value)
                        events.append(comment)
                    continue
                if value[:1] == " ":
                    value = value[1:]
                if name == "data":
                    data.append(value)
                elif name == "event":
                    # "Set the event type buffer to field value."
                    event_type = value
                elif name == "id":
                    # "If the field value does not contain U+0000 NULL, then set the
                    # last event ID buffer to the field value. Otherwise, ignore the
                    # field."
                    if "\0" not in value:
                        id_buffer = value
                elif name == "retry":
                    # "If the field value consists of only ASCII digits, then interpret
                    # the field value as an integer in base ten, and set the event
                    # stream's reconnection time to that integer."
                    if value.isascii() and value.isdigit():
                        block_retry = self._retry = _to_retry(value)
            clean = True
        if len(data) > base + 1:
            # Many short lines would cost about 56 bytes each as strings: one part per feed.
            data[base:] = ["\n".join(data[base:])]
        self._data = data
        self._event_type = event_type
        self._id_buffer = id_buffer
        self._last_event_id = last_event_id
        self._block_retry = block_retry
        self._size = 0 if last < 0 else _open_block_size(text, self._size)
        return events

    def _fail(self, events: _Items) -> _Items:
        self._error = EventTooLargeError(self._limit)
        self._irregular = True
        self._discard()
        if events:
            return events  # delivered now; the next call raises
        raise self._error

    def _discard(self) -> None:
        self._pending = bytearray()
        self._data = []
        self._size = 0
        self._event_type = ""
        self._block_retry = None


def _open_block_size(text: str, carried: int) -> int:
    # The size (see SSEParser) of the block left open after `text`, whole lines each
    # ended by LF, when `carried` was the size of the block open before it.
    end = text.rfind("\n\n")
    if end >= 0:
        block = text[end + 2 :]
        carried = 0
    elif text[:1] == "\n":
        block = text[1:]
        carried = 0
    else:
        block = text
    if block.isascii() and "data\n" not in block:
        # Each line counts its length, but a data line counts its value and its LF:
        # its "data:" and one space less, and one more.
        size = len(block) - block.count("\n")
        size -= 4 * (block.count("\ndata:") + (block[:5] == "data:"))
        size -= block.count("\ndata: ") + (block[:6] == "data: ")
        return carried + size
    for line in block.split("\n")[:-1]:
        name, _, value = line.partition(":")
        if name == "data":
            carried += _utf8_size(value[1:] if value[:1] == " " else value) + 1
        else:
            carried += _utf8_size(line)
    return carried


def _has_long_lines(text: str) -> bool:
    # str.split walks the text a character at a time (about 0.25 ns a character here),
    # while str.find of one character is a memchr (about 20 times faster). Splitting
    # wins for short lines, finding for long ones, such as a 64 KiB JSON event; probing
    # two places costs two short memchr calls.
    middle = len(text) // 2
    return text.find("\n", 0, 512) < 0 or text.find("\n", middle, middle + 512) < 0


def _find_lines(text: str) -> list[str]:
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


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _to_retry(digits: str) -> int:
    if len(digits) < 19:
        return int(digits)
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_RETRY_DIGITS:
        return _MAX_RETRY
    try:
        return int(significant)
    except ValueError:  # the application lowered sys.set_int_max_str_digits()
        return _MAX_RETRY


#: The pure-Python parser, whichever SSEParser names: the reference and the fallback.
PySSEParser = SSEParser

if not TYPE_CHECKING and os.environ.get("SSE_POST_NO_EXTENSIONS", "") in ("", "0"):
    try:
        from ._speedups import SSEParser
    except ImportError:  # not built (no compiler, or an sdist): the pure parser serves
        pass
    else:
        SSEParser.__doc__ = PySSEParser.__doc__


def parse(
    chunks: Iterable[bytes],
    *,
    last_event_id: str = "",
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> Iterator[ServerSentEvent]:
    """Parse an event stream from any iterable of byte chunks.

    Works with ``requests``' ``iter_content()``, urllib3's ``stream()``, a file opened in
    binary mode, or a list of bytes. Options are those of `SSEParser`.

    Raises:
        EventTooLargeError: as `SSEParser.feed`.
    """
    parser = SSEParser(last_event_id=last_event_id, max_event_size=max_event_size)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


async def aparse(
    chunks: AsyncIterable[bytes],
    *,
    last_event_id: str = "",
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> AsyncIterator[ServerSentEvent]:
    """Parse an event stream from any async iterable of byte chunks (aiohttp's
    ``response.content.iter_any()``, httpx's ``aiter_bytes()``...). See `parse`.

    Raises:
        EventTooLargeError: as `SSEParser.feed`.
    """
    parser = SSEParser(last_event_id=last_event_id, max_event_size=max_event_size)
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event
