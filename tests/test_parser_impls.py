"""The compiled core against the pure-Python parser: same results for any input.

Every other parser test runs against both (see parser_impls.py); this module adds a
differential property over random streams, chunkings, limits and options, and checks
how the implementation is chosen.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sse_post
from sse_post import EventTooLargeError
from sse_post._parser import PySSEParser

from .parser_impls import C_PARSER
from .test_parser_props import chunkings, streams

needs_c = pytest.mark.skipif(C_PARSER is None, reason="sse_post._speedups not built")


def trace(cls, chunks, **options):
    """What each call returns or raises, in order, with the parser's state after each
    (a retry: field takes effect in the feed that ends its line, even mid-block)."""
    parser = cls(**options)
    steps: list[object] = []
    for chunk in [*chunks, None]:
        try:
            steps.append(parser.close() if chunk is None else parser.feed(chunk))
        except EventTooLargeError as exc:
            steps.append(("EventTooLargeError", exc.limit))
        steps.append((parser.last_event_id, parser.retry, parser.mid_event))
    return steps


INPUTS = st.one_of(streams(), st.binary(max_size=200))
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "max_event_size": st.one_of(st.none(), st.integers(1, 80)),
        "comments": st.booleans(),
        "last_event_id": st.sampled_from(["", "7", "\u20ac"]),
    },
)


@needs_c
@settings(max_examples=300)
@given(INPUTS, OPTIONS, st.data())
def test_c_and_python_agree_on_everything(stream, options, data):
    chunks = data.draw(chunkings(stream))
    assert trace(C_PARSER, chunks, **options) == trace(PySSEParser, chunks, **options)


@needs_c
@pytest.mark.parametrize(
    "stream",
    [
        b"data: " + b"x" * 200_000 + b"\r\n\r\n",
        b"event: " + b"\xff" * 70_000 + b"\ndata: x\n\n",
        b"data:xy\n" * 50_000 + b"\n",
        b"retry:" + b"0" * 5 + b"9" * 4301 + b"\n\n" + b"retry:" + b"8" * 400 + b"\n\n",
        b": " + b"\xe2\x82" * 40_000 + b"\n\n",
    ],
    ids=["long-line", "long-invalid-type", "many-lines", "huge-retry", "long-comment"],
)
@pytest.mark.parametrize("limit", [None, 100_000, 150_000])
@pytest.mark.parametrize("size", [1000, 65536])
def test_c_and_python_agree_on_large_inputs(stream, limit, size):
    chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
    options = {"max_event_size": limit, "comments": True}
    assert trace(C_PARSER, chunks, **options) == trace(PySSEParser, chunks, **options)


@needs_c
def test_c_rejects_bad_options_as_python_does():
    for bad in ({"max_event_size": 0}, {"max_event_size": -5}, {"last_event_id": "a\nb"}):
        with pytest.raises(ValueError, match="expected") as c_info:
            C_PARSER(**bad)
        with pytest.raises(ValueError, match="expected") as py_info:
            PySSEParser(**bad)
        assert str(c_info.value) == str(py_info.value)
    with pytest.raises(TypeError):
        C_PARSER(max_event_size="10")
    assert C_PARSER[sse_post.ServerSentEvent] is not None  # generic, as the pure one


def test_the_compiled_core_is_built_when_required():
    # `make test` sets this: on a machine with a C compiler the core must have built.
    if not os.environ.get("SSE_POST_REQUIRE_EXTENSIONS"):
        pytest.skip("SSE_POST_REQUIRE_EXTENSIONS is not set")
    assert C_PARSER is not None, "sse_post._speedups did not build"
    assert sse_post.SSEParser is C_PARSER
    assert sse_post.SSEParser.implementation == "c"


def implementation_in_subprocess(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SSE_POST_NO_EXTENSIONS"}
    if value is not None:
        env["SSE_POST_NO_EXTENSIONS"] = value
    code = "import sse_post; print(sse_post.SSEParser.implementation)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.strip()


def test_the_environment_variable_forces_the_pure_parser():
    assert implementation_in_subprocess("1") == "python"
    default = "python" if C_PARSER is None else "c"
    assert implementation_in_subprocess(None) == default
    assert implementation_in_subprocess("0") == default


def test_the_pure_parser_says_so():
    assert PySSEParser.implementation == "python"
    assert sse_post.SSEParser.implementation in {"c", "python"}
    assert sse_post.SSEParser.__doc__ == PySSEParser.__doc__
