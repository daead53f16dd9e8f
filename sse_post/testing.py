"""Helpers for testing code that consumes server-sent events.

- `format_event` writes one event in the wire format;
- `sse_response` makes a streaming ``httpx.Response`` from events, for
  ``httpx.MockTransport`` handlers and respx routes, sync and async alike, with options
  for the chunk size, a delay between chunks, a drop mid-stream, the status and headers.

Example with respx::

    respx.post(url).mock(return_value=sse_response([{"data": "hi"}, {"data": "[DONE]"}]))
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import anyio
import httpx

__all__ = ["format_event", "sse_response"]


def format_event(
    data: str | None = None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event block in the ``text/event-stream`` format, ended by a blank line.

    Multi-line data (LF, CR or CRLF line ends) becomes one ``data:`` line per line, so
    the event parses back to exactly ``data``. ``data=None`` writes no ``data`` field
    (a block that updates ``id`` or ``retry`` without dispatching an event).

    Raises:
        ValueError: ``event``, ``id`` or ``comment`` holds CR or LF, ``id`` holds NUL
            (no parser would read it back), or ``retry`` is negative.
    """
    lines: list[str] = []
    if comment is not None:
        _single_line("comment", comment)
        lines.append(f":{comment}")
    if event is not None:
        _single_line("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _single_line("id", id)
        if "\0" in id:
            raise ValueError(f"expected an id without NUL, got {id!r}")
        lines.append(f"id: {id}")
    if retry is not None:
        if retry < 0:
            raise ValueError(f"expected a retry of 0 or more milliseconds, got {retry!r}")
        lines.append(f"retry: {retry}")
    if data is not None:
        normalised = data.replace("\r\n", "\n").replace("\r", "\n")
        lines.extend(f"data: {line}" for line in normalised.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


def _single_line(name: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"expected {name} on one line, got {value!r}")


EventSpec = Mapping[str, Any] | bytes | str


def sse_response(
    events: Iterable[EventSpec],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    chunk_size: int | None = None,
    delay: float = 0.0,
    drop_after: int | None = None,
) -> httpx.Response:
    """A streaming ``httpx.Response`` whose body is ``events`` in the wire format.

    Args:
        events: each a mapping of `format_event` arguments, or raw bytes / str
            sent as they are.
        status_code: the status; ``Content-Type: text/event-stream`` is set unless
            ``headers`` gives one.
        headers: more response headers.
        chunk_size: split the body into reads of this many bytes (default: one read
            per event), to exercise events that straddle reads.
        delay: seconds to wait before each read (``time.sleep`` for sync clients,
            ``anyio.sleep`` for async ones).
        drop_after: cut the stream after this many bytes with
            ``httpx.RemoteProtocolError``, as a dropped connection would.

    Works as a ``MockTransport`` handler's return value or a respx ``return_value`` /
    ``side_effect``, with sync and async clients.
    """
    parts = [_encode(e) for e in events]
    body_headers = {"content-type": "text/event-stream"}
    body_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    stream = _EventStream(parts, chunk_size=chunk_size, delay=delay, drop_after=drop_after)
    return httpx.Response(status_code, headers=body_headers, stream=stream)


def _encode(event: EventSpec) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return format_event(**event)


class _EventStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(
        self, parts: list[bytes], *, chunk_size: int | None, delay: float, drop_after: int | None
    ) -> None:
        if chunk_size is not None:
            body = b"".join(parts)
            parts = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
        self._parts = parts
        self._delay = delay
        self._drop_after = drop_after

    def _chunks(self) -> Iterator[bytes]:
        sent = 0
        for part in self._parts:
            if self._drop_after is not None and sent + len(part) > self._drop_after:
                yield part[: self._drop_after - sent]
                raise httpx.RemoteProtocolError("peer closed connection (sse_response drop_after)")
            sent += len(part)
            yield part

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks():
            if self._delay:
                time.sleep(self._delay)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks():
            if self._delay:
                await anyio.sleep(self._delay)
            yield chunk
