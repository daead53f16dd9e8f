"""Content-Encoding decoders that inflate only as far as their output is pulled.

httpx inflates each read whole, so a few hundred KiB of gzip can become gigabytes before
the parser sees a byte. Here ``Decoder.feed(raw)`` queues the raw bytes and returns a lazy
iterator of pieces of at most ``max_piece`` bytes: a consumer that stops pulling (the
parser raising ``EventTooLargeError``, an excerpt that has enough) stops the inflating.

Formats: gzip (``x-gzip``), deflate (zlib-wrapped, or raw as some servers send it), br
with ``brotli`` >= 1.2 or ``brotlicffi`` >= 1.2 (the first versions that can bound their
output), zstd with ``compression.zstd`` (Python 3.14) or ``backports.zstd``. The
``zstandard`` package is not used: its push API (``decompressobj``) cannot bound output.
A zstd window is capped at 8 MiB, as RFC 8878 section 3.1.1.1.2 has HTTP decoders do.

No I/O here: the drivers read raw bytes, this module turns them into body bytes.
"""

from __future__ import annotations

import importlib
import zlib
from typing import TYPE_CHECKING, Any

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

MAX_PIECE = 64 * 1024
# Compressed bytes handed to zlib per call: zlib copies what it leaves unconsumed into a new
# bytes object on every call, so slicing the input keeps a bomb's many calls cheap.
_IN_SLICE = 16 * 1024
# Stacked encodings allowed in one header; each costs a decoder, and no real server stacks
# more than two (urllib3 allows five after CVE-2025-50181's cousin, GHSA-gm62-xv2j-4w53).
MAX_ENCODINGS = 5
_ZSTD_WINDOW_LOG_MAX = 23  # 8 MiB, RFC 8878 section 3.1.1.1.2
_GZIP_MAGIC = b"\x1f\x8b"


class DecodingError(ValueError):
    """The body is not valid data in its Content-Encoding."""


class TruncatedError(DecodingError):
    """The body ended in the middle of a compressed stream (a cut connection, mostly)."""


class UnsupportedEncodingError(ValueError):
    """A Content-Encoding this module cannot decode with bounded output."""


