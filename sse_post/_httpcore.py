"""The adapter's lower half: what sse_post needs of httpcore (and httpcore2, httpx2's).

The trace extension (a documented httpcore feature) tells us when a connection is made,
which connection an HTTP/1.1 request goes out on, and which HTTP/2 stream it opens. The
objects behind it (a connection's network stream, h2 state and write lock) are
httpcore's private attributes, each read with ``getattr`` so that a layout we do not know
costs only the promptness of an abort, never an error; tests pin the behaviour on the
lowest versions we declare and the newest.

For the clients sse_post makes itself, httpcore's sync network backend wrapped so that an
interrupt cuts a TCP connect short (``_sync_support.InterruptibleBackend``, which knows
sockets only: this module hands it httpcore's stream class and errors).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ._sync_support import InterruptibleBackend

if TYPE_CHECKING:
    import socket

__all__ = [
    "ah2_reset",
    "close_stream",
    "h2_reset",
    "h2_wake",
    "install_backend",
    "interruptible",
    "socket_of",
    "trace_target",
]


def close_stream(stream: Any) -> None:
    """Close an httpcore network stream that a failed connect left open."""
    try:
        stream.close()
    except Exception:
        pass  # closed already


def socket_of(stream: Any) -> socket.socket | None:
    """The socket under an httpcore network stream (or a response's), if it has one."""
    if stream is None:
        return None
    extensions = getattr(stream, "extensions", None)
    if extensions is not None:  # a response
        stream = extensions.get("network_stream")
    get_extra_info = getattr(stream, "get_extra_info", None)
    if get_extra_info is None:
        return None
    sock = get_extra_info("socket")
    return sock if hasattr(sock, "shutdown") else None


def trace_target(name: str, info: Any) -> tuple[str, Any]:
    """What a trace event tells about the request's connection.

    Returns ``("tcp", sock)`` when a new TCP connection was made (until it is known
    to carry HTTP/1.1 only the request's own), ``("h1", sock)`` when an HTTP/1.1
    request goes out on a connection (new or reused: from then on, the connection is
    the request's alone until its response closes), ``("h2", (connection, stream_id))``
    when an HTTP/2 stream is opened, else ``("", None)``.
    """
    if name.endswith("connect_tcp.complete"):
        return "tcp", socket_of(info.get("return_value"))
    if name == "http11.send_request_headers.started":
        connection = _caller_self(("_h11_state",))
        return "h1", socket_of(getattr(connection, "_network_stream", None))
    if name == "http2.send_request_headers.started":
        connection = _caller_self(("_h2_state",))
        return "h2", (connection, info.get("stream_id"))
    return "", None


def _caller_self(marks: tuple[str, ...]) -> Any:
    # The trace callback runs inside httpcore's connection method; its ``self`` is the
    # connection. Walk a few frames up to find it.
    frame: Any = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return None
        candidate = frame.f_locals.get("self")
        if candidate is not None and all(hasattr(candidate, m) for m in marks):
            return candidate
        frame = frame.f_back
    return None


def _h2_parts(target: Any) -> tuple[Any, Any, Any, int] | None:
    connection, stream_id = target
    state = getattr(connection, "_h2_state", None)
    lock = getattr(connection, "_write_lock", None)
    stream = getattr(connection, "_network_stream", None)
    if state is None or lock is None or stream is None or not stream_id:
        return None
    return state, lock, stream, stream_id


def _write(stream: Any, data: bytes) -> None:
    # Not through ``stream.write``: httpcore's sync stream sets the socket's timeout
    # before each write, and from a second thread that races the reader's own
    # ``settimeout`` (each is two steps, the second an fcntl outside the GIL), which can
    # leave a reader that believes its socket blocking on a non-blocking descriptor: its
    # recv fails with EAGAIN and httpcore marks the whole connection broken. The socket
    # as it stands takes a frame this small at once, whatever its mode. Only for
    # httpcore's plain stream, whose socket is the connection's (an SSLSocket for TLS);
    # a TLS-in-TLS stream's is the tunnel's, which must not see our bytes in clear.
    sock = socket_of(stream) if _is_plain_sync_stream(stream) else None
    if sock is None:
        stream.write(data)
    else:
        sock.sendall(data)


def _is_plain_sync_stream(stream: Any) -> bool:
    for name in ("httpcore._backends.sync", "httpcore2._backends.sync"):
        kind = getattr(sys.modules.get(name), "SyncStream", None)
        if kind is not None and isinstance(stream, kind):
            return True
    return False


def _reset(state: Any, stream_id: int) -> bytes:
    # Under httpcore's write lock. An RST_STREAM with CANCEL, if the stream is still open.
    import h2.errors

    try:
        state.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.CANCEL)
    except Exception:
        return b""  # closed already (ended, or reset by the server)
    return bytes(state.data_to_send())


def h2_reset(target: Any) -> None:
    """Tell the server that an HTTP/2 stream is abandoned (RST_STREAM with CANCEL), so
    it stops generating: httpcore closes a stream early without telling the server. Only
    that stream is reset; other requests on the connection go on."""
    parts = _h2_parts(target)
    if parts is None:
        return
    state, lock, stream, stream_id = parts
    try:
        with lock:
            data = _reset(state, stream_id)
            if data:
                _write(stream, data)
    except Exception:
        pass  # the connection is gone: nothing to tell


async def ah2_reset(target: Any) -> None:
    """`h2_reset` for an async connection."""
    parts = _h2_parts(target)
    if parts is None:
        return
    state, lock, stream, stream_id = parts
    try:
        async with lock:
            data = _reset(state, stream_id)
            if data:
                await stream.write(data)
    except Exception:
        pass  # the connection is gone: nothing to tell


def h2_wake(target: Any) -> None:
    """Wake whoever waits on an HTTP/2 stream of a sync connection, without closing the
    connection that other requests share: queue a reset event for the stream (httpcore
    raises it to the stream's reader), then PING the server so that the thread blocked
    reading the connection returns to look."""
    connection, stream_id = target
    events = getattr(connection, "_events", None)
    if not isinstance(events, dict) or stream_id not in events:
        return
    try:
        import h2.errors
        import h2.events

        try:
            reset = h2.events.StreamReset(stream_id=stream_id)
        except TypeError:  # h2 before 4.2 sets the fields after construction
            reset = h2.events.StreamReset()  # type: ignore[call-arg]
            reset.stream_id = stream_id
        reset.error_code = h2.errors.ErrorCodes.CANCEL
        reset.remote_reset = False
        events[stream_id].append(reset)
        state = connection._h2_state
        with connection._write_lock:
            state.ping(b"sse-post")
            _write(connection._network_stream, state.data_to_send())
    except Exception:
        pass  # the connection is closing anyway


def interruptible(inner: Any) -> InterruptibleBackend:
    """httpcore's sync network backend `inner`, with a connect that can be interrupted."""
    import httpcore
    from httpcore._backends.sync import SyncStream

    return InterruptibleBackend(
        inner, stream=SyncStream, failed=httpcore.ConnectError, timed_out=httpcore.ConnectTimeout
    )


def install_backend(client: Any) -> InterruptibleBackend | None:
    """Give a client that sse_post made an interruptible connect (sync httpx only)."""
    pool: Any = getattr(getattr(client, "_transport", None), "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if pool is None or inner is None or sys.modules.get("httpcore") is None:
        return None
    backend = interruptible(inner)
    pool._network_backend = backend
    return backend
