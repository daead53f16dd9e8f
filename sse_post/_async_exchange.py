"""The async driver's exchange: one request at a time on an async client, and what must
be closed when the task that owns it leaves, however it leaves.

Cancellation is the driver's (a cancel scope per operation); the exchange remembers what
a cancelled operation leaves behind: the TCP stream of a connection that was being made
(httpcore leaves it open), the HTTP/2 stream to reset (httpcore never tells the server),
and the socket of an HTTP/1.1 body read without a cancel scope, which an interrupt shuts
down to wake the read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from . import _httpcore as core
from . import _httpx as adapter

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from ._request import Outgoing

__all__ = ["AsyncExchange"]

_CLEANUP_TIMEOUT = 5.0  # seconds a shielded close may take before it is given up


class AsyncExchange:
    """The client, the open response and what a cancelled operation leaves behind."""

    def __init__(self, client: Any, *, owned: bool) -> None:
        self.client, self._owned = client, owned
        self.response: Any = None
        self.chunks: AsyncIterator[bytes] | None = None
        #: An HTTP/1.1 response's socket when its body is read without a cancel scope:
        #: to shut down, never to close.
        self.socket: Any = None
        self._connecting: Any = None  # httpcore's TCP stream while a connection is made
        self._h2: Any = None

    async def send(
        self, outgoing: Outgoing, auth: Any, request_timeout: Any, *, unscoped: bool
    ) -> Any:
        """Send and wait for the headers. Returns what the flow is told: the response's
        head (then ``chunks`` reads its body) or the transport's failure. Raises what
        the send raised if it is no transport failure. ``unscoped``: the body will be
        read without a cancel scope, so keep its socket to wake the read."""
        request = adapter.build_request(self.client, outgoing, request_timeout, self._trace)
        options = adapter.send_options(auth, outgoing)
        try:
            response = await self.client.send(request, **options)
        except Exception as exc:
            self._connecting = None  # httpcore closed it; on cancellation, aclose() does
            failed = adapter.failure(exc)
            if failed is None:
                raise
            return failed
        self._connecting = None
        self.response = response
        self.chunks = adapter.abody(response)
        if unscoped and not adapter.is_http2(response):
            self.socket = core.socket_of(response)
        return adapter.head(response)

    async def _trace(self, name: str, info: Mapping[str, Any]) -> None:
        # A cancelled TLS handshake leaves the TCP stream open in httpcore: keep it to
        # close. Once a request goes out the connection is made (httpcore closes it on
        # cancellation from there on); an HTTP/2 stream is remembered, to reset it if
        # we leave early, since its connection may carry other requests.
        kind, target = core.trace_target(name, info)
        if kind == "tcp":
            self._connecting = info.get("return_value")
        elif kind:
            self._connecting = None
            if kind == "h2":
                self._h2 = target

    async def close_response(self) -> None:
        """Close the open response, if any (shielded, 5 s at most), resetting an HTTP/2
        stream left early."""
        self.socket = None
        response, self.response = self.response, None
        chunks, self.chunks = self.chunks, None
        h2, self._h2 = self._h2, None
        with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
            if h2 is not None:
                # Cancelled while waiting for the headers, or left early: httpcore does
                # not tell the server, which would go on generating.
                await core.ah2_reset(h2)
            if response is None:
                return
            if chunks is not None:
                # httpx reads through nested async generators; unwinding them inside an
                # already cancelled scope closes each layer (dropping them would leave
                # them to the garbage collector, which trio reports).
                with anyio.CancelScope() as drain:
                    drain.cancel()
                    try:
                        async for _ in chunks:
                            pass
                    except Exception:
                        pass  # a transport error while unwinding: the connection is gone
            await response.aclose()

    async def aclose(self) -> None:
        """Close everything: a connection left half made, the response, and the client
        if it is our own (never a caller's)."""
        stream, self._connecting = self._connecting, None
        with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
            if stream is not None:
                await stream.aclose()
                # On asyncio the transport closes its socket in a callback of the next
                # loop pass; let it run, so that the socket is closed when we return.
                await anyio.lowlevel.checkpoint()
            await self.close_response()
            if self._owned:
                await self.client.aclose()
