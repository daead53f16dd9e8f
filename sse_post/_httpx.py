"""Everything that depends on httpx, httpx2 or httpcore: the one module that names them.

httpx2 (pydantic's fork) has the same API as httpx but its own classes, exceptions
included; the caller's client may come from either. Classes are told apart with
``isinstance`` against each library that is loaded, never by name. The drivers ask these
helpers and never look inside a response or an exception themselves.

What lies under httpx (httpcore's connections, sockets and HTTP/2 streams) is the
business of its sibling, ``_httpcore``; together they are the adapter layer, the only
modules that name these libraries (split in two to stay readable).
"""

from __future__ import annotations

import ssl
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx

from ._decompress import accept_encoding
from ._errors import NetworkError, NetworkTimeoutError
from ._ops import Failed, Head
from ._redirects import is_secret

if TYPE_CHECKING:
    from ._request import Outgoing

__all__ = [
    "DEFAULT_TIMEOUT",
    "build_request",
    "check_url",
    "failure",
    "follows_redirects",
    "head",
    "is_http2",
    "own_client_options",
]

#: The timeout of the clients we make ourselves: long reads, since an event stream may
#: be quiet for minutes (``idle_timeout`` is the tool for stalls), the rest short.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, read=300.0)

_SSL_CONTEXT: ssl.SSLContext | None = None


def _modules() -> list[Any]:
    mods = [httpx]
    other = sys.modules.get("httpx2")  # only if the caller has imported it
    if other is not None:
        mods.append(other)
    return mods


def _classes(name: str) -> tuple[type, ...]:
    return tuple(getattr(m, name) for m in _modules() if hasattr(m, name))


def own_client_options() -> dict[str, Any]:
    """Options of the clients sse_post makes: one SSL context shared by all of them (it
    costs hundreds of KiB to build), long reads, redirects handled by the flow."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
        try:
            import certifi

            _SSL_CONTEXT.load_verify_locations(certifi.where())
        except ImportError:  # pragma: no cover - httpx depends on certifi
            pass
    return {"timeout": DEFAULT_TIMEOUT, "verify": _SSL_CONTEXT, "follow_redirects": False}


def own_client(*, sync: bool) -> Any:
    """A client for a source given none (see `own_client_options`)."""
    return (httpx.Client if sync else httpx.AsyncClient)(**own_client_options())


def check_url(url: str, client: Any) -> None:
    """Refuse a URL that no request could use, at once rather than on every retry.

    Raises:
        ValueError: no ``http`` or ``https`` scheme, or no host (a relative URL needs a
            caller's client with a ``base_url``).
    """
    try:
        parsed = httpx.URL(url)
        base = getattr(client, "base_url", None)
        if parsed.is_relative_url and base:
            parsed = httpx.URL(str(base)).join(url)
    except Exception as exc:
        raise ValueError(f"expected an absolute http(s) URL, got {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"expected an absolute http:// or https:// URL, got {url!r}")


def follows_redirects(client: Any) -> bool:
    """Whether the caller's client follows redirects (then the flow follows them)."""
    return bool(getattr(client, "follow_redirects", False))


def send_options(auth: Any, outgoing: Outgoing) -> dict[str, Any]:
    """``send()``'s keyword arguments: the auth to run (none across origins), streaming,
    and redirects left to the flow, which follows them if the client would."""
    options: dict[str, Any] = {"stream": True, "follow_redirects": False}
    if outgoing.cross_origin:
        options["auth"] = None
    elif type(auth).__name__ != "UseClientDefault":
        options["auth"] = auth
    return options


def build_request(client: Any, outgoing: Outgoing, timeout: Any, trace: Any) -> Any:
    """The client's request for one attempt."""
    extra: dict[str, Any] = {}
    if timeout is not None and type(timeout).__name__ != "UseClientDefault":
        extra["timeout"] = (
            timeout
            if isinstance(timeout, int | float | tuple)
            else (timeout.connect, timeout.read, timeout.write, timeout.pool)
        )
    request = client.build_request(
        outgoing.method,
        outgoing.url,
        params=outgoing.params,
        headers=outgoing.headers,
        extensions={"trace": trace},
        **outgoing.body,
        **extra,
    )
    headers = request.headers
    if outgoing.cross_origin:  # the client's own secret headers stay home too
        for name in [n for n in headers if is_secret(n, outgoing.secret_markers)]:
            del headers[name]
    if not any(n.lower() == "accept-encoding" for n, _ in outgoing.headers):
        # Only what the flow can decode in bounded pieces (see _decompress).
        headers["Accept-Encoding"] = accept_encoding()
    return request


def head(response: Any) -> Head:
    """What the flow needs of a response's head."""
    headers = response.headers
    h1 = response.http_version in ("HTTP/1.1", "HTTP/1.0")
    fields = dict(headers.items())
    if response.is_stream_consumed:
        fields.pop("content-encoding", None)  # a mock's body, decoded already
    return Head(
        status=response.status_code,
        headers=fields,
        url=str(response.url),
        ends_at_close=h1
        and "content-length" not in headers
        and "chunked" not in headers.get("transfer-encoding", "").lower(),
        raw=response,
        now=time.time(),
    )


def failure(exc: BaseException) -> Failed | None:
    """A transport failure as the flow sees it, or ``None`` for any other exception
    (a programming error such as an unsupported scheme, to be raised as it is)."""
    if not isinstance(exc, _classes("TransportError")) or isinstance(
        exc, _classes("UnsupportedProtocol")
    ):
        return None
    timed_out = isinstance(exc, _classes("TimeoutException"))
    error: NetworkError = (
        NetworkTimeoutError(f"timed out: {exc or type(exc).__name__}")
        if timed_out
        else NetworkError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    )
    error.__cause__ = exc
    unsent = isinstance(exc, _classes("ConnectError") + _classes("ConnectTimeout")) or (
        isinstance(exc, _classes("PoolTimeout"))
    )
    return Failed(error, unsent=unsent)


def body(response: Any) -> Any:
    """The body's bytes as they came (the flow decodes them), or a mock's, in memory."""
    return response.iter_bytes() if response.is_stream_consumed else response.iter_raw()


def abody(response: Any) -> Any:
    """`body` for an async response."""
    return response.aiter_bytes() if response.is_stream_consumed else response.aiter_raw()


def is_http2(response: Any) -> bool:
    return response.http_version not in ("HTTP/1.1", "HTTP/1.0")
