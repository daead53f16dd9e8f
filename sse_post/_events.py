"""The value the parser produces: one dispatched server-sent event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

from ._errors import EventDataError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Comment", "ServerSentEvent"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSentEvent:
    """One event dispatched by a blank line in an event stream.

    Instances are immutable, compare by value and can be built by keyword, which makes
    them easy to assert on in tests: ``ServerSentEvent(data="hi")``.

    Attributes:
        event: the event type; ``"message"`` unless the block set ``event:``.
        data: the ``data:`` lines of the block joined by ``"\\n"``.
        id: the last event ID in effect when the event was dispatched, like the DOM's
            ``MessageEvent.lastEventId``; it persists across events until the server
            sends another ``id:``.
        retry: the reconnection time in milliseconds if this event's block set one with
            a valid ``retry:`` field, else ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """Decode ``data`` as JSON.

        Returns:
            The decoded value (``dict``, ``list``, ``str``, number, bool or ``None``).

        Raises:
            EventDataError: ``data`` cannot be decoded: it is not valid JSON (an end
                marker such as ``[DONE]``, say), it nests too deeply for Python's
                recursion limit, or it holds an integer longer than Python converts.
                It is also a ``ValueError``; its message shows the event, and the
                original error (``json.JSONDecodeError``, ``RecursionError`` or
                ``ValueError``) is its ``__cause__``.
        """
        try:
            return json.loads(self.data)
        except ValueError as exc:  # JSONDecodeError, or an integer over the digit limit
            raise EventDataError(self, str(exc)) from exc
        except RecursionError as exc:  # remote input must not crash the caller's stack
            raise EventDataError(self, "nested too deeply to decode") from exc


# The parser (_parser_blocks.py) builds one event per dispatch, so the generated keyword
# __init__ (about 0.45 us, because a frozen dataclass assigns through
# object.__setattr__) would be most of its per-event cost.  It fills a _Draft instead:
# the same slots in the same order, so plain attribute stores, after which the draft's
# class becomes ServerSentEvent (Python allows it only between identical layouts, and
# checks), giving an ordinary, fully initialised instance at about a quarter of the cost.
_new = object.__new__


class _Draft:
    __slots__ = ("event", "data", "id", "retry")  # noqa: RUF023 (the order is the layout)
    event: str
    data: str
    id: str
    retry: int | None


if _Draft.__slots__ != ServerSentEvent.__slots__:  # pragma: no cover
    raise AssertionError("_Draft must have ServerSentEvent's slots, in its order")


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A comment line of an event stream, reported by ``SSEParser(comments=True)``.

    Servers send comments as keep-alive pings (``: ping``) or as notes for humans; the
    spec ignores them, so the parser drops them unless asked.

    Attributes:
        text: the line after its colon, exactly: ``:hello`` gives ``"hello"`` and
            ``: hi`` gives ``" hi"`` (the spec strips the space after a field's colon,
            but a comment is not a field, so nothing is stripped).
    """

    text: str = ""


_set_text: Callable[[Comment, object], None] = vars(Comment)["text"].__set__
