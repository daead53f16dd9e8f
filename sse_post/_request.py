"""The request an event source sends, ready to be sent again on every reconnect.

The caller's headers are copied once, here; each attempt's headers are built from that
copy, so the caller's dict is never changed. Bodies must be replayable: bytes, str, JSON
and form data are; a zero-argument callable is called again for fresh content on every
attempt; a one-shot iterator is sent once and makes reconnection impossible.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = ["Content", "HeaderTypes", "RequestSpec"]

#: Headers as a mapping or as (name, value) pairs.
HeaderTypes: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
#: A request body: bytes or str, an iterable of bytes (sync) or async iterable (async),
#: or a zero-argument callable returning any of those, called once per attempt.
Content: TypeAlias = (
    bytes
    | str
    | Iterable[bytes]
    | AsyncIterable[bytes]
    | Callable[[], "bytes | str | Iterable[bytes] | AsyncIterable[bytes]"]
)

_DEFAULT_HEADERS = (("Accept", "text/event-stream"), ("Cache-Control", "no-cache"))


@dataclass(slots=True, kw_only=True)
class RequestSpec:
    """Method, URL, headers and body of an event source's request."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    params: Any = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    content: Content | None = None
    last_event_id: str = ""
    replayable: bool = True

    @classmethod
    def build(
        cls,
        url: str,
        *,
        method: str,
        headers: HeaderTypes | None,
        params: Any,
        json: Any,
        data: Mapping[str, Any] | None,
        content: Content | None,
        last_event_id: str,
    ) -> RequestSpec:
        """Check and copy the caller's arguments.

        Raises:
            TypeError: more than one of ``json``, ``data`` and ``content``, or a body that
                is not one of the accepted kinds.
            ValueError: an empty method, or a ``last_event_id`` with CR, LF or NUL.
        """
        if not isinstance(method, str) or not method:
            raise ValueError(f"expected an HTTP method such as 'POST', got {method!r}")
        given = [
            name
            for name, value in (("json", json), ("data", data), ("content", content))
            if value is not None
        ]
        if len(given) > 1:
            raise TypeError(
                f"expected at most one of json=, data= and content=, got {' and '.join(given)}"
            )
        if data is not None and not isinstance(data, Mapping):
            raise TypeError(
                f"expected data= to be a mapping of form fields, got {type(data).__name__}"
            )
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers or ())
        for name, value in pairs:
            if name.lower() == "last-event-id" and not last_event_id:
                last_event_id = value  # the caller resumes through the header: we manage it
        if any(c in last_event_id for c in "\0\r\n"):
            raise ValueError(
                f"expected a last_event_id without NUL, CR or LF, got {last_event_id!r}"
            )
        pairs = [(n, v) for n, v in pairs if n.lower() != "last-event-id"]
        present = {name.lower() for name, _ in pairs}
        pairs += [(n, v) for n, v in _DEFAULT_HEADERS if n.lower() not in present]
        return cls(
            method=method.upper(),
            url=url,
            headers=pairs,
            params=params,
            json=json,
            data=data,
            content=content,
            last_event_id=last_event_id,
            replayable=content is None or not _is_one_shot(content),
        )

    def headers_for(self, extra: Mapping[str, str]) -> list[tuple[str, str | bytes]]:
        """This attempt's headers: the copy plus ``extra`` (``Last-Event-ID``), which is
        sent as UTF-8, since an event ID may hold any character but CR, LF and NUL."""
        headers: list[tuple[str, str | bytes]] = list(self.headers)
        headers += [(name, value.encode()) for name, value in extra.items()]
        return headers

    def body_for_attempt(self) -> Any:
        """This attempt's ``content=``: the callable's fresh result, or the content itself."""
        content = self.content
        if callable(content):
            return content()
        return content


def _is_one_shot(content: object) -> bool:
    if isinstance(content, bytes | str) or callable(content):
        return False
    if isinstance(content, Iterator):
        return True
    # An async iterator is its own __aiter__; an async iterable such as a list-like
    # object that makes a new iterator each time could be replayed.
    aiter_method = getattr(content, "__aiter__", None)
    if aiter_method is not None:
        return hasattr(content, "__anext__")
    if isinstance(content, Iterable):
        return False
    raise TypeError(
        f"expected content= as bytes, str, an iterable of bytes or a zero-argument callable, "
        f"got {type(content).__name__}"
    )
