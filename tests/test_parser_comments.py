"""SSEParser(comments=True): comment lines come out as Comment, in stream order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sse_post import Comment, EventTooLargeError, SSEParser
from sse_post import ServerSentEvent as E

from .parser_impls import each_implementation
from .reference_parser import reference_parse
from .test_parser_props import chunkings, streams

implementation = each_implementation(globals())


def feed_all(chunks: list[bytes], **options: object) -> list[E | Comment]:
    parser = SSEParser(comments=True, **options)  # type: ignore[call-overload]
    items: list[E | Comment] = []
    for chunk in chunks:
        items += parser.feed(chunk)
    items += parser.close()
    return items


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b":hello\n", [Comment(text="hello")]),
        (b": hi\n", [Comment(text=" hi")]),  # nothing stripped: a comment is no field
        (b":\n", [Comment(text="")]),
        (b"::x: y\n", [Comment(text=":x: y")]),
        (b": \xff\n", [Comment(text=" \ufffd")]),
        (
            b": one\ndata: a\n: two\n\n: three\r\n",
            [Comment(text=" one"), Comment(text=" two"), E(data="a"), Comment(text=" three")],
        ),
        (b"data: a\n\n:ping\rdata: b\r\r", [E(data="a"), Comment(text="ping"), E(data="b")]),
        (b": cut off", []),  # a line never ended is discarded, like any other
    ],
)
@pytest.mark.parametrize("bytewise", [False, True])
def test_comments_in_stream_order(stream, expected, bytewise):
    chunks = [stream[i : i + 1] for i in range(len(stream))] if bytewise else [stream]
    assert feed_all(chunks) == expected


def test_comments_are_ignored_by_default():
    parser = SSEParser()
    assert parser.feed(b": ping\n\ndata: x\n\n") == [E(data="x")]


def test_comments_count_toward_the_size_cap():
    assert feed_all([b": 123456789\n\n"], max_event_size=11) == [Comment(text=" 123456789")]
    with pytest.raises(EventTooLargeError):
        feed_all([b": 123456789\n\n"], max_event_size=10)


def test_comment_object():
    comment = Comment(text="x")
    assert comment == Comment(text="x")
    assert repr(comment) == "Comment(text='x')"
    with pytest.raises(AttributeError):
        comment.text = "y"  # type: ignore[misc]


@given(streams(), st.data())
def test_any_chunking_agrees_with_the_spec_transcription(stream, data):
    chunks = data.draw(chunkings(stream))
    assert feed_all(chunks) == reference_parse(stream, comments=True).events


@given(streams())
def test_without_comments_the_events_are_the_same(stream):
    with_comments = [item for item in feed_all([stream]) if isinstance(item, E)]
    parser = SSEParser()
    assert parser.feed(stream) + parser.close() == with_comments
