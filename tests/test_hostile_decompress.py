"""Hostile compressed bodies through the public clients (issue 11, section 2).

A scripted raw-socket server on 127.0.0.1 sends gzip (and br, zstd, deflate) bodies:
memory must stay bounded by ``max_event_size`` whatever the compression ratio, and an
error body's excerpt must cost kilobytes. Memory is traced in-process with tracemalloc,
which sees every Python object and zlib's buffers; the bomb is built before tracing.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from typing import Any

import pytest

import sse_post

from .server import WAIT
from .test_decompress import traced_peak as traced
from .test_decompress import zeros_bomb

MiB = 1 << 20
CAP = sse_post.DEFAULT_MAX_EVENT_SIZE  # 16 MiB


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zeros_bomb()  # one `data:` line of 1 GiB of "0", about 1 MB of gzip


def send_in_pieces(h: Any, body: bytes, size: int = 65536) -> None:
    for start in range(0, len(body), size):
        h.send(body[start : start + size])


def test_gzip_bomb_ends_in_event_too_large_with_bounded_memory(run, server, bomb):
    def script(h):
        h.start(headers={"Content-Encoding": "gzip"})
        send_in_pieces(h, bomb)  # the client hangs up long before the end
        h.end()

    url = server.route(script)
    out, peak = traced(lambda: run(url))
    assert isinstance(out.error, sse_post.EventTooLargeError), out.error
    assert out.error.limit == CAP
    assert out.events == []
    assert peak < 64 * MiB, f"peak memory growth {peak / MiB:.0f} MiB"


def test_gzip_bomb_at_a_small_cap_costs_little(run, server, bomb):
    def script(h):
        h.start(headers={"Content-Encoding": "gzip"})
        send_in_pieces(h, bomb)
        h.end()

    url = server.route(script)
    out, peak = traced(lambda: run(url, max_event_size=1024))
    assert isinstance(out.error, sse_post.EventTooLargeError), out.error
    assert out.error.limit == 1024
    assert peak < 8 * MiB, f"peak memory growth {peak / MiB:.1f} MiB"


def test_bomb_after_good_events_delivers_them_first(run, server):
    good = b"".join(b"id: %d\ndata: event %d\n\n" % (n, n) for n in range(3))
    body = zeros_bomb(256 * MiB, prefix=good + b"data: ")

    def script(h):
        h.start(headers={"Content-Encoding": "gzip"})
        send_in_pieces(h, body)
        h.end()

    url = server.route(script)
    out, peak = traced(lambda: run(url))
    assert out.data == ["event 0", "event 1", "event 2"]
    assert isinstance(out.error, sse_post.EventTooLargeError), out.error
    assert peak < 64 * MiB, f"peak memory growth {peak / MiB:.0f} MiB"


def compressed(encoding: str, parts: list[bytes]) -> list[bytes]:
    """``parts`` compressed as one stream, each flushed so it can be decoded on arrival."""
    if encoding == "gzip":
        co = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        out = [co.compress(p) + co.flush(zlib.Z_SYNC_FLUSH) for p in parts]
        return [*out[:-1], out[-1] + co.flush()]
    if encoding == "deflate":
        co = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS)
        out = [co.compress(p) + co.flush(zlib.Z_SYNC_FLUSH) for p in parts]
        return [*out[:-1], out[-1] + co.flush()]
    if encoding == "br":
        brotli = pytest.importorskip("brotli")
        c = brotli.Compressor()
        out = [c.process(p) + c.flush() for p in parts]
        return [*out[:-1], out[-1] + c.finish()]
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        zstd = pytest.importorskip("backports.zstd")
    c = zstd.ZstdCompressor()
    out = [c.compress(p) + c.flush(c.FLUSH_BLOCK) for p in parts]
    return [*out[:-1], out[-1] + c.flush()]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_compressed_events_split_across_reads_are_all_delivered(run, server, encoding):
    events = [b"id: %d\nevent: tick\ndata: %s\n\n" % (n, b"payload " * n) for n in range(40)]
    first, rest = compressed(encoding, [events[0], b"".join(events[1:])])
    delivered = threading.Event()

    def script(h):
        h.start(headers={"Content-Encoding": encoding})
        h.send(first)
        # The first event must come out before the rest of the body exists.
        if delivered.wait(WAIT):
            for start in range(0, len(rest), 7):  # odd read boundaries
                h.send(rest[start : start + 7])
        h.end()

    url = server.route(script)
    out = run(url, on_event=lambda outcome, source: delivered.set())
    assert out.error is None
    assert [e.id for e in out.events] == [str(n) for n in range(40)]
    assert out.events[39].data == "payload " * 39


def test_503_with_a_gzip_bomb_body_gives_a_small_excerpt(run, server, bomb):
    def script(h):
        h.start(503, content_type="text/plain", headers={"Content-Encoding": "gzip"})
        send_in_pieces(h, bomb)
        h.end()

    url = server.route(script)
    out, peak = traced(lambda: run(url, reconnect=False))
    assert isinstance(out.error, sse_post.ResponseError), out.error
    assert out.error.status_code == 503
    assert 0 < len(out.error.body) <= 4096
    assert out.error.body.startswith("data: 000")
    assert peak < 8 * MiB, f"peak memory growth {peak / MiB:.1f} MiB"


def test_400_with_a_gzip_body_shows_it_decoded(run, server):
    body = gzip.compress(b'{"error": "bad request"}')

    def script(h):
        h.respond(400, body, content_type="application/json", headers={"Content-Encoding": "gzip"})

    url = server.route(script)
    out = run(url)
    assert isinstance(out.error, sse_post.ResponseError), out.error
    assert out.error.body == '{"error": "bad request"}'


def test_accept_encoding_names_only_what_can_be_decoded_with_a_bound(run, server):
    from sse_post._decompress import accept_encoding

    url = server.route(lambda h: h.respond(204))
    run(url)
    sent = server.requests_to(url)[0].headers.get("accept-encoding", "identity")
    offered = {name.strip() for name in sent.split(",")} - {"identity", ""}
    assert offered <= set(accept_encoding().split(", ")), sent
