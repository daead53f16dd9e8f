"""Sans-I/O event stream parser: bytes in, ``ServerSentEvent``s out.

It implements "Interpreting an event stream" of the WHATWG HTML Living Standard,
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
and quotes each step next to the code that performs it.  It knows nothing of sockets,
clocks or event loops, so any byte source can drive it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import EventTooLargeError
from ._events import make_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

    from ._events import ServerSentEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEParser", "aparse", "parse"]

#: Default bound, in bytes, on a pending line and on one event's data.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
# Reconnection times past this (about 292 million years) are clamped: Python's int()
# refuses strings of over 4,300 digits, and remote input must never raise.
_MAX_RETRY = 2**63 - 1


class SSEParser:
    """Incremental parser for a ``text/event-stream`` body.

    Feed it the body's bytes as they arrive, split anywhere; it returns the events that
    each feed completes. Call :meth:`close` at the end of the stream.

    Args:
        last_event_id: seed for the last event ID, when resuming a stream after a
            reconnect. It is carried by events until the stream sends an ``id:``.
        max_event_size: bound in bytes on a line not yet ended and on the UTF-8 size of
            one event's data; ``None`` for no bound. Past it :meth:`feed` raises
            :class:`EventTooLargeError`.

    Raises:
        ValueError: ``last_event_id`` holds NUL, CR or LF (no stream could send such an
            ID), or ``max_event_size`` is not positive.
    """

    __slots__ = (
        "_at_start",
        "_block_retry",
        "_closed",
        "_data",
        "_data_size",
        "_error",
        "_event_type",
        "_id_buffer",
        "_last_event_id",
        "_limit",
        "_pending",
        "_retry",
        "_skip_lf",
    )

    def __init__(
        self, *, last_event_id: str = "", max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        if any(c in last_event_id for c in "\0\r\n"):
            raise ValueError(
                f"expected a last_event_id without NUL, CR or LF, got {last_event_id!r}"
            )
        if max_event_size is not None and max_event_size <= 0:
            raise ValueError(f"expected a positive max_event_size or None, got {max_event_size!r}")
        self._limit = max_event_size
        self._pending = bytearray()  # the line not yet ended; never holds CR or LF
        self._at_start = True  # a BOM may still come
        self._skip_lf = False  # the last chunk ended with CR: an LF opening the next is its pair
        self._closed = False
        self._error: EventTooLargeError | None = None
        # "When a stream is parsed, a data buffer, an event type buffer, and a last event
        # ID buffer must be associated with it."
        self._data: list[str] = []
        self._data_size = 0
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
    def retry(self) -> int | None:
        """The reconnection time in milliseconds most recently set by ``retry:``, or
        ``None`` if the stream has not set one. It takes effect as soon as it is parsed."""
        return self._retry

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Parse a chunk of the body and return the events it completes.

        Raises:
            EventTooLargeError: the pending line or the event being built exceeded
                ``max_event_size``. Events completed before that were returned by this
                or an earlier call (if this call completed some, it returns them and the
                next call raises); after it the parser raises this error again.
            RuntimeError: :meth:`close` was called already.
        """
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
        if not data:
            return []
        pending = self._pending
        # "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single
        # U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR)
        # character, and a single U+000D CARRIAGE RETURN (CR) character not followed by a
        # U+000A LINE FEED (LF) character being the ways in which a line can end."
        # Only the new chunk is scanned: the pending bytes hold no line end.
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if cut < 0:
            pending += data
            if self._limit is not None and len(pending) > self._limit:
                return self._fail([])
            return []
        stop = cut - 1 if data[cut] == 0x0A and cut and data[cut - 1] == 0x0D else cut
        # A CR ending the chunk ends its line now, rather than waiting to see an LF.
        self._skip_lf = data[cut] == 0x0D and cut == len(data) - 1
        # "Streams must be decoded using the UTF-8 decode algorithm."  CR and LF never
        # occur inside a multi-byte sequence, so whole lines decode on their own, and
        # invalid bytes become U+FFFD just as they would in one decode of the stream.
        if pending:
            pending += data[:stop]
            text = pending.decode("utf-8", "replace")
            pending.clear()
        else:
            text = data[:stop].decode("utf-8", "replace")
        if cut + 1 < len(data):
            pending += data[cut + 1 :]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        events = self._interpret(text.split("\n"))
        if self._limit is not None and len(pending) > self._limit and self._error is None:
            return self._fail(events)
        return events

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream. Calling it again does nothing.

        "Once the end of the file is reached, any pending data must be discarded. (If the
        file ends in the middle of an event, before the final empty line, the incomplete
        event is not dispatched.)"  So this returns no events; it returns a list so that a
        driver's last step reads like its others.

        Raises:
            EventTooLargeError: a :meth:`feed` crossed the size limit and returned the
                events completed before it; the error is raised here so that it is not lost.
        """
        if self._closed:
            return []
        self._closed = True
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

    def _interpret(self, lines: list[str]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        size = self._data_size
        limit = self._limit if self._limit is not None else _MAX_RETRY
        event_type = self._event_type
        id_buffer = self._id_buffer
        last_event_id = self._last_event_id
        block_retry = self._block_retry
        for line in lines:
            if not line:
                # "If the line is empty (a blank line): Dispatch the event."
                # "1. Set the last event ID string of the event source to the value of the
                # last event ID buffer."
                last_event_id = id_buffer
                if data:
                    # "3. If the data buffer's last character is a U+000A LINE FEED (LF)
                    # character, then remove the last character from the data buffer."
                    # Joining with LF is that. "6. If the event type buffer has a value
                    # other than the empty string, change the type ... to equal [it]."
                    events.append(
                        make_event(
                            event_type or "message", "\n".join(data), id_buffer, block_retry
                        )
                    )
                    data = []
                    size = 0
                # "2. If the data buffer is an empty string, set the data buffer and the
                # event type buffer to the empty string and return."  "7. Set the data
                # buffer and the event type buffer to the empty string."
                event_type = ""
                block_retry = None
                continue
            if line.startswith("data:"):
                # The common case first. "If value starts with a U+0020 SPACE character,
                # remove it from value."
                value = line[6:] if line.startswith(" ", 5) else line[5:]
            else:
                # "Collect the characters on the line before the first U+003A COLON
                # character (:), and let field be that string." A line without a colon
                # is a field name with the empty string as its value.
                name, colon, value = line.partition(":")
                if colon and value.startswith(" "):
                    value = value[1:]
                if name == "event":
                    # "Set the event type buffer to field value."
                    event_type = value
                    continue
                if name == "id":
                    # "If the field value does not contain U+0000 NULL, then set the last
                    # event ID buffer to the field value. Otherwise, ignore the field."
                    if "\0" not in value:
                        id_buffer = value
                    continue
                if name == "retry":
                    # "If the field value consists of only ASCII digits, then interpret
                    # the field value as an integer in base ten, and set the event
                    # stream's reconnection time to that integer."
                    if value.isascii() and value.isdigit():
                        block_retry = self._retry = _to_retry(value)
                    continue
                if name != "data":
                    # A comment ("If the line starts with a U+003A COLON character (:),
                    # ignore the line.") or "Otherwise: The field is ignored."
                    continue
            # "Append the field value to the data buffer, then append a single U+000A
            # LINE FEED (LF) character to the data buffer."
            data.append(value)
            size += (len(value) if value.isascii() else len(value.encode())) + 1
            if size > limit:
                self._event_type, self._id_buffer = event_type, id_buffer
                self._last_event_id = last_event_id
                return self._fail(events)
        self._data, self._data_size, self._event_type = data, size, event_type
        self._id_buffer, self._last_event_id, self._block_retry = (
            id_buffer,
            last_event_id,
            block_retry,
        )
        return events

    def _fail(self, events: list[ServerSentEvent]) -> list[ServerSentEvent]:
        assert self._limit is not None
        self._error = EventTooLargeError(self._limit)
        self._discard()
        if events:
            return events  # delivered now; the next call raises
        raise self._error

    def _discard(self) -> None:
        self._pending = bytearray()
        self._data = []
        self._data_size = 0
        self._event_type = ""
        self._block_retry = None


def _to_retry(digits: str) -> int:
    if len(digits) < 19:
        return int(digits)
    significant = digits.lstrip("0")
    return int(significant) if len(significant) < 19 else _MAX_RETRY


def parse(
    chunks: Iterable[bytes],
    *,
    last_event_id: str = "",
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
) -> Iterator[ServerSentEvent]:
    """Parse an event stream from any iterable of byte chunks.

    Works with ``requests``' ``iter_content()``, urllib3's ``stream()``, a file opened in
    binary mode, or a list of bytes. Options are those of :class:`SSEParser`.

    Raises:
        EventTooLargeError: as :meth:`SSEParser.feed`.
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
    ``response.content.iter_any()``, httpx's ``aiter_bytes()``...). See :func:`parse`.

    Raises:
        EventTooLargeError: as :meth:`SSEParser.feed`.
    """
    parser = SSEParser(last_event_id=last_event_id, max_event_size=max_event_size)
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event
