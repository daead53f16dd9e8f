"""Everything that depends on which httpx the caller's client comes from.

httpx2 (pydantic's fork) has the same API as httpx but its own classes, exceptions
included. The rest of the package asks these helpers instead of naming either.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import socket

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXCERPT_SIZE",
    "can_read_raw",
    "content_type",
    "decode_excerpt",
    "ends_at_close",
    "is_transport_error",
    "request_unsent",
    "socket_of",
    "timeout_argument",
]

#: The timeout of the clients we make ourselves: long reads, since an event stream may
#: be quiet for minutes (``idle_timeout`` is the tool for stalls), the rest short.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, read=300.0)
#: How much of an error response's body a ResponseError shows.
EXCERPT_SIZE = 4096


def is_transport_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a network failure (connect, read, timeout, protocol) of httpx
    or httpx2: the failures that reconnection may cure."""
    if isinstance(exc, httpx.TransportError):
        return True
    httpx2 = sys.modules.get("httpx2")  # only if the caller has imported it
    return httpx2 is not None and isinstance(exc, httpx2.TransportError)


def request_unsent(exc: BaseException) -> bool:
    """Whether a failed send certainly did not reach the server: no connection was made
    (or none was free in the pool). Anything later may have delivered the request."""
    return type(exc).__name__ in ("ConnectError", "ConnectTimeout", "PoolTimeout") and (
        is_transport_error(exc)
    )


def is_client_default(value: object) -> bool:
    """Whether ``value`` is httpx's or httpx2's ``USE_CLIENT_DEFAULT``."""
    return type(value).__name__ == "UseClientDefault"


def timeout_argument(timeout: Any) -> Any:
    """A ``timeout=`` that either library's ``build_request`` accepts: a Timeout object of
    the other library becomes the 4-tuple (connect, read, write, pool)."""
    if timeout is None or isinstance(timeout, int | float | tuple):
        return timeout
    return (timeout.connect, timeout.read, timeout.write, timeout.pool)


def content_type(response: Any) -> str:
    """The response's ``Content-Type``, ``""`` if absent."""
    return str(response.headers.get("content-type", ""))


def can_read_raw(response: Any) -> bool:
    """Whether the body can be read raw: it has no Content-Encoding to undo (event
    streams rarely do) and it is still on the wire (a mock's may be in memory already).
    Reading raw skips httpx's decoder layer for every chunk."""
    encoding = str(response.headers.get("content-encoding", "identity")).strip().lower()
    return encoding in ("", "identity") and not response.is_stream_consumed


def ends_at_close(response: Any) -> bool:
    """Whether the body's end is only the connection's close (HTTP/1 with neither a
    length nor chunking), so that a dropped connection looks like a normal end."""
    headers = response.headers
    return (
        response.http_version in ("HTTP/1.1", "HTTP/1.0")
        and "content-length" not in headers
        and "chunked" not in str(headers.get("transfer-encoding", "")).lower()
    )


def socket_of(response: Any) -> socket.socket | None:
    """The socket under an HTTP/1 response, to shut down when aborting a blocked read.

    ``None`` for HTTP/2, whose connection other streams may share, and for transports
    with no socket (mocks).
    """
    if response.http_version not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    stream = response.extensions.get("network_stream")
    return socket_from_stream(stream)


def socket_from_stream(stream: Any) -> socket.socket | None:
    """The socket of an httpcore network stream, if it has one."""
    get_extra_info = getattr(stream, "get_extra_info", None)
    if get_extra_info is None:
        return None
    sock = get_extra_info("socket")
    return sock if hasattr(sock, "shutdown") else None


def decode_excerpt(body: bytes) -> str:
    """Bytes of an error body as text for a message."""
    return body[:EXCERPT_SIZE].decode("utf-8", "replace").strip()
