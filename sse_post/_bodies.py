"""Reading a body that is not an event stream, decoded and bounded: an error page's
excerpt, or a JSON answer. Sub-flows of ``_flow``: generators of the same operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._decompress import decoder_for
from ._errors import EventTooLargeError, ResponseError
from ._ops import CLOSE, READ, Failed, Interrupted

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._ops import Head, Op, Result

__all__ = ["EXCERPT_SIZE", "decoder_of", "read_body"]

#: How much of an error response's body a ResponseError shows.
EXCERPT_SIZE = 4096
#: How many raw bytes of an error body are read at most, whatever they decode to.
_RAW_LIMIT = 1 << 20


def read_body(
    head: Head, limit: int | None, *, truncate: bool
) -> Generator[Op, Result, bytes | Interrupted | Failed]:
    """Read a body, decoded, up to ``limit`` bytes. An error excerpt (``truncate``)
    keeps what came, however it ends; a JSON answer is whole or raises
    EventTooLargeError, and a drop is returned."""
    decoder = decoder_of(head, max_piece=limit)
    body = bytearray()
    raw = 0  # an excerpt that decodes to nothing must not be read forever
    while limit is None or len(body) <= limit:
        chunk = yield READ
        if isinstance(chunk, Interrupted):
            return chunk
        if type(chunk) is not bytes:
            if truncate:
                break  # a drop: keep what came
            return chunk  # type: ignore[no-any-return]
        raw += len(chunk)
        try:
            if decoder is None:
                body += chunk
            else:
                for piece in decoder.feed(chunk) if chunk else decoder.flush():
                    body += piece
                    if limit is not None and len(body) > limit:
                        break
        except ValueError as exc:
            if truncate:
                break  # a corrupt encoding: keep what decoded
            return Failed(ConnectionError(f"the body could not be decoded: {exc}"))
        if not chunk or (truncate and raw > _RAW_LIMIT):
            break
    yield CLOSE
    if limit is not None and len(body) > limit:
        if not truncate:
            raise EventTooLargeError(limit)
        del body[limit:]
    return bytes(body)


def decoder_of(head: Head, max_piece: int | None = None) -> Any:
    """The body's decoder, ``None`` for an unencoded one (the fast path).

    Raises:
        ResponseError: an encoding that cannot be decoded with bounded memory.
    """
    encoding = head.headers.get("content-encoding", "")
    if not encoding or encoding.strip().lower() == "identity":
        return None
    try:
        if max_piece is None:
            return decoder_for(encoding)
        return decoder_for(encoding, max_piece=max(min(max_piece, 1 << 16), 1))
    except ValueError as exc:
        raise ResponseError(
            head.status, head.headers.get("content-type", ""), head.headers, str(exc)
        ) from None