class Decoder:
    """Decodes one response body, pulled piece by piece.

    ``feed`` queues its bytes at once and returns a lazy iterator: nothing is inflated
    until it is pulled, and stopping early leaves the rest queued, to come out of the next
    ``feed`` or of ``flush`` in stream order. Identity bodies are only sliced.

    Args:
        max_piece: the largest piece yielded, in bytes (default 64 KiB).

    Raises:
        ValueError: ``max_piece`` is not positive.
    """

    name = "identity"

    def __init__(self, max_piece: int = MAX_PIECE) -> None:
        if max_piece <= 0:
            raise ValueError(f"expected a positive max_piece, got {max_piece!r}")
        self.max_piece = max_piece
        self._buf = b""
        self._pos = 0
        self._flushed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Queue raw body bytes; return an iterator over the decoded pieces.

        Raises:
            RuntimeError: called after ``flush``.
            DecodingError: (from the iterator) the body is corrupt.
        """
        if self._flushed:
            raise RuntimeError("feed() after flush()")
        self._queue(data)
        return self._drain()

    def flush(self) -> Iterator[bytes]:
        """End of body: return an iterator over what is left, then check the end.

        Raises:
            RuntimeError: called twice.
            TruncatedError: (from the iterator) the body stopped mid-stream.
            DecodingError: (from the iterator) the body is corrupt.
        """
        if self._flushed:
            raise RuntimeError("flush() called twice")
        self._flushed = True
        return self._finish()

    def _finish(self) -> Iterator[bytes]:
        yield from self._drain()
        self._check_end()

    # --- the queue of raw bytes not yet handed to the codec ------------------------------
    def _queue(self, data: bytes) -> None:
        if not data:
            return
        if self._pos >= len(self._buf):
            self._buf, self._pos = bytes(data), 0
        else:
            self._buf, self._pos = self._buf[self._pos :] + data, 0

    def _pending(self) -> int:
        return len(self._buf) - self._pos

    def _take(self, size: int | None = None) -> bytes:
        """Remove and return up to ``size`` queued bytes (all without a size)."""
        end = len(self._buf) if size is None else self._pos + size
        chunk = self._buf[self._pos : end]
        self._pos += len(chunk)
        return chunk

    # --- what each format overrides ---------------------------------------------------------
    def _drain(self) -> Iterator[bytes]:
        while self._pending():
            yield self._take(self.max_piece)

    def _check_end(self) -> None:
        return None


class _ZlibDecoder(Decoder):
    """gzip and deflate: zlib's ``max_length`` and ``unconsumed_tail`` bound each call."""

    def __init__(self, max_piece: int = MAX_PIECE) -> None:
        super().__init__(max_piece)
        self._obj: Any = None  # zlib's Decompress type is not importable for annotation
        self._started = False  # the current stream has had input: ending now truncates
        self._streams = 0  # streams completed
        self._done = False  # past the end: the rest is ignored
        self._more = False  # the last call filled max_piece: output may be pending

    def _wbits(self) -> int | None:
        """The wbits of the next stream, 0 to ignore the rest, None to wait for bytes."""
        raise NotImplementedError

    def _drain(self) -> Iterator[bytes]:
        while True:
            if self._obj is None:
                wbits = None if self._done else self._wbits()
                if wbits == 0:
                    self._done = True
                if self._done:
                    self._take()  # trailing bytes after the last stream: ignored
                    return
                if wbits is None:
                    return
                self._obj, self._started = zlib.decompressobj(wbits), False
            if not self._pending() and not self._more:
                return
            chunk = self._take(_IN_SLICE)
            self._started = self._started or bool(chunk)
            try:
                out = self._obj.decompress(chunk, self.max_piece)
            except zlib.error as exc:
                raise DecodingError(f"invalid {self.name} body: {exc}") from exc
            # Hand back what zlib did not consume: the bytes after this stream's end, or
            # the tail it left because the output was full.
            left = self._obj.unused_data if self._obj.eof else self._obj.unconsumed_tail
            self._pos -= len(left)
            self._more = len(out) == self.max_piece
            if self._obj.eof:
                self._obj, self._streams, self._more = None, self._streams + 1, False
            if out:
                yield out

    def _check_end(self) -> None:
        if (self._obj is not None and self._started) or (self._pending() and not self._done):
            raise TruncatedError(f"the {self.name} body ended before its end marker")


class _GzipDecoder(_ZlibDecoder):
    name = "gzip"

    def _wbits(self) -> int | None:
        if not self._streams:
            return 16 + zlib.MAX_WBITS
        # RFC 1952 allows several members; anything else after a member is junk that some
        # servers append, ignored as urllib3 and browsers do.
        if self._pending() < 2:
            return None if not self._flushed else 0
        return 16 + zlib.MAX_WBITS if self._buf.startswith(_GZIP_MAGIC, self._pos) else 0


class _DeflateDecoder(_ZlibDecoder):
    name = "deflate"

    def _wbits(self) -> int | None:
        if self._streams:
            return 0
        # "deflate" means zlib-wrapped (RFC 9110 section 8.4.1.2), yet some servers send a
        # raw stream. Decide from the 2-byte zlib header (RFC 1950 section 2.2) rather than
        # on the first error as httpx does, so the choice does not depend on chunking.
        if self._pending() < 2:
            return None
        cmf, flg = self._buf[self._pos], self._buf[self._pos + 1]
        wrapped = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


