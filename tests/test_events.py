from __future__ import annotations

import dataclasses
import json

import pytest

from sse_post import EventDataError, ServerSentEvent, SSEError


def test_defaults_and_keyword_construction():
    event = ServerSentEvent(data="x")
    assert (event.event, event.data, event.id, event.retry) == ("message", "x", "", None)
    with pytest.raises(TypeError):
        ServerSentEvent("x")  # type: ignore[misc]


def test_immutable_equal_hashable_and_readable():
    event = ServerSentEvent(event="add", data="1", id="7", retry=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "2"  # type: ignore[misc]
    assert event == ServerSentEvent(event="add", data="1", id="7", retry=10)
    assert event != ServerSentEvent(event="add", data="1", id="8", retry=10)
    assert len({event, ServerSentEvent(event="add", data="1", id="7", retry=10)}) == 1
    assert repr(event) == "ServerSentEvent(event='add', data='1', id='7', retry=10)"


def test_json():
    assert ServerSentEvent(data='{"a": [1, 2]}').json() == {"a": [1, 2]}


def test_json_error_shows_the_event():
    event = ServerSentEvent(event="delta", data="[DONE]", id="9")
    with pytest.raises(
        EventDataError,
        match=r"expected JSON in the data of event 'delta' \(id '9'\), got '\[DONE\]'",
    ) as info:
        event.json()
    assert info.value.event is event
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, SSEError)
    assert isinstance(info.value.__cause__, json.JSONDecodeError)


def test_json_error_message_is_capped():
    with pytest.raises(EventDataError) as info:
        ServerSentEvent(data="x" * 10_000).json()
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        ("[" * 100_000 + "]" * 100_000, RecursionError),  # deeper than the recursion limit
        ('{"a":' * 100_000 + "1" + "}" * 100_000, RecursionError),
        ("1" * 5_000, ValueError),  # past Python's int digit limit: not a JSONDecodeError
    ],
    ids=["lists", "objects", "long-integer"],
)
def test_every_decoding_failure_is_an_event_data_error(data, cause):
    with pytest.raises(EventDataError) as info:
        ServerSentEvent(data=data).json()
    assert type(info.value.__cause__) is cause
    assert len(str(info.value)) < 500  # the message shows a capped excerpt of the data


@pytest.mark.parametrize(
    "block",
    [b"data: x\n\n", b"event: add\nid: 7\ndata: x\n\n", b"retry: 10\ndata: a\ndata: b\n\n"],
)
def test_parsed_events_are_ordinary_frozen_events(block):
    # Both parsers build events without the dataclass __init__ (the pure one fills a
    # draft of the same layout, then switches its class): the result must be a plain,
    # frozen, comparable ServerSentEvent all the same.
    from sse_post._parser import PySSEParser

    from .parser_impls import C_PARSER

    for parser in filter(None, (PySSEParser, C_PARSER)):
        (event,) = parser().feed(block)
        assert type(event) is ServerSentEvent
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.data = "2"  # type: ignore[misc]
        assert event == dataclasses.replace(event)
        assert hash(event) == hash(dataclasses.replace(event))
