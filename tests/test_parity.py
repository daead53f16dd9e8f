"""The sync and async clients keep the same public surface, and __all__ is honest."""

from __future__ import annotations

import inspect

import sse_post
from sse_post import AsyncEventSource, EventSource

TWINS = {
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
}


def public(cls: type) -> set[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    return names | {n for n in TWINS.values() | TWINS.keys() if hasattr(cls, n)}


def test_same_public_names():
    sync_names = public(EventSource)
    async_names = {TWINS.get(n, n) for n in public(AsyncEventSource)}
    assert sync_names == async_names


def test_same_constructor_signatures_but_the_client_type():
    sync_sig = inspect.signature(EventSource.__init__)
    async_sig = inspect.signature(AsyncEventSource.__init__)
    assert list(sync_sig.parameters) == list(async_sig.parameters)
    for name, param in sync_sig.parameters.items():
        other = async_sig.parameters[name]
        assert (param.kind, param.default) == (other.kind, other.default), name
        if name != "client":
            assert param.annotation == other.annotation, name
    assert all(
        p.kind is inspect.Parameter.KEYWORD_ONLY
        for n, p in sync_sig.parameters.items()
        if n not in ("self", "url")
    )


def test_same_method_signatures():
    for async_name, sync_name in TWINS.items():
        a = inspect.signature(getattr(AsyncEventSource, async_name))
        s = inspect.signature(getattr(EventSource, sync_name))
        assert list(a.parameters) == list(s.parameters), async_name


def test_all_lists_exactly_the_public_names():
    exported = {
        n
        for n in dir(sse_post)
        if not n.startswith("_") and not inspect.ismodule(getattr(sse_post, n))
    }
    exported -= {"annotations", "TYPE_CHECKING", "Any"}  # typing helpers of __init__
    assert set(sse_post.__all__) - {"__version__"} == exported


def test_every_public_name_has_a_docstring():
    for name in sse_post.__all__:
        obj = getattr(sse_post, name)
        if callable(obj):
            assert inspect.getdoc(obj), name
