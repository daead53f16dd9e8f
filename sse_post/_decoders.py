"""The decoders behind `sse_post._decompress`: one class per Content-Encoding.

Each keeps the raw bytes it was fed in a queue and inflates from it only while its
output is pulled, in pieces of at most ``max_piece`` bytes (see `Decoder`).
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_PIECE = 64 * 1024
# Compressed bytes handed to zlib per call: zlib copies what it leaves unconsumed into a new
# bytes object on every call, so slicing the input keeps a bomb's many calls cheap.
_IN_SLICE = 16 * 1024
_ZSTD_WINDOW_LOG_MAX = 23  # 8 MiB: RFC 9659 lets HTTP decoders refuse larger windows
_GZIP_MAGIC = b"\x1f\x8b"


class DecodingError(ValueError):
    """The body is not valid data in its Content-Encoding."""


class TruncatedError(DecodingError):
    """The body ended in the middle of a compressed stream (a cut connection, mostly)."""


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
        self._buf, self._pos = b"", 0  # queued raw bytes, and how far they are taken
        self._flushed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Queue raw body bytes now; return a lazy iterator over the decoded pieces.

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

        The end is checked only once the iterator is exhausted; abandoning it skips that.

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

    # The queue of raw bytes not yet handed to the codec.
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

    def _drain(self) -> Iterator[bytes]:
        while self._pending():
            yield self._take(self.max_piece)

    def _check_end(self) -> None:
        return None


class ZlibDecoder(Decoder):
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


class GzipDecoder(ZlibDecoder):
    name = "gzip"

    def _wbits(self) -> int | None:
        if not self._streams:
            return 16 + zlib.MAX_WBITS
        # RFC 1952 allows several members; anything else after a member is junk that some
        # servers append, ignored as urllib3 and browsers do.
        if self._pending() < 2:
            return None if not self._flushed else 0
        return 16 + zlib.MAX_WBITS if self._buf.startswith(_GZIP_MAGIC, self._pos) else 0


class DeflateDecoder(ZlibDecoder):
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


class BrotliDecoder(Decoder):
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
                piece, self._spill = self._spill[: self.max_piece], self._spill[self.max_piece :]
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

    def _check_end(self) -> None:
        if self._started and not self._obj.is_finished():
            raise TruncatedError("the br body ended before its end marker")


class ZstdDecoder(Decoder):
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


class Chain(Decoder):
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
