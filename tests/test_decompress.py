"""The bounded Content-Encoding decoders: round trips, chunking, bombs, bad input."""

from __future__ import annotations

import gzip
import random
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from sse_post import EventTooLargeError, SSEParser
from sse_post import _decompress as dec
from sse_post._decompress import (
    MAX_ENCODINGS,
    DecodingError,
    Excerpt,
    TruncatedError,
    UnsupportedEncodingError,
    accept_encoding,
    decoder_for,
    excerpt,
)

PAYLOAD = b"".join(
    b'id: %d\ndata: {"n": %d, "pad": "%s"}\n\n' % (i, i, b"xy" * i) for i in range(60)
)
PAYLOAD += random.Random(7).randbytes(2000)  # an incompressible stretch too


def _brotli() -> Any:
    return pytest.importorskip("brotli", reason="brotli is not installed")


def _zstd() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        zstd = pytest.importorskip("backports.zstd", reason="no zstd module is installed")
    return zstd


T = TypeVar("T")


def raw_deflate(data: bytes) -> bytes:
    co = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return co.compress(data) + co.flush()


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "deflate-raw": raw_deflate,
    "br": lambda data: _brotli().compress(data),
    # With its checksum, so that corruption is detectable (zstd's default has none).
    "zstd": lambda data: _zstd().compress(
        data, options={_zstd().CompressionParameter.checksum_flag: 1}
    ),
    "identity": bytes,
}


def header(name: str) -> str:
    return name.removesuffix("-raw")


def decode(decoder: dec.Decoder, chunks: list[bytes]) -> bytes:
    out: list[bytes] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.flush())
    assert all(len(piece) <= decoder.max_piece for piece in out)
    return b"".join(out)