class _BrotliDecoder(Decoder):
    """br: ``process(data, output_buffer_limit=)`` keeps unread input inside the decoder."""

    name = "br"

    def __init__(self, module: Any, max_piece: int = MAX_PIECE) -> None:
        super().__init__(max_piece)
        self._obj = module.Decompressor()
        self._error: type[Exception] = module.error
        self._started = False
        self._spill = b""  # output past max_piece, kept for the next pull

    def _drain(self) -> Iterator[bytes]:
        while True:
            while self._spill:
                piece, self._spill = self._split_spill()
                yield piece
            data = b""
            if self._pending() and self._obj.can_accept_more_data():
                data, self._started = self._take(), True
            try:
                out = self._obj.process(data, output_buffer_limit=self.max_piece)
            except self._error as exc:
                raise DecodingError(f"invalid br body: {exc}") from exc
            # can_accept_more_data() only says whether input may be passed: output may be
            # pending either way, so pull with empty input until a pull yields nothing.
            if not out and not data:
                return
            # The limit is a floor of about 32 KiB in brotli, not an exact cap: split here.
            self._spill = out

    def _split_spill(self) -> tuple[bytes, bytes]:
        return self._spill[: self.max_piece], self._spill[self.max_piece :]

    def _check_end(self) -> None:
        if self._started and not self._obj.is_finished():
            raise TruncatedError("the br body ended before its end marker")


class _ZstdDecoder(Decoder):
    """zstd: ``decompress(data, max_length)`` and ``needs_input``, one frame per object."""

    name = "zstd"

    def __init__(self, module: Any, max_piece: int = MAX_PIECE) -> None:
        super().__init__(max_piece)
        self._module = module
        self._obj: Any = None
        self._started = False

    def _new(self) -> Any:
        option = self._module.DecompressionParameter.window_log_max
        return self._module.ZstdDecompressor(options={option: _ZSTD_WINDOW_LOG_MAX})

    def _drain(self) -> Iterator[bytes]:
        while True:
            if self._obj is None or self._obj.eof:
                # A body may hold several frames (RFC 8878 section 3.1): each gets a fresh
                # decompressor, starting from what the last one left over.
                rest = b"" if self._obj is None else self._obj.unused_data
                self._obj, self._started = None, False
                self._queue_front(rest)
                if not self._pending():
                    return
                self._obj = self._new()
            data = b""
            if self._obj.needs_input:
                if not self._pending():
                    return
                data = self._take()
                self._started = True
            try:
                out = self._obj.decompress(data, self.max_piece)
            except self._module.ZstdError as exc:
                raise DecodingError(f"invalid zstd body: {exc}") from exc
            if out:
                yield out

    def _queue_front(self, data: bytes) -> None:
        if data:
            self._buf, self._pos = data + self._buf[self._pos :], 0

    def _check_end(self) -> None:
        if self._started:
            raise TruncatedError("the zstd body ended before its end marker")


class _Chain(Decoder):
    """Several encodings: the first decoder's pieces feed the second's, lazily."""

    def __init__(self, first: Decoder, second: Decoder) -> None:
        super().__init__(second.max_piece)
        self.name = f"{second.name}, {first.name}"  # header order: applied first, first
        self._first, self._second = first, second

    def _queue(self, data: bytes) -> None:
        self._first._queue(data)

    def _drain(self) -> Iterator[bytes]:
        yield from self._second._drain()  # what an abandoned pull left in the second
        for piece in self._first._drain():
            self._second._queue(piece)
            yield from self._second._drain()

    def _finish(self) -> Iterator[bytes]:
        self._first._flushed = True
        yield from self._second._drain()
        for piece in self._first._finish():
            self._second._queue(piece)
            yield from self._second._drain()
        self._second._flushed = True
        yield from self._second._finish()


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


def _zstd_module() -> Any:
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _one(name: str, max_piece: int) -> Decoder:
    if name in ("gzip", "x-gzip"):
        return _GzipDecoder(max_piece)
    if name == "deflate":
        return _DeflateDecoder(max_piece)
    if name == "br":
        module = _brotli_module()
        if module is None:
            raise UnsupportedEncodingError(
                "cannot decode Content-Encoding 'br' with bounded memory: "
                "install brotli>=1.2 or brotlicffi>=1.2"
            )
        return _BrotliDecoder(module, max_piece)
    if name == "zstd":
        module = _zstd_module()
        if module is None:
            raise UnsupportedEncodingError(
                "cannot decode Content-Encoding 'zstd' with bounded memory: "
                "install backports.zstd (Python < 3.14)"
            )
        return _ZstdDecoder(module, max_piece)
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
        decoder = one if index == 0 else _Chain(decoder, one)
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
