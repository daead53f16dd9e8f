"""Placeholder until the bounded decoders land: identity, gzip and deflate."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

__all__ = ["accept_encoding", "decoder_for"]


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._d = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        d = self._d
        while data:
            out = d.decompress(data, 65536)
            data = d.unconsumed_tail
            if out:
                yield out

    def flush(self) -> Iterator[bytes]:
        out = self._d.flush()
        if out:
            yield out


def decoder_for(content_encoding: str) -> Any:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    raise ValueError(f"unsupported Content-Encoding {content_encoding!r}")


def accept_encoding() -> str:
    return "gzip, deflate"