@pytest.mark.parametrize("name", list(COMPRESS))
class TestRoundTrip:
    def test_whole_and_byte_by_byte(self, name):
        body = COMPRESS[name](PAYLOAD)
        assert decode(decoder_for(header(name)), [body]) == PAYLOAD
        one_by_one = [body[i : i + 1] for i in range(len(body))]
        assert decode(decoder_for(header(name), max_piece=100), one_by_one) == PAYLOAD

    def test_split_anywhere_gives_the_same_output(self, name):
        body = COMPRESS[name](PAYLOAD)
        for cut in range(0, len(body) + 1, max(1, len(body) // 150)):
            chunks = [body[:cut], body[cut:]]
            assert decode(decoder_for(header(name), max_piece=512), chunks) == PAYLOAD, cut

    def test_pieces_are_at_most_max_piece(self, name):
        body = COMPRESS[name](PAYLOAD * 20)
        pieces = list(decoder_for(header(name), max_piece=1000).feed(body))
        assert max(len(piece) for piece in pieces) <= 1000
        assert b"".join(pieces) == (PAYLOAD * 20)[: sum(map(len, pieces))]

    def test_an_abandoned_pull_leaves_the_rest_queued(self, name):
        body = COMPRESS[name](PAYLOAD)
        decoder = decoder_for(header(name), max_piece=64)
        first = next(decoder.feed(body))  # stop after one piece
        rest = b"".join(decoder.feed(b"")) + b"".join(decoder.flush())
        assert first + rest == PAYLOAD

    def test_empty_body_is_not_truncated(self, name):
        assert decode(decoder_for(header(name)), [b""]) == b""

    def test_cut_body_is_truncated(self, name):
        if name == "identity":
            pytest.skip("identity has no end marker")
        body = COMPRESS[name](PAYLOAD)
        decoder = decoder_for(header(name))
        out = b"".join(decoder.feed(body[: len(body) // 2]))
        with pytest.raises(TruncatedError, match=header(name).removeprefix("x-")):
            out += b"".join(decoder.flush())
        assert PAYLOAD.startswith(out)


@pytest.mark.parametrize("name", ["gzip", "deflate", "br", "zstd"])
def test_corrupt_body_raises_decoding_error(name):
    body = bytearray(COMPRESS[name](PAYLOAD))
    body[len(body) // 3 : len(body) // 3 + 8] = b"\xff" * 8
    garbage = b"\x00not compressed data at all, not even close\xff" * 4
    for bad in (bytes(body), garbage):
        with pytest.raises(DecodingError, match=name):
            decode(decoder_for(name), [bad])


def test_gzip_members_are_concatenated_and_junk_after_one_ignored():
    two = gzip.compress(b"one ") + gzip.compress(b"two")
    assert decode(decoder_for("gzip"), [two]) == b"one two"
    assert decode(decoder_for("gzip"), [two[i : i + 3] for i in range(0, len(two), 3)]) == (
        b"one two"
    )
    for junk in (b"\x00", b"\x00\x00\x00 trailing junk"):
        assert decode(decoder_for("gzip"), [gzip.compress(b"ok"), junk]) == b"ok"
    assert decode(decoder_for("deflate"), [zlib.compress(b"ok") + b"junk"]) == b"ok"


def test_zstd_frames_are_concatenated():
    zstd = _zstd()
    body = zstd.compress(b"one ") + zstd.compress(b"two")
    assert decode(decoder_for("zstd"), [body[i : i + 5] for i in range(0, len(body), 5)]) == (
        b"one two"
    )


def test_zstd_window_over_8_mib_is_refused():
    zstd = _zstd()
    big = zstd.ZstdCompressor(options={zstd.CompressionParameter.window_log: 24})
    body = big.compress(b"x" * 100) + big.flush()  # no size known: the window stays 16 MiB
    with pytest.raises(DecodingError, match=r"zstd.*memory"):
        decode(decoder_for("zstd"), [body])
    fits = zstd.ZstdCompressor(options={zstd.CompressionParameter.window_log: 23})
    assert decode(decoder_for("zstd"), [fits.compress(b"x" * 100) + fits.flush()]) == b"x" * 100


class TestHeader:
    def test_stacked_encodings_are_undone_in_reverse_order(self):
        brotli = _brotli()
        body = brotli.compress(zlib.compress(gzip.compress(PAYLOAD)))
        decoder = decoder_for(" GZIP ,deflate, identity,, br")
        assert decode(decoder, [body[i : i + 9] for i in range(0, len(body), 9)]) == PAYLOAD

    def test_stacked_encodings_truncate_and_abandon_cleanly(self):
        body = gzip.compress(gzip.compress(PAYLOAD))
        decoder = decoder_for("gzip, gzip", max_piece=50)
        first = next(decoder.feed(body[:-4]))
        more = b"".join(decoder.feed(b""))
        with pytest.raises(TruncatedError):
            list(decoder.flush())
        assert PAYLOAD.startswith(first + more)

    def test_identity_and_empty_header_pass_bytes_through_in_pieces(self):
        for value in ("", "identity", " Identity "):
            pieces = list(decoder_for(value, max_piece=10).feed(b"x" * 25))
            assert pieces == [b"x" * 10, b"x" * 10, b"x" * 5]

    @pytest.mark.parametrize("value", ["compress", "x-compress", "gzip, snappy", "aes128gcm"])
    def test_unknown_encoding_is_named(self, value):
        name = value.split(", ")[-1]
        with pytest.raises(UnsupportedEncodingError, match=repr(name)):
            decoder_for(value)
        assert issubclass(UnsupportedEncodingError, ValueError)

    def test_too_many_stacked_encodings(self):
        decoder_for(", ".join(["gzip"] * MAX_ENCODINGS))
        with pytest.raises(UnsupportedEncodingError, match=str(MAX_ENCODINGS)):
            decoder_for(", ".join(["gzip"] * (MAX_ENCODINGS + 1)))

    def test_unavailable_library_is_refused_and_not_advertised(self, monkeypatch):
        monkeypatch.setattr(dec, "_brotli_module", lambda: None)
        monkeypatch.setattr(dec, "_zstd_module", lambda: None)
        assert accept_encoding() == "gzip, deflate"
        for name, hint in (("br", "brotli>=1.2"), ("zstd", "backports.zstd")):
            with pytest.raises(UnsupportedEncodingError, match=f"'{name}'.*{hint}"):
                decoder_for(name)

    def test_accept_encoding_names_what_is_installed(self):
        _brotli()
        _zstd()
        assert accept_encoding() == "gzip, deflate, br, zstd"

    def test_misuse(self):
        with pytest.raises(ValueError, match="max_piece"):
            decoder_for("gzip", max_piece=0)
        decoder = decoder_for("gzip")
        list(decoder.flush())
        with pytest.raises(RuntimeError):
            decoder.feed(b"")
        with pytest.raises(RuntimeError):
            decoder.flush()


def zeros_bomb(size: int = 1 << 30, *, prefix: bytes = b"data: ") -> bytes:
    """``prefix`` and ``size`` ASCII zeros, gzipped (~1 MB per GiB) in a fraction of a
    second: after a full flush deflate forgets its history, so each 1 MiB block compresses
    to the same bytes, computed once; the trailer's CRC is computed honestly."""
    block = b"0" * (1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    segment = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.flush()[:-8]
    crc = zlib.crc32(prefix)
    for _ in range(size >> 20):
        crc = zlib.crc32(block, crc)
    total = len(prefix) + (size >> 20) * len(block)
    return head + segment * (size >> 20) + tail + struct.pack("<II", crc, total & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zeros_bomb()


def traced_peak(fn: Callable[[], T]) -> tuple[T, int]:
    """Run ``fn``; return its result and the peak growth of traced memory, in bytes."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


class TestBomb:
    def test_ten_pieces_of_a_gibibyte_cost_kilobytes(self, bomb):
        assert len(bomb) < 1_100_000

        def pull() -> list[int]:
            pieces = dec.decoder_for("gzip").feed(bomb)
            return [len(next(pieces)) for _ in range(10)]

        sizes, peak = traced_peak(pull)
        assert sizes == [dec.MAX_PIECE] * 10
        assert peak < 1 << 20

    @pytest.mark.parametrize("name", ["br", "zstd"])
    def test_other_formats_stop_inflating_when_pulling_stops(self, name):
        block = b"0" * (1 << 20)
        if name == "br":
            c = _brotli().Compressor(quality=1)
            body = b"".join([c.process(block) for _ in range(256)] + [c.finish()])
        else:
            c = _zstd().ZstdCompressor(level=1)
            body = b"".join([c.compress(block) for _ in range(256)] + [c.flush()])
        assert len(body) < 300_000

        def pull() -> list[int]:
            pieces = decoder_for(name).feed(body)
            return [len(next(pieces)) for _ in range(10)]

        sizes, peak = traced_peak(pull)
        assert all(0 < size <= dec.MAX_PIECE for size in sizes)  # brotli's may be 32 KiB
        assert peak < 1 << 20

    def test_parser_cap_stops_the_bomb(self, bomb):
        def run() -> EventTooLargeError | None:
            decoder, parser = decoder_for("gzip"), SSEParser()
            try:
                for start in range(0, len(bomb), 65536):
                    for piece in decoder.feed(bomb[start : start + 65536]):
                        parser.feed(piece)
            except EventTooLargeError as exc:
                return exc
            return None

        error, peak = traced_peak(run)
        assert error is not None
        assert peak < 2 * 16 * (1 << 20) + (8 << 20)  # 2x the default cap plus slack

    def test_excerpt_of_a_bomb_costs_kilobytes(self, bomb):
        def take() -> bytes:
            chunks = (bomb[i : i + 65536] for i in range(0, len(bomb), 65536))
            return excerpt(decoder_for("gzip", max_piece=4096), chunks, 4096)

        text, peak = traced_peak(take)
        assert text == b"data: " + b"0" * 4090
        assert peak < 256 * 1024


class TestExcerpt:
    def test_stops_reading_once_full(self):
        body = gzip.compress(b"error: " + b"x" * 100_000)
        read = []

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(body), 10):
                read.append(i)
                yield body[i : i + 10]

        assert excerpt(decoder_for("gzip", max_piece=100), chunks(), 50) == b"error: " + b"x" * 43
        assert len(read) < len(body) // 10

    def test_short_corrupt_and_truncated_bodies_give_what_decoded(self):
        assert excerpt(decoder_for("gzip"), [gzip.compress(b"short")], 4096) == b"short"
        assert excerpt(decoder_for("gzip"), [gzip.compress(b"cut off")[:-6]], 4096) == b"cut off"
        assert excerpt(decoder_for("deflate"), [b"\x78\x9c\xff\xff garbage"], 4096) == b""
        assert excerpt(decoder_for(""), [b"abc", b"def"], 0) == b""

    def test_raw_limit_bounds_bodies_that_decode_to_nothing(self):
        # Empty stored deflate blocks: valid, endless, and they decode to nothing.
        empty_blocks = b"\x00\x00\x00\xff\xff" * 2000
        collector = Excerpt(decoder_for("deflate"), 100, raw_limit=5000)
        fed = 0
        while not collector.feed(b"\x78\x9c" if fed == 0 else empty_blocks):
            fed += 1
        assert fed == 1
        assert collector.close() == b""

    def test_negative_limits_are_misuse(self):
        with pytest.raises(ValueError, match="limits"):
            Excerpt(decoder_for(""), -1)


def test_decoding_imports_no_io_libraries():
    code = (
        "import sys\n"
        "from sse_post._decompress import accept_encoding, decoder_for\n"
        "list(decoder_for(accept_encoding()).flush())\n"
        "bad = {'httpx', 'anyio', 'asyncio', 'trio', 'socket'} & set(sys.modules)\n"
        "print(sorted(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
