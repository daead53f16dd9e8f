"""Content-Encoding decoding that inflates only as far as its output is pulled.

httpx inflates each read whole, so a few hundred KiB of gzip can become gigabytes before
the parser sees a byte. Here ``Decoder.feed(raw)`` queues the raw bytes and returns a lazy
iterator of pieces of at most ``max_piece`` bytes: a consumer that stops pulling (the
parser raising ``EventTooLargeError``, an excerpt that has enough) stops the inflating.

Formats: gzip (``x-gzip``), deflate (zlib-wrapped, or raw as some servers send it), br
with ``brotli`` >= 1.2 or ``brotlicffi`` >= 1.2 (the first versions that can bound their
output), zstd with ``compression.zstd`` (Python 3.14) or ``backports.zstd``. The
``zstandard`` package is not used: its push API (``decompressobj``) cannot bound output.
A zstd window is capped at 8 MiB, which RFC 9659 allows HTTP decoders to enforce.

No I/O here: the drivers read raw bytes, this module turns them into body bytes.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from ._decoders import (
    MAX_PIECE,
    BrotliDecoder,
    Chain,
    Decoder,
    DecodingError,
    DeflateDecoder,
    GzipDecoder,
    TruncatedError,
    ZstdDecoder,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "MAX_ENCODINGS",
    "MAX_PIECE",
    "Decoder",
    "DecodingError",
    "Excerpt",
    "TruncatedError",
    "UnsupportedEncodingError",
    "accept_encoding",
    "decoder_for",
    "excerpt",
]

# Stacked encodings allowed in one header: each costs a decoder, and no real server stacks
# more than two (urllib3 caps its chain at five too).
MAX_ENCODINGS = 5


class UnsupportedEncodingError(ValueError):
    """A Content-Encoding this module cannot decode with bounded output."""


# Cached: a failed import searches the path again on every call, and this runs per request.
@functools.cache
def _brotli_module() -> Any:
    for name in ("brotli", "brotlicffi"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        # Before 1.2 neither can bound its output, which is the point of this module.
        if hasattr(module.Decompressor, "can_accept_more_data"):
            return module
    return None


@functools.cache
def _zstd_module() -> Any:
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _one(name: str, max_piece: int) -> Decoder:
    if name in ("gzip", "x-gzip"):
        return GzipDecoder(max_piece)
    if name == "deflate":
        return DeflateDecoder(max_piece)
    if name == "br":
        module = _brotli_module()
        if module is None:
            raise UnsupportedEncodingError(
                "cannot decode Content-Encoding 'br' with bounded memory: "
                "install brotli>=1.2 or brotlicffi>=1.2"
            )
        return BrotliDecoder(module, max_piece)
    if name == "zstd":
        module = _zstd_module()
        if module is None:
            raise UnsupportedEncodingError(
                "cannot decode Content-Encoding 'zstd' with bounded memory: "
                "install backports.zstd (Python < 3.14)"
            )
        return ZstdDecoder(module, max_piece)
    raise UnsupportedEncodingError(f"unsupported Content-Encoding {name!r}")


def decoder_for(content_encoding: str, *, max_piece: int = MAX_PIECE) -> Decoder:
    """A decoder for a response's ``Content-Encoding`` header value.

    Names are case-insensitive; ``identity`` and empty names are skipped; several
    comma-separated encodings are undone in reverse order, as RFC 9110 section 8.4 says.

    Args:
        content_encoding: the header value, ``""`` when absent.
        max_piece: the largest piece the decoder yields, in bytes.

    Raises:
        UnsupportedEncodingError: (a ``ValueError``) an encoding is unknown, its library
            is missing or too old to bound its output, or more than ``MAX_ENCODINGS``
            are stacked.
        ValueError: ``max_piece`` is not positive.
    """
    names = [name.strip().lower() for name in content_encoding.split(",")]
    names = [name for name in names if name and name != "identity"]
    if len(names) > MAX_ENCODINGS:
        raise UnsupportedEncodingError(
            f"expected at most {MAX_ENCODINGS} stacked Content-Encodings, got {len(names)}"
        )
    decoder = Decoder(max_piece)
    for index, name in enumerate(reversed(names)):
        one = _one(name, max_piece)
        decoder = one if index == 0 else Chain(decoder, one)
    return decoder


def accept_encoding() -> str:
    """The ``Accept-Encoding`` value naming only what ``decoder_for`` decodes here.

    ``"gzip, deflate"``, plus ``br`` and ``zstd`` when their libraries can bound output.
    """
    names = ["gzip", "deflate"]
    if _brotli_module() is not None:
        names.append("br")
    if _zstd_module() is not None:
        names.append("zstd")
    return ", ".join(names)


class Excerpt:
    """Decodes the start of an error body: at most ``limit`` bytes, whatever the ratio.

    Feed raw chunks until ``feed`` returns True, then call ``close``. Give the decoder a
    ``max_piece`` of about ``limit`` so that the excerpt costs kilobytes.

    Args:
        decoder: the body's decoder, from ``decoder_for``.
        limit: the most decoded bytes kept.
        raw_limit: the most raw bytes read, for bodies that decode to nothing for long.

    Raises:
        ValueError: ``limit`` or ``raw_limit`` is negative.
    """

    def __init__(self, decoder: Decoder, limit: int, *, raw_limit: int = 1024 * 1024) -> None:
        if limit < 0 or raw_limit < 0:
            raise ValueError(f"expected limits >= 0, got {limit!r} and {raw_limit!r}")
        self._decoder = decoder
        self._limit = limit
        self._raw_left = raw_limit
        self._parts: list[bytes] = []
        self._size = 0
        self._stop = limit == 0  # enough, or the body is corrupt: read no more

    def feed(self, data: bytes) -> bool:
        """Decode one raw chunk; True when the caller should stop reading the body."""
        if not self._stop:
            self._raw_left -= len(data)
            self._collect(self._decoder.feed(data))
            self._stop = self._stop or self._raw_left <= 0
        return self._stop

    def close(self) -> bytes:
        """The excerpt: the decoded start of the body, cut at ``limit`` bytes.

        A corrupt or truncated body ends the excerpt where decoding failed; no error.
        """
        if not self._stop:
            self._collect(self._decoder.flush())
            self._stop = True
        return b"".join(self._parts)[: self._limit]

    def _collect(self, pieces: Iterator[bytes]) -> None:
        try:
            for piece in pieces:
                self._parts.append(piece)
                self._size += len(piece)
                if self._size >= self._limit:
                    self._stop = True
                    return
        except DecodingError:
            self._stop = True


def excerpt(
    decoder: Decoder, chunks: Iterable[bytes], limit: int, *, raw_limit: int = 1024 * 1024
) -> bytes:
    """At most ``limit`` decoded bytes from the start of ``chunks``; see `Excerpt`.

    Stops pulling ``chunks`` as soon as it has enough.

    Raises:
        ValueError: ``limit`` or ``raw_limit`` is negative.
    """
    collector = Excerpt(decoder, limit, raw_limit=raw_limit)
    for chunk in chunks:
        if collector.feed(chunk):
            break
    return collector.close()
