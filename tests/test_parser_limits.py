"""max_event_size: what it counts, that its verdict ignores chunking, and peak memory."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sse_post
from sse_post import EventTooLargeError, SSEParser
from sse_post import ServerSentEvent as E

from .parser_impls import each_implementation
from .test_parser_props import chunkings, streams

implementation = each_implementation(globals())

MIB = 1024 * 1024


def outcome(chunks: list[bytes], limit: int) -> tuple[list[E], bool]:
    """The events delivered and whether EventTooLargeError was raised."""
    parser = SSEParser(max_event_size=limit)
    events: list[E] = []
    try:
        for chunk in chunks:
            events += parser.feed(chunk)
        events += parser.close()
    except EventTooLargeError as exc:
        return events, exc.limit == limit
    return events, False


def test_pending_line_over_limit():
    parser = SSEParser(max_event_size=10)
    assert parser.feed(b"data: " + b"1" * 10) == []  # its value is 10 bytes: fits
    with pytest.raises(EventTooLargeError, match=r"at most 10 bytes.*max_event_size") as info:
        parser.feed(b"5")
    assert info.value.limit == 10
    assert isinstance(info.value, sse_post.SSEError)


@pytest.mark.parametrize("at", range(15))
def test_verdict_does_not_depend_on_where_the_stream_is_split(at):
    stream = b"data: xxxxx\n\n"
    assert outcome([stream[:at], stream[at:]], 10) == ([E(data="xxxxx")], False)


@pytest.mark.parametrize("prefix", [b"", b"event: x\n", b"data: a\n\n"], ids=str)
@pytest.mark.parametrize(("size", "fits"), [(10, True), (11, False)])
@pytest.mark.parametrize("split", [False, True])
def test_data_of_exactly_the_limit_is_accepted(prefix, size, fits, split):
    stream = prefix + b"data: " + b"1" * size + b"\n\n"
    limit = 10 + (len(b"event: x") if prefix.startswith(b"event") else 0)
    chunks = [stream[i : i + 3] for i in range(0, len(stream), 3)] if split else [stream]
    events, raised = outcome(chunks, limit)
    assert raised is not fits
    if fits:
        assert events[-1].data == "1" * size
    elif prefix.endswith(b"\n\n"):
        assert events == [E(data="a")]  # the event before the big one is delivered


def test_many_data_lines_count_their_line_feeds():
    parser = SSEParser(max_event_size=19)
    for _ in range(5):  # the data is "abc\nabc\nabc\nabc\nabc": 19 bytes
        assert parser.feed(b"data: abc\n") == []
    assert parser.feed(b"\n") == [E(data="\n".join(["abc"] * 5))]
    for _ in range(5):
        parser.feed(b"data: abc\n")
    with pytest.raises(EventTooLargeError):
        parser.feed(b"data:\n")  # one more LF: 20 bytes


@pytest.mark.parametrize(("limit", "fits"), [(12, True), (11, False)])
def test_non_ascii_data_counted_in_utf8_bytes(limit, fits):
    # 4 characters but 12 UTF-8 bytes.
    assert outcome(["data:€€€€\n\n".encode()], limit)[1] is not fits


@pytest.mark.parametrize(
    ("stream", "limit", "fits"),
    [
        (b"event: abcdefgh\ndata: x\n\n", 16, True),  # 15 + the data's 1
        (b"event: abcdefgh\ndata: x\n\n", 15, False),
        (b": a comment line\n\n", 16, True),
        (b": a comment line\n\n", 15, False),
        (b"id: 12345\nretry: 5\ndata\n\n", 17, True),  # 9 + 8 + an empty data
        (b"id: 12345\nretry: 5\ndata\n\n", 16, False),
        (b"da\n\n", 2, True),
        (b"da\n\n", 1, False),
        (b"data\n\n", 1, True),
        (b"data: \xff\xff\n\n", 6, True),  # two U+FFFD: 6 bytes
        (b"data: \xff\xff\n\n", 5, False),
    ],
)
def test_other_lines_count_in_full(stream, limit, fits):
    for at in range(len(stream) + 1):
        assert outcome([stream[:at], stream[at:]], limit)[1] is not fits, at


def test_a_blank_line_starts_a_new_count():
    events, raised = outcome([b"event: 12345\n\n" * 3, b"data: 12345\n\n"], 12)
    assert (events, raised) == ([E(data="12345")], False)


def test_events_before_the_error_are_delivered_then_it_raises():
    parser = SSEParser(max_event_size=16)
    events = parser.feed(b"data: ok\n\ndata: " + b"x" * 40)
    assert events == [E(data="ok")]
    with pytest.raises(EventTooLargeError):
        parser.feed(b"more")
    with pytest.raises(EventTooLargeError):
        parser.close()


def test_error_kept_for_close():
    parser = SSEParser(max_event_size=16)
    assert parser.feed(b"data: ok\n\ndata: " + b"x" * 40 + b"\n") == [E(data="ok")]
    with pytest.raises(EventTooLargeError):
        parser.close()


def test_huge_chunk_delivers_what_came_before_the_error():
    stream = b"data: ok\n\n" + b"data: " + b"x" * (3 * MIB) + b"\n\n"
    assert outcome([stream], MIB) == ([E(data="ok")], True)
    assert outcome([stream], 4 * MIB)[0][-1].data == "x" * (3 * MIB)


def test_no_limit():
    events, _ = outcome([b"data: " + b"x" * 100_000, b"\n\n"], 2**62)
    assert events == [E(data="x" * 100_000)]
    parser = SSEParser(max_event_size=None)
    assert parser.feed(b"data: " + b"x" * 100_000 + b"\n\n") == [E(data="x" * 100_000)]


def test_default_limit_is_generous():
    assert sse_post.DEFAULT_MAX_EVENT_SIZE == 16 * 1024 * 1024


@given(streams(), st.integers(1, 60), st.data())
def test_verdict_and_events_never_depend_on_chunking(stream, limit, data):
    chunks = data.draw(chunkings(stream))
    assert outcome(chunks, limit) == outcome([stream], limit)


def test_verdict_is_the_same_fed_byte_by_byte_at_every_limit():
    stream = b"\xef\xbb\xbfevent: e\r\nid: 7\r: c\rdata: 1\xe2\x82\xac\ndata\n\ndata:xy\r\r"
    for limit in range(1, 30):
        whole = outcome([stream], limit)
        assert outcome([stream[i : i + 1] for i in range(len(stream))], limit) == whole
        for a, b in itertools.combinations(range(0, len(stream), 5), 2):
            assert outcome([stream[:a], stream[a:b], stream[b:]], limit) == whole


def peak_growth(feed_all) -> int:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        feed_all()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


GROWTH = """
import resource, sys
from sse_post import SSEParser
limit, chunk = {limit}, {chunk}
stream = b"data:xy\\n" * (limit // 3)  # no concatenation: its copy would set the peak
parser = SSEParser(max_event_size=limit)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
events = []
for i in range(0, len(stream), chunk):
    events += parser.feed(stream[i : i + chunk])
events += parser.feed(b"\\n")
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
assert SSEParser.implementation == {impl!r}
print(growth * 1024, len(events), len(events[0].data))
"""


@pytest.mark.parametrize("chunk", [64 * 1024, 8 * MIB], ids=["64KiB", "8MiB"])
def test_many_short_data_lines_stay_within_twice_the_limit(chunk, implementation):
    # Each "data:xy" line counts 3 bytes; as a string of its own it would cost ~60.
    limit = 2 * MIB
    code = GROWTH.format(limit=limit, chunk=chunk, impl=implementation.implementation)
    pure = "1" if implementation.implementation == "python" else ""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=50,
        env={**os.environ, "SSE_POST_NO_EXTENSIONS": pure},
    )
    growth, events, size = map(int, out.stdout.split())
    assert (events, size) == (1, 3 * (limit // 3) - 1)
    assert growth <= 2 * limit + 16 * MIB


def test_a_long_data_line_is_held_about_twice():
    size = 16 * MIB
    parser = SSEParser(max_event_size=size)
    chunk = b"x" * (64 * 1024)
    events: list[E] = []

    def feed_all() -> None:
        parser.feed(b"data: ")
        for _ in range(size // len(chunk)):
            parser.feed(chunk)
        events.extend(parser.feed(b"\n\n"))

    assert peak_growth(feed_all) <= 2.1 * size
    assert len(events[0].data) == size


def test_pending_line_memory_stays_near_its_size():
    parser = SSEParser(max_event_size=None)
    chunk = b"x" * 1000

    def feed_all() -> None:
        parser.feed(b"data: ")
        for _ in range(4000):
            parser.feed(chunk)

    assert peak_growth(feed_all) <= 1.2 * 4_000_000
    assert parser.feed(b"\n\n")[0].data == "x" * 4_000_000
