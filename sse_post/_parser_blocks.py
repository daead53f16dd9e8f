"""The parser's hot loop: "Interpreting an event stream" of the WHATWG HTML Living
Standard, step by step, each quoted next to the code that performs it, over whole lines.
A mixin of `SSEParser`, which holds the state (``_parser_lines.py`` feeds it lines)."""

from __future__ import annotations

import re
from itertools import chain
from typing import TYPE_CHECKING, Any

from ._events import (
    Comment,
    ServerSentEvent,
    _Draft,
    _new,
    _set_text,
)
from ._parser_lines import find_lines, has_long_lines, to_retry, utf8_size

__all__ = ["RUN_MIN", "Blocks"]

# Texts shorter than this hold too few events for a run to repay its scans.
RUN_MIN = 256

_Items = list[Any]


class Blocks:
    """The spec's steps for `SSEParser` (see the module docstring)."""

    if not TYPE_CHECKING:  # mypy would then check the subclass's slots against ()
        __slots__ = ()
    else:
        _data: list[str]
        _event_type: str
        _id_buffer: str
        _last_event_id: str
        _block_retry: int | None
        _retry: int | None
        _comments: bool
        _size: int
        _limit: int

    def _interpret(self, text: str) -> _Items:
        # `text` is whole lines, each ended by LF. A run of named events starting with
        # its first block (the text's start if no block is open, else the first blank
        # line) may be read by one regex scan (_named_run); everything else takes the
        # spec's steps (_steps).
        if len(text) < RUN_MIN or (len(text) >= 4096 and has_long_lines(text)):
            return self._steps(text)  # too few events, or a few long ones
        if text[:7] == "event: " and not self._data and not self._event_type:
            if self._block_retry is not None:
                return self._steps(text)  # the open block's retry: field
            start = 0
        else:
            start = text.find("\n\n") + 2  # the first block that starts in `text`
            if start < 2 or not text.startswith("event: ", start):
                return self._steps(text)
        events = self._steps(text[:start]) if start else []
        run = _named_run(text, start, self._id_buffer)
        if run is None:
            return events + self._steps(text[start:])
        found, end, id_buffer = run
        self._id_buffer = self._last_event_id = id_buffer
        self._size = 0  # a blank line ended every block before `end`
        events += found
        return events + self._steps(text[end:]) if end < len(text) else events

    def _one_block(self, data: bytes | bytearray) -> _Items | None:
        # A read of exactly one block (one event a read: the live case) of the commonest
        # shapes, when no block is open: a lone "data: " line, or "event: " and/or
        # "id: " lines before it, then the blank line. The spec's steps for it are those
        # of the same cases in _steps; None for any other read, for any with a CR (a
        # line end of its own, which the regex excludes), and where an open block or the
        # size limit needs the full steps. (UTF-8 decodes the same piece by piece between
        # ASCII field names as in one go.)
        if (
            self._data
            or self._event_type
            or self._block_retry is not None
            or self._size + 3 * len(data) > self._limit
        ):
            return None
        if data[0] == 0x64:  # "d"
            end = len(data) - 2  # the data line's LF
            if data[:6] != b"data: " or data.find(b"\n") != end or 0x0D in data:
                return None
            name = "message"
            value = data[6:end].decode("utf-8", "replace")
        else:
            match = _ONE_NAMED.fullmatch(data)
            if match is None:
                return None
            raw_name, raw_id, raw_value = match.groups()
            # "event: " with an empty value, like no event: line, leaves "message".
            name = raw_name.decode("utf-8", "replace") if raw_name else "message"
            if raw_id is not None:
                self._id_buffer = raw_id.decode("utf-8", "replace")
            value = raw_value.decode("utf-8", "replace")
        self._size = 0
        self._last_event_id = self._id_buffer
        event = _new(_Draft)
        event.event = name
        event.data = value
        event.id = self._id_buffer
        event.retry = None
        event.__class__ = ServerSentEvent  # type: ignore[assignment]
        return [event]

    def _steps(self, text: str) -> _Items:
        # The hot loop. Splitting `text` on blank lines first lets the commonest event of
        # all, a lone "data: ..." line and a blank line, skip the line-by-line machinery;
        # every other block goes through it. State lives in locals and is written back
        # once.
        events: _Items = []
        data = self._data
        base = len(data)  # data[base:] are this feed's lines of an open block
        event_type = self._event_type
        id_buffer = self._id_buffer
        last_event_id = self._last_event_id
        block_retry = self._block_retry
        comments = self._comments
        clean = not data and not event_type and block_retry is None
        long_lines = len(text) >= 4096 and has_long_lines(text)
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
                    event = _new(_Draft)
                    event.event = "message"
                    event.data = block[6:]
                    event.id = last_event_id
                    event.retry = None
                    event.__class__ = ServerSentEvent  # type: ignore[assignment]
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
                        event = _new(_Draft)
                        event.event = named
                        event.data = lines[-1][6:]
                        event.id = last_event_id
                        event.retry = None
                        event.__class__ = ServerSentEvent  # type: ignore[assignment]
                        events.append(event)
                        continue
                lines.append("")
            else:
                lines = find_lines(block) if long_lines else block.split("\n")
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
                        event = _new(_Draft)
                        event.event = event_type or "message"
                        event.data = "\n".join(data)
                        event.id = last_event_id
                        event.retry = block_retry
                        event.__class__ = ServerSentEvent  # type: ignore[assignment]
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
                        block_retry = self._retry = to_retry(value)
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


# One block read on its own (Blocks._one_block): "event: " and/or "id: " lines (an id
# without U+0000), then a "data: " line and the blank line; no CR anywhere.
_ONE_NAMED = re.compile(rb"(?:event: ([^\n\r]*)\n)?(?:id: ([^\n\r\0]*)\n)?data: ([^\n\r]*)\n\n")

# A block of exactly "event: " and "id: " (optional) and "data: " lines, the spec's steps
# for which are: the type is the value (or "message" if empty), the id buffer takes the
# value (one without U+0000), the data is the value, dispatch.
_NAMED = re.compile(r"event: ([^\n]*)\n(id: [^\n\0]*\n)?data: ([^\n]*)\n\n")


def _named_run(text: str, start: int, id_buffer: str) -> tuple[_Items, int, str] | None:
    # A run of named events (LLM and agent streams: "event: delta\ndata: {...}") from
    # `start`, a block's first line, found by one regex scan in C instead of splitting
    # and testing each block in Python, if everything from there to the last blank line
    # is such blocks: the matches then cover it exactly (16 characters of each are the
    # field names and line ends). Else None. Returns the events, where the run ends and
    # the id buffer after it.
    end = text.rfind("\n\n") + 2
    # Unless every block starts with "event: " (two counts, at memchr speed), there is
    # no need to scan: a stream with comments between its events, say.
    if end <= start or text.count("\n\nevent: ", start, end) + 1 != text.count("\n\n", start, end):
        return None
    found = _NAMED.findall(text, start, end)
    if 16 * len(found) + sum(map(len, chain.from_iterable(found))) != end - start:
        return None
    events: _Items = []
    for name, id_line, value in found:
        if id_line:
            id_buffer = id_line[4:-1]
        event = _new(_Draft)
        event.event = name or "message"
        event.data = value
        event.id = id_buffer
        event.retry = None
        event.__class__ = ServerSentEvent  # type: ignore[assignment]
        events.append(event)
    return events, end, id_buffer


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
            carried += utf8_size(value[1:] if value[:1] == " " else value) + 1
        else:
            carried += utf8_size(line)
    return carried
