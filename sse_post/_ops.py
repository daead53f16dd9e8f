"""The operations the stream flow asks for, and the results it is sent back.

The vocabulary between ``_flow`` (which decides) and the drivers (which perform): plain
values, no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

from ._policy import Wait

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._request import Outgoing

__all__ = ["CLOSE", "READ", "Deliver", "Failed", "Head", "Interrupted", "Op", "Result", "Send"]


@final
@dataclass(slots=True)
class Send:
    """Send this request and answer with its `Head` (or `Failed`, `Interrupted`)."""

    request: Outgoing


@final
@dataclass(slots=True)
class Deliver:
    """Hand these events (and comments, in stream order) to the caller; take them before
    resuming the flow, which may refill the same ``Deliver`` for the next ones.

    ``then_read``: when the caller wants more, `READ` before resuming the flow, and send
    it what the read gave (one resumption a live event instead of two).
    """

    items: list[Any]
    then_read: bool = False


@final
class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Read the next chunk of the open response's raw body: answer bytes, ``b""`` at its end.
READ = _Token("READ")
#: Close the open response.
CLOSE = _Token("CLOSE")


@final
@dataclass(slots=True)
class Head:
    """A response's status line and headers (lower-case names)."""

    status: int
    headers: Mapping[str, str]
    url: str
    ends_at_close: bool  # HTTP/1 without length or chunking: a drop looks like an end
    raw: Any  # the driver's response object, for on_open
    now: float  # POSIX time, for Retry-After dates


@final
@dataclass(slots=True)
class Failed:
    """A transport failure; ``unsent``: the request certainly never reached the server."""

    error: BaseException
    unsent: bool = False


@final
@dataclass(slots=True)
class Interrupted:
    """The operation was cut short: ``"stop"`` (abort or close), ``"idle"``,
    ``"deadline"`` or ``"restart"``."""

    why: str


Op = Send | Deliver | Wait | _Token
Result = Any  # Head | bytes | Failed | Interrupted | None
