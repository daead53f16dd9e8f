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

from ._protocol import StreamRequest

__all__ = ["Content", "HeaderTypes", "Outgoing", "RequestSpec"]

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

_ACCEPT = "text/event-stream"
#: When the protocol accepts JSON answers (MCP insists on being told so).
_ACCEPT_JSON = "text/event-stream, application/json"


@dataclass(slots=True, kw_only=True)
class Outgoing:
    """One attempt's request, as the flow asks a driver to send it."""

    method: str
    url: str
    headers: list[tuple[str, str | bytes]]
    params: Any = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    content: Any = None
    has_body: bool = False
    #: a redirect to another origin: drop the client's secret headers and its auth too
    cross_origin: bool = False
    secret_markers: tuple[str, ...] = ()

    @property
    def body(self) -> dict[str, Any]:
        """The body arguments for ``build_request``, none after a redirect dropped it."""
        if not self.has_body:
            return {}
        content = self.content
        return {
            "json": self.json,
            "data": self.data,
            "content": content() if callable(content) else content,
        }


@dataclass(slots=True, kw_only=True)
class RequestSpec:
    """Method, URL, headers and body of an event source's request."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    header_factory: Callable[[], HeaderTypes] | None = None
    params: Any = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    content: Content | None = None
    last_event_id: str = ""
    replayable: bool = True
    accept: str = _ACCEPT

    @classmethod
    def build(
        cls,
        url: str,
        *,
        method: str,
        headers: HeaderTypes | Callable[[], HeaderTypes] | None,
        params: Any,
        json: Any,
        data: Mapping[str, Any] | None,
        content: Content | None,
        last_event_id: str,
        accept_json: bool = False,
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
        factory = headers if callable(headers) else None
        pairs = [] if factory is not None else _pairs(headers)  # type: ignore[arg-type]
        for name, value in pairs:
            if name.lower() == "last-event-id" and not last_event_id:
                last_event_id = value  # the caller resumes through the header: we manage it
        if any(c in last_event_id for c in "\0\r\n"):
            raise ValueError(
                f"expected a last_event_id without NUL, CR or LF, got {last_event_id!r}"
            )
        accept = _ACCEPT_JSON if accept_json else _ACCEPT
        return cls(
            method=method.upper(),
            url=url,
            headers=_with_defaults(pairs, accept),
            header_factory=factory,
            params=params,
            json=json,
            data=data,
            content=content,
            last_event_id=last_event_id,
            replayable=content is None or not _is_one_shot(content),
            accept=accept,
        )

    def current_headers(self) -> list[tuple[str, str]]:
        """The caller's headers for this attempt: the copy, or the callable's fresh ones."""
        if self.header_factory is None:
            return self.headers
        return _with_defaults(_pairs(self.header_factory()), self.accept)

    def attempt(self, last_event_id: str) -> Outgoing:
        """The original request again, with ``Last-Event-ID`` if there is one."""
        return Outgoing(
            method=self.method,
            url=self.url,
            headers=_add_last_event_id(self.current_headers(), last_event_id),
            params=self.params,
            json=self.json,
            data=self.data,
            content=self.content,
            has_body=any(x is not None for x in (self.json, self.data, self.content)),
        )

    def as_stream_request(self) -> StreamRequest:
        """The original request as a resume rule sees it."""
        content = self.content if isinstance(self.content, bytes | str) else None
        return StreamRequest(
            method=self.method,
            url=self.url,
            headers=dict(self.current_headers()),
            json=self.json,
            content=content,
        )

    def resume_with(
        self, request: StreamRequest | Mapping[str, Any], last_event_id: str
    ) -> Outgoing:
        """A resume rule's request as an attempt, with ``Last-Event-ID``.

        Raises:
            TypeError: the rule returned something else than a StreamRequest or a
                mapping of its fields.
        """
        if isinstance(request, Mapping):
            request = StreamRequest(**request)
        if not isinstance(request, StreamRequest):
            raise TypeError(
                f"expected the resume rule to return a StreamRequest, a mapping or None, "
                f"got {type(request).__name__}"
            )
        return Outgoing(
            method=request.method.upper(),
            url=request.url,
            headers=_add_last_event_id(
                _with_defaults(_pairs(request.headers), self.accept), last_event_id
            ),
            json=request.json,
            content=request.content,
            has_body=request.json is not None or request.content is not None,
        )


def _pairs(headers: HeaderTypes | None) -> list[tuple[str, str]]:
    return list(headers.items() if isinstance(headers, Mapping) else headers or ())


def _with_defaults(pairs: list[tuple[str, str]], accept: str) -> list[tuple[str, str]]:
    pairs = [(n, v) for n, v in pairs if n.lower() != "last-event-id"]
    present = {name.lower() for name, _ in pairs}
    defaults = (("Accept", accept), ("Cache-Control", "no-cache"))
    return pairs + [(n, v) for n, v in defaults if n.lower() not in present]


def _add_last_event_id(
    pairs: list[tuple[str, str]], last_event_id: str
) -> list[tuple[str, str | bytes]]:
    # Sent as UTF-8: an event ID may hold any character but CR, LF and NUL.
    headers: list[tuple[str, str | bytes]] = list(pairs)
    if last_event_id:
        headers.append(("Last-Event-ID", last_event_id.encode()))
    return headers


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
