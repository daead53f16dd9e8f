"""Sans-I/O event stream parser: bytes in, ``ServerSentEvent``s out.

It implements "Interpreting an event stream" of the WHATWG HTML Living Standard,
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
and quotes each step next to the code that performs it (the steps are in
``_parser_blocks.py``, the line buffer and the size accounting in ``_parser_lines.py``,
both mixins of the class here).  It knows nothing of sockets, clocks or event loops, so
any byte source can drive it.

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

from ._parser_blocks import RUN_MIN, Blocks
from ._parser_lines import HOLD, LONG_LINE, SLICE, LineBuffer

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from ._errors import EventTooLargeError
    from ._events import Comment, ServerSentEvent

    # What feed() and close() return: events, and comments when asked for.
    _T = TypeVar("_T", bound=ServerSentEvent | Comment, default=ServerSentEvent)
else:
    from typing import TypeVar

    _T = TypeVar("_T")

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "PySSEParser", "SSEParser"]

#: Default bound, in bytes, on a pending line and on one event's data.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024


class SSEParser(LineBuffer, Blocks, Generic[_T]):
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
        last_event_id (str): seed for the last event ID, when resuming a stream after a
            reconnect. It is carried by events until the stream sends an ``id:``.
        max_event_size (int | None): the bound N above, in bytes; ``None`` for no bound.
        comments (bool): also return comment lines, as `Comment` objects.

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
        "_held",
        "_hold_limit",
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
        # feed() holds lines back only under this limit: never when comments are returned.
        self._hold_limit = -1 if comments else self._limit
        self._pending = bytearray()  # the line not yet ended; never holds CR or LF...
        self._held = False  # ...unless this is set: whole lines may wait first (see feed)
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
        if self._held:
            self._release()
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
        if end >= SLICE:
            return self._feed_slices(data)
        pending = self._pending
        # "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single
        # U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR)
        # character, and a single U+000D CARRIAGE RETURN (CR) character not followed by a
        # U+000A LINE FEED (LF) character being the ways in which a line can end."
        # Only the new chunk is scanned: the pending bytes hold no line end (but for
        # whole lines held back, see below, which come before it).
        if data[end] == 0x0A:
            cut = end
            # A chunk ending in a blank line (one event a read, the live case) is never
            # held (below): one test instead of the hold's.
            holdable = data[end - 1] != 0x0A
            if not holdable and not pending and (events := self._one_block(data)) is not None:
                return events
        else:
            holdable = True
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
        if (
            holdable
            and len(pending) + end < HOLD
            and b"\n\n" not in data
            and 0x0D not in data
            and (0x79 not in data or b"y:" not in data)  # a "y" first: one memchr
            and (0x79 not in pending or b"y:" not in pending)
            and (
                (first := data[0]) > 0x3A
                or (first != 0x0A and first != 0x3A)
                or (first == 0x0A and pending and pending[-1] != 0x0A)
                or (first == 0x3A and not pending.endswith(b"retry"))
            )
            and self._size + 3 * (len(pending) + end + 1) <= self._hold_limit
        ):
            # Small reads (a few bytes each, as some servers and proxies send) end lines
            # but rarely a block. Lines that cannot change what anyone sees before their
            # block ends (no blank line, no retry: field, no comment to return, no way to
            # reach the limit) wait whole in the buffer and are interpreted with the line
            # that ends their block: one decode and one pass a block, not one a read.
            # (A chunk opening with LF is held only when it ends a line begun before it,
            # not a blank line; one opening with a colon only when it cannot complete a
            # "retry" field name split before it.)
            pending += data
            self._held = True
            return []
        # "Streams must be decoded using the UTF-8 decode algorithm."  CR and LF never
        # occur inside a multi-byte sequence, so whole lines decode on their own, and
        # invalid bytes become U+FFFD just as they would in one decode of the stream.
        size = len(pending) + cut + 1
        if pending:
            if len(pending) > LONG_LINE:
                if self._held:
                    self._release()
                return self._finish_long_line(data)
            pending += data[: cut + 1]
            if (
                self._held
                and pending[-2] == 0x0A
                and (events := self._one_block(pending)) is not None
            ):
                # The lines held back and this read make one block: in short, as above.
                pending.clear()
                self._held = False
                if cut != end:
                    pending += data[cut + 1 :]
                    if len(pending) + self._size > self._limit and self._pending_over():
                        return self._fail(events)
                return events
            text = pending.decode("utf-8", "replace")
            pending.clear()
            self._held = False
        else:
            text = (data if cut == end else data[: cut + 1]).decode("utf-8", "replace")
        if cut != end:
            pending += data[cut + 1 :]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        # A block counts at most 3 bytes for each byte received (U+FFFD), so most feeds
        # cannot reach the limit and skip the line-by-line accounting.
        if self._size + 3 * size <= self._limit:
            events = self._steps(text) if len(text) < RUN_MIN else self._interpret(text)
        else:
            events = self._interpret_checked(text)
            if self._error is not None:
                return events
        if len(pending) + self._size > self._limit and self._pending_over():
            return self._fail(events)
        return events

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


#: The pure-Python parser, whichever SSEParser names: the reference and the fallback.
PySSEParser = SSEParser

#: The compiled core, where it is in use (else None): the one switch for every piece of
#: it (the parser here, the iterators and the cancel probes elsewhere).
SPEEDUPS: Any = None

if not TYPE_CHECKING and os.environ.get("SSE_POST_NO_EXTENSIONS", "") in ("", "0"):
    try:
        from . import _speedups as SPEEDUPS
    except ImportError:  # not built (no compiler, or an sdist): the pure parser serves
        pass
    else:
        SSEParser = SPEEDUPS.SSEParser
        SSEParser.__doc__ = PySSEParser.__doc__
