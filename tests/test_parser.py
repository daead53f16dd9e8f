from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import AsyncIterator, Callable

import pytest

import sse_post
from sse_post import ServerSentEvent as E
from sse_post import SSEParser

from .parser_cases import CASES
from .parser_impls import each_implementation

implementation = each_implementation(globals())


def run(chunks: list[bytes], **options: object) -> tuple[list[E], SSEParser]:
    parser = SSEParser(**options)  # type: ignore[arg-type]
    events: list[E] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return events, parser


def whole(stream: bytes) -> list[bytes]:
    return [stream]


def bytewise(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def pieces(size: int) -> Callable[[bytes], list[bytes]]:
    # Small reads of a few bytes: the pure parser holds whole lines back between them.
    def split(stream: bytes) -> list[bytes]:
        return [stream[i : i + size] for i in range(0, len(stream), size)]

    return split


def random_chunks(stream: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(stream):
        size = rng.choice([0, 1, 2, 3, 5, 8, 64])
        chunks.append(stream[i : i + size])
        i += size
    return chunks


def per_block(stream: bytes) -> list[bytes]:
    # One read per block, each ending in its blank line: the live case, which the pure
    # parser takes in short for a lone data line.
    parts = stream.replace(b"\r\n", b"\n").split(b"\n\n")
    if b"\r" in stream or len(parts) < 2:
        return [stream]
    return [part + b"\n\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def test_one_read_per_event_keeps_ids_limits_and_bad_bytes():
    stream = b"id: 7\n\ndata: x\n\ndata: \xff\n\ndata: \n\nid: 8\ndata: y\n\ndata: 123456789\n\n"
    parser = SSEParser(max_event_size=8)
    got: list[object] = []
    for chunk in per_block(stream):
        try:
            got += [(e.data, e.id) for e in parser.feed(chunk)]
        except sse_post.EventTooLargeError:
            got.append("too large")
        got.append(parser.last_event_id)
    assert got == [
        "7",
        ("x", "7"),
        "7",
        ("\ufffd", "7"),
        "7",
        ("", "7"),
        "7",
        ("y", "8"),
        "8",
        "too large",
        "8",
    ]
    # Named blocks, one a read: an empty type, an id holding U+0000 (ignored), bytes
    # that are not UTF-8 in every field, an id alone before the data.
    parser = SSEParser()
    reads = [
        b"event: \ndata: a\n\n",
        b"event: x\nid: 1\0\ndata: b\n\n",
        b"event: \xff\nid: \xe2\x82\ndata: \xc3\n\n",
        b"id: 5\ndata: d\n\n",
        b"event: y\ndata: e\nid: 6\n\n",
        b"data: f\rg\n\n",  # a CR ends the data line: "g" is a field of its own
        b"event: z\rdata: h\n\n",
    ]
    assert [(e.event, e.data, e.id) for r in reads for e in parser.feed(r)] == [
        ("message", "a", ""),
        ("x", "b", ""),
        ("\ufffd", "\ufffd", "\ufffd"),
        ("message", "d", "5"),
        ("y", "e", "6"),
        ("message", "f", "6"),
        ("z", "h", "6"),
    ]
    assert parser.last_event_id == "6"
    # An id: line read on its own (not held back: comments are asked for) names the
    # lone data line read next, and becomes the last event ID with it.
    parser = SSEParser(comments=True)
    assert parser.feed(b"id: 9\n") == []
    assert [(e.data, e.id) for e in parser.feed(b"data: z\n\n")] == [("z", "9")]
    assert parser.last_event_id == "9"


def test_a_small_read_that_ends_a_block_and_opens_the_next():
    # Small reads rarely line up with events: one ends the held lines' block and goes on
    # into the next one. The next block's lines wait for their own end, and an oversized
    # line in the same read still lets the finished event through before the error.
    parser = SSEParser()
    assert parser.feed(b"event: a\nid: 1\nda") == []
    assert parser.feed(b'ta: {"x"}\n\nevent: b\nid') == [E(event="a", data='{"x"}', id="1")]
    assert (parser.last_event_id, parser.mid_event) == ("1", True)
    assert parser.feed(b": 2\ndata: y\n\n\ndata: z\n\n") == [
        E(event="b", data="y", id="2"),
        E(data="z", id="2"),
    ]
    assert (parser.last_event_id, parser.mid_event) == ("2", False)
    assert parser.feed(b"id: 3\n") == []
    assert parser.feed(b"data: w\n\nretry: 5\nda") == [E(data="w", id="3")]
    assert parser.retry == 5  # at once, as for any read
    parser = SSEParser(max_event_size=64)
    assert parser.feed(b"id: 1\n") == []
    assert parser.feed(b"data: x\n\ndata: " + b"y" * 70 + b"\n") == [E(data="x", id="1")]
    with pytest.raises(sse_post.EventTooLargeError):
        parser.feed(b"\n")


SPLITTERS = [
    pytest.param(whole, id="whole"),
    pytest.param(bytewise, id="bytewise"),
    pytest.param(per_block, id="per-block"),
    *(pytest.param(pieces(size), id=f"{size}-byte") for size in (3, 7, 16)),
    *(
        pytest.param(lambda s, seed=seed: random_chunks(s, seed), id=f"random{seed}")
        for seed in range(3)
    ),
]


@pytest.mark.parametrize("split", SPLITTERS)
@pytest.mark.parametrize(
    ("stream", "expected", "last_id", "retry"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_cases(split, stream, expected, last_id, retry):
    events, parser = run(split(stream))
    assert events == expected
    assert parser.last_event_id == last_id
    assert parser.retry == retry


@pytest.mark.parametrize(
    ("stream", "expected"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES]
)
def test_trailing_incomplete_data_changes_nothing(stream, expected):
    events, _ = run([stream, b"\n\ndata: never dispatched\nid: x"])
    # The blank line may complete a trailing block of the case itself; what the case
    # dispatched on its own must come first and unchanged.
    assert events[: len(expected)] == expected
    assert all(e.data != "never dispatched" for e in events)


def test_cr_at_end_of_chunk_dispatches_at_once():
    parser = SSEParser()
    assert parser.feed(b"data: x\r") == []
    assert parser.feed(b"\r") == [E(data="x")]  # not held back until a later chunk


def test_crlf_split_across_chunks_is_one_line_end():
    parser = SSEParser()
    assert parser.feed(b"data: x\r") == []
    assert parser.feed(b"\n") == []  # the LF pairs with the CR: no blank line yet
    assert parser.feed(b"\r\n") == [E(data="x")]


def test_lf_after_cr_is_paired_even_after_empty_feeds():
    parser = SSEParser()
    parser.feed(b"data: x\r")
    assert parser.feed(b"") == []
    assert parser.feed(b"\ndata: y\n\n") == [E(data="x\ny")]


def test_bom_split_across_three_chunks():
    parser = SSEParser()
    assert parser.feed(b"\xef") == []
    assert parser.feed(b"\xbb") == []
    assert parser.feed(b"\xbfdata:1\n\n") == [E(data="1")]


def test_bom_prefix_that_is_not_a_bom_is_data():
    events, _ = run([b"\xef\xbb", b"data:1\n\n"])
    assert events == []  # "\ufffddata" is an unknown field name


def test_multibyte_character_split_across_chunks():
    encoded = "data: \u20ac\U0001f600\n\n".encode()
    for i in range(len(encoded)):
        events, _ = run([encoded[:i], encoded[i:]])
        assert events == [E(data="\u20ac\U0001f600")]


def test_last_event_id_seed_is_carried_and_replaced():
    events, parser = run([b"data: a\n\nid: 9\ndata: b\n\n"], last_event_id="8")
    assert events == [E(data="a", id="8"), E(data="b", id="9")]
    assert parser.last_event_id == "9"


def test_last_event_id_seed_rejects_line_breaks():
    with pytest.raises(ValueError, match="without NUL, CR or LF"):
        SSEParser(last_event_id="a\nb")


def test_retry_is_parser_state_updated_at_once():
    parser = SSEParser()
    parser.feed(b"retry: 2500\n")
    assert parser.retry == 2500
    assert parser.feed(b"data: x\n\n") == [E(data="x", retry=2500)]
    assert parser.feed(b"data: y\n\n") == [E(data="y")]  # per-block on the event
    assert parser.retry == 2500  # but sticky on the parser


def test_feed_after_close_raises():
    parser = SSEParser()
    assert parser.close() == []
    assert parser.close() == []
    with pytest.raises(RuntimeError, match="after close"):
        parser.feed(b"data: x\n\n")


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        SSEParser("1")  # type: ignore[call-arg]


@pytest.mark.parametrize("bad", [0, -1])
def test_max_event_size_must_be_positive(bad):
    with pytest.raises(ValueError, match="positive max_event_size"):
        SSEParser(max_event_size=bad)


def test_parse_over_any_iterable():
    assert list(sse_post.parse(iter([b"data: a\n", b"\ndata: b\n\n"]))) == [
        E(data="a"),
        E(data="b"),
    ]


def test_parse_file(tmp_path):
    path = tmp_path / "stream.txt"
    path.write_bytes(b"event: x\ndata: 1\n\n" * 3)
    with path.open("rb") as f:
        assert list(sse_post.parse(iter(lambda: f.read(7), b""))) == [E(event="x", data="1")] * 3


@pytest.mark.anyio
async def test_aparse():
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b"data: a\r", b"\n\r\n", b"data: b\n\n"):
            yield chunk

    assert [e async for e in sse_post.aparse(chunks())] == [E(data="a"), E(data="b")]


def test_core_imports_no_io_libraries():
    code = (
        "import sys, sse_post\n"
        "from sse_post import _parser, _events, _errors, _reconnect, _request, _source, _abort\n"
        "sse_post.parse([b'data: x\\n\\n'])\n"
        "bad = {'httpx', 'anyio', 'asyncio', 'trio', 'socket'} & set(sys.modules)\n"
        "print(sorted(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("stream", "mid"),
    [
        (b"", False),
        (b"data: a\n\n", False),
        (b": comment\n", False),
        (b"id: 1\n", False),
        (b"data: a", True),
        (b"data: a\n", True),
        (b"event: x\n", True),
        (b"da", True),
    ],
)
def test_mid_event(stream, mid):
    parser = SSEParser()
    parser.feed(stream)
    assert parser.mid_event is mid


STATEFUL = [
    (b'event: x\nid: 5\nretry: 50\n: c\ndata: {"a": 1}\nretry: 7\n\nid: 6\n', ("5", 7, False)),
    # Blocks that end in a field the pure parser holds back (and a comment line).
    (b"event: x\nid: 5\ndata: a\n\n: c\nid: 6\ndata: b\n\nevent: y\n\n", ("6", None, False)),
]


def state_after(prefix: bytes) -> tuple[str, int | None, bool]:
    # What the spec says holds once exactly `prefix` has arrived: fed in one piece.
    parser = SSEParser()
    parser.feed(prefix)
    return parser.last_event_id, parser.retry, parser.mid_event


@pytest.mark.parametrize("comments", [False, True])
@pytest.mark.parametrize(("stream", "final"), STATEFUL, ids=["retry", "blocks"])
def test_state_after_every_feed_is_that_of_the_bytes_so_far(stream, final, comments):
    # Small reads may be held back whole until their block ends (the pure parser's
    # fast path for tiny chunks); nothing anyone can see may wait with them: an event
    # comes with the feed that ends its block, a retry: field takes effect in the feed
    # that ends its line, and mid_event, last_event_id and the comments returned are
    # those of the bytes fed so far, for every cut into three pieces.
    expected = {n: state_after(stream[:n]) for n in range(len(stream) + 1)}
    assert expected[len(stream)] == final
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1):
            # Two parsers: reading the state interprets held lines, which would hide
            # an event held back too long from the one that is not asked.
            asked, quiet = SSEParser(comments=comments), SSEParser(comments=comments)
            got = []
            for start, end in ((0, i), (i, j), (j, len(stream))):
                asked.feed(stream[start:end])
                state = (asked.last_event_id, asked.retry, asked.mid_event)
                assert state == expected[end], (i, j, end)
                got += quiet.feed(stream[start:end])
                whole = SSEParser(comments=comments).feed(stream[:end])
                assert got == whole, (i, j, end)


def test_retry_past_a_lowered_int_digit_limit_clamps_without_raising():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        parser = SSEParser()
        events = parser.feed(b"retry:" + b"5" * 1000 + b"\ndata:x\n\n")
    finally:
        sys.set_int_max_str_digits(old)
    assert events == [E(data="x", retry=10**4300 - 1)]
    assert parser.retry == 10**4300 - 1
