"""`parse` and `aparse`: the parser over any iterable of byte chunks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._parser import DEFAULT_MAX_EVENT_SIZE, SSEParser

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

    from ._events import ServerSentEvent

__all__ = ["aparse", "parse"]


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
