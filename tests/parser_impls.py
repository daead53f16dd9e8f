"""Both parser implementations, for tests that must hold for each.

`each_implementation(globals())` makes a module-scoped, autouse fixture that rebinds the
test module's ``SSEParser`` to the pure-Python parser, then to the compiled core; the C
run is skipped where the core was not built (and fails in `make test`, which requires
it, see test_parser_impls.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from sse_post._parser import PySSEParser


def compiled() -> type[Any] | None:
    try:
        return importlib.import_module("sse_post._speedups").SSEParser  # type: ignore[no-any-return]
    except ImportError:
        return None


C_PARSER = compiled()
IMPLEMENTATIONS = [
    pytest.param(PySSEParser, id="python"),
    pytest.param(
        C_PARSER,
        id="c",
        marks=pytest.mark.skipif(C_PARSER is None, reason="sse_post._speedups not built"),
    ),
]


#: Fixture params for a piece that exists in both implementations (the parser's
#: iterators, the cancel probes): "python", then "c", skipped where the core was not built.
BOTH = [
    pytest.param("python", id="python"),
    pytest.param(
        "c",
        id="c",
        marks=pytest.mark.skipif(C_PARSER is None, reason="sse_post._speedups not built"),
    ),
]


def core() -> Any:
    """The compiled core module, for a test's "c" run (see BOTH)."""
    return importlib.import_module("sse_post._speedups")


def each_implementation(namespace: dict[str, Any]) -> Any:
    @pytest.fixture(scope="module", autouse=True, params=IMPLEMENTATIONS)
    def implementation(request: pytest.FixtureRequest) -> Iterator[type[Any]]:
        saved = namespace["SSEParser"]
        namespace["SSEParser"] = request.param
        yield request.param
        namespace["SSEParser"] = saved

    return implementation
