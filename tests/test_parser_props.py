"""Property tests: the parser against a literal transcription of the spec, any chunking."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sse_post import EventTooLargeError, ServerSentEvent, SSEParser

from .parser_impls import each_implementation
from .reference_parser import reference_parse

VALUES = st.text(
    alphabet=st.sampled_from(
        ["a", "b", " ", ":", "\0", "é", "\u20ac", "\U0001f600", "\ufeff", "5"]
    ),
    max_size=6,
)
LINES = st.one_of(
    st.builds(lambda v: f"data:{v}", VALUES),
    st.builds(lambda v: f"data: {v}", VALUES),
    st.just("data"),
    st.builds(lambda v: f"event:{v}", VALUES),
    st.builds(lambda v: f"id: {v}", VALUES),
    st.just("id"),
    st.builds(
        lambda v: f"retry:{v}", st.from_regex(r"[0-9]{1,4}|[0-9 +_x-]{0,4}", fullmatch=True)
    ),
    # Hostile: retry values past 64 bits and past what int() parses; runs of short
    # data lines (each a string of its own, costing far more than its bytes).
    st.builds(lambda v: f"retry:{v}", st.from_regex(r"0{0,3}[1-9][0-9]{17,40}", fullmatch=True)),
    st.builds(lambda n, d: f"retry:{'0' * n}{d * 4301}", st.integers(0, 2), st.sampled_from("19")),
    st.builds(lambda n: "data:xy\n" * n + "data:xy", st.integers(1, 50)),
    st.builds(lambda v: f":{v}", VALUES),
    st.builds(lambda v: f"{v}:{v}", VALUES),
    st.just(""),
    st.just(""),
)
ENDINGS = st.sampled_from([b"\n", b"\r", b"\r\n"])

implementation = each_implementation(globals())


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    parts = [b"\xef\xbb\xbf"] if draw(st.booleans()) else []
    for line in draw(st.lists(LINES, max_size=30)):
        encoded = line.encode()
        if draw(st.integers(0, 9)) == 0:  # now and then an invalid byte
            encoded += draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\x80"]))
        parts.append(encoded + draw(ENDINGS))
    if draw(st.booleans()):
        parts.append(draw(LINES).encode())  # an unfinished last line
    return b"".join(parts)


@st.composite
def chunkings(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass
class Parsed:
    events: list[ServerSentEvent]
    last_event_id: str
    retry: int | None


def parse_chunks(chunks: list[bytes]) -> Parsed:
    parser = SSEParser()
    events = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return Parsed(events, parser.last_event_id, parser.retry)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_chunking_agrees_with_the_spec_transcription(data: st.DataObject) -> None:
    stream = data.draw(streams())
    chunks = data.draw(chunkings(stream))
    expected = reference_parse(stream)
    parser = parse_chunks(chunks)
    assert parser.events == expected.events
    assert parser.last_event_id == expected.last_event_id
    assert parser.retry == expected.retry


@given(streams())
def test_byte_by_byte_equals_whole(stream: bytes) -> None:
    whole = parse_chunks([stream])
    bytewise = parse_chunks([stream[i : i + 1] for i in range(len(stream))])
    assert bytewise.events == whole.events
    assert (bytewise.last_event_id, bytewise.retry) == (whole.last_event_id, whole.retry)


@given(st.binary(max_size=300), st.data())
def test_arbitrary_bytes_agree_and_never_raise(stream: bytes, data: st.DataObject) -> None:
    chunks = data.draw(chunkings(stream))
    parser = parse_chunks(chunks)
    assert parser.events == reference_parse(stream).events


@given(st.binary(max_size=300), st.integers(1, 40))
def test_arbitrary_bytes_raise_only_event_too_large(stream: bytes, limit: int) -> None:
    parser = SSEParser(max_event_size=limit)
    raised: list[EventTooLargeError] = []
    try:
        for i in range(0, len(stream), 7):
            parser.feed(stream[i : i + 7])
        parser.close()
    except EventTooLargeError as exc:  # anything else fails the test
        raised.append(exc)
    assert all(exc.limit == limit for exc in raised)


@given(st.sampled_from([b"\n", b"\r", b"\r\n"]), st.integers(1, 20))
def test_crlf_split_is_one_line_end(ending: bytes, at: int) -> None:
    stream = b"data: a" + ending + b"data: b" + ending + ending
    cut = min(at, len(stream))
    assert parse_chunks([stream[:cut], stream[cut:]]).events == reference_parse(stream).events


# Runs of named events, the shape of LLM and agent streams ("event: delta\ndata: {...}"),
# which the pure parser reads with one regex scan when every block up to the last blank
# line has exactly that shape: mostly such blocks, now and then one that breaks it.
NAMED_BLOCKS = st.one_of(
    st.builds(lambda e, d: f"event: {e}\ndata: {d}\n\n", VALUES, VALUES),
    st.builds(lambda e, i, d: f"event: {e}\nid: {i}\ndata: {d}\n\n", VALUES, VALUES, VALUES),
    st.builds(lambda e, d: f"event: {e}\ndata:{d}\n\n", VALUES, VALUES),
    st.builds(lambda e, d: f"event: {e}\ndata: {d}\ndata: {d}\n\n", VALUES, VALUES),
    st.builds(lambda e, i: f"event: {e}\nid: {i}\n\n", VALUES, VALUES),
    st.builds(lambda e, d: f"event: {e}\nretry: 7\ndata: {d}\n\n", VALUES, VALUES),
    st.builds(lambda e, d: f": ping\nevent: {e}\ndata: {d}\n\n", VALUES, VALUES),
    st.builds(lambda d: f"data: {d}\n\n", VALUES),
    st.builds(lambda e, d: f"event: {e}\ndata: {d}\n", VALUES, VALUES),  # no blank line
    st.builds(lambda e: f"event: {e}\n", VALUES),
    # Lines that leave a block open across a chunk for the run after them.
    st.just("retry: 7\n"),
    st.builds(lambda i: f"id: {i}\n", VALUES),
    st.builds(lambda d: f"data: {d}\n", VALUES),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMED_BLOCKS, max_size=24), st.sampled_from([b"\n", b"\r\n"]), st.data())
def test_runs_of_named_events_agree_with_the_spec_transcription(
    blocks: list[str], ending: bytes, data: st.DataObject
) -> None:
    stream = "".join(blocks).encode().replace(b"\n", ending)
    chunks = data.draw(chunkings(stream))
    expected = reference_parse(stream)
    for parsed in (parse_chunks(chunks), parse_chunks([stream])):
        assert parsed.events == expected.events
        assert (parsed.last_event_id, parsed.retry) == (expected.last_event_id, expected.retry)


@given(st.sampled_from(["retry: 7\n", "id: 5\n", "data: a\n", "event: x\n", ": c\n", ""]))
def test_a_run_after_an_open_block_keeps_its_fields(opener: str) -> None:
    # A block left open at the end of one chunk, then a long run of named events: the
    # first block of the run is the open block's continuation.
    run = "".join(f"event: e{i}\nid: {i}\ndata: {i}\n\n" for i in range(20))
    stream = (opener + run).encode()
    expected = reference_parse(stream)
    assert parse_chunks([opener.encode(), run.encode()]).events == expected.events
