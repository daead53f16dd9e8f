"""The stream flow: every decision of one event source, written once, with no I/O.

Shaped like httpx's auth flow (``httpx/_auth.py``): `StreamFlow.run` is a generator that
yields operations (`Send`, `READ`, `Deliver`, `Wait`, `CLOSE`) and is sent back what
happened (a `Head`, bytes, a `Failed`, an `Interrupted`). The drivers (``_sync_client``,
``_async_client``) only perform operations; like h11's ``_state.py``, everything that
changes a source's state lives here: ready state, attempts, the last event ID, ``retry``,
the verdict on each response, redirects, ``Retry-After``, the mid-event-drop rule and the
protocol's lifecycle (end and error events, JSON answers, resume, restart).

The generator returns when the iteration ends quietly and raises the `SSEError` that ends
it otherwise. The drivers close the open response whenever the generator stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

from ._decompress import decoder_for
from ._errors import (
    DeadlineExceededError,
    EventTooLargeError,
    IdleTimeoutError,
    ResponseError,
    ServerEventError,
    _chain,
)
from ._events import Comment, ServerSentEvent
from ._parser import SSEParser
from ._reconnect import Raise, ReadyState, Stop, Verdict, Wait, parse_retry_after
from ._redirects import next_hop

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from ._protocol import StreamProtocol
    from ._reconnect import Action, ReconnectSession
    from ._redirects import RedirectPolicy
    from ._request import Outgoing, RequestSpec

__all__ = ["CLOSE", "READ", "Deliver", "Failed", "Head", "Interrupted", "Send", "StreamFlow"]

#: How much of an error response's body a ResponseError shows.
EXCERPT_SIZE = 4096
#: How many raw bytes of an error body are read at most, whatever they decode to.
_RAW_LIMIT = 1 << 20


@final
@dataclass(slots=True)
class Send:
    """Send this request and answer with its `Head` (or `Failed`, `Interrupted`)."""

    request: Outgoing


@final
@dataclass(slots=True)
class Deliver:
    """Hand these events (and comments, in stream order) to the caller."""

    items: list[Any]


@final
class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Read the next chunk of the open response's raw body: answer bytes, ``b""`` at its end.
READ = _Token("READ")
#: Close the open response.
CLOSE = _Token("CLOSE")


@final
@dataclass(slots=True)
class Head:
    """A response's status line and headers (lower-case names)."""

    status: int
    headers: Mapping[str, str]
    url: str
    ends_at_close: bool  # HTTP/1 without length or chunking: a drop looks like an end
    raw: Any  # the driver's response object, for on_open
    now: float  # POSIX time, for Retry-After dates


@final
@dataclass(slots=True)
class Failed:
    """A transport failure; ``unsent``: the request certainly never reached the server."""

    error: BaseException
    unsent: bool = False


@final
@dataclass(slots=True)
class Interrupted:
    """The operation was cut short: ``"stop"`` (abort or close), ``"idle"``,
    ``"deadline"`` or ``"restart"``."""

    why: str


Op = Send | Deliver | Wait | _Token
Result = Any  # Head | bytes | Failed | Interrupted | None


class StreamFlow:
    """The decisions of one event source; see ``EventSource`` for the options."""

    def __init__(
        self,
        request: RequestSpec,
        session: ReconnectSession,
        *,
        protocol: StreamProtocol | None,
        redirects: RedirectPolicy | None,
        max_event_size: int | None,
        idle_timeout: float | None,
        deadline: float | None,
        comments: bool,
        on_open: Callable[[Any], None] | None,
        on_reconnect: Callable[[float, BaseException | None], None] | None,
    ) -> None:
        self.request = request
        self.session = session
        self.protocol = protocol
        self.redirects = redirects
        self.max_event_size = max_event_size
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.comments = comments
        self.on_open = on_open
        self.on_reconnect = on_reconnect
        self.ready_state = ReadyState.CONNECTING
        self.url = request.url
        self.response_headers: Mapping[str, str] = {}
        self.first_headers: Mapping[str, str] | None = None
        self.first_event: ServerSentEvent | None = None
        self.last_event: ServerSentEvent | None = None
        self.parser: SSEParser[Any] | None = None
        # The protocol's resume request, sent instead of the original until a stream opens.
        self.resume_request: Outgoing | None = None

    @property
    def last_event_id(self) -> str:
        parser = self.parser
        return parser.last_event_id if parser is not None else self.session.last_event_id

    @property
    def retry(self) -> float:
        parser = self.parser
        if parser is not None and parser.retry is not None:
            return self.session.reconnection_time_for(parser.retry)
        return self.session.reconnection_time

    def finish(self) -> None:
        """The source is done, whether or not the flow ever ran."""
        self.ready_state = ReadyState.CLOSED
        self.parser = None

    # --- the flow ------------------------------------------------------------------
    def run(self) -> Generator[Op, Result, None]:
        """Yield operations until the iteration ends; see the module docstring."""
        try:
            action: Action = self.session.start()
            while True:
                if isinstance(action, Wait):
                    self.ready_state = ReadyState.CONNECTING
                    if self.on_reconnect is not None:
                        self.on_reconnect(action.seconds, self.session.last_error)
                    result = yield action
                    if isinstance(result, Interrupted):
                        if result.why == "stop":
                            return
                        if result.why == "deadline":
                            raise self._interruption_error(result)
                    action = self.session.waited()  # idle does not apply; restart: now
                elif isinstance(action, Stop):
                    return
                elif isinstance(action, Raise):
                    raise action.error
                else:
                    action = yield from self._attempt()
        finally:
            self.ready_state = ReadyState.CLOSED

    def _attempt(self) -> Generator[Op, Result, Action]:
        session = self.session
        if session.explicit_restart:
            self.resume_request = None  # the caller asked for the request itself again
        outgoing = self.resume_request or self.request.attempt(session.last_event_id)
        hops = 0
        while True:
            result = yield Send(outgoing)
            if isinstance(result, Interrupted):
                return self._interrupted(result)
            if isinstance(result, Failed):
                return self.session.connect_failed(
                    result.error, maybe_sent=not result.unsent, first=self.first_headers is None
                )
            head: Head = result
            self.url = head.url
            self.response_headers = head.headers
            hop = next_hop(outgoing, head.url, head.status, head.headers, self.redirects, hops)
            if hop is None:
                break
            yield CLOSE
            outgoing, hops = hop, hops + 1
        verdict = self.session.response_received(
            head.status,
            head.headers.get("content-type", ""),
            accept_json=self.protocol is not None and self.protocol.accept_json,
        )
        if verdict is Verdict.OPEN:
            return (yield from self._stream(head))
        if verdict is Verdict.JSON:
            return (yield from self._json_answer(head))
        body = yield from self._read_body(head, EXCERPT_SIZE, truncate=True)
        if isinstance(body, Interrupted):
            return self._interrupted(body)
        assert isinstance(body, bytes)  # an excerpt keeps what came, however it ends
        error = ResponseError(
            head.status,
            head.headers.get("content-type", ""),
            head.headers,
            body.decode("utf-8", "replace").strip(),
        )
        if verdict is Verdict.STOP:
            return Stop()
        if verdict is Verdict.REJECT:
            return Raise(error)
        retry_after = parse_retry_after(head.headers.get("retry-after"), now=head.now)
        return self.session.connect_failed(
            error, retry_after=retry_after, first=self.first_headers is None
        )

    def _stream(self, head: Head) -> Generator[Op, Result, Action]:
        if self.first_headers is None:
            self.first_headers = head.headers
        self.resume_request = None
        session = self.session
        parser = self.parser = SSEParser(
            last_event_id=session.last_event_id,
            max_event_size=self.max_event_size,
            comments=self.comments,
        )
        decoder = _decoder(head)
        self.ready_state = ReadyState.OPEN
        if self.on_open is not None:
            self.on_open(head.raw)
        protocol = self.protocol
        error: BaseException | None = None
        ended = restart = False
        try:
            while True:
                chunk = yield READ
                if type(chunk) is not bytes:
                    if isinstance(chunk, Interrupted):
                        if chunk.why == "stop":
                            return Stop()
                        if chunk.why == "deadline":
                            raise self._interruption_error(chunk)
                        restart = chunk.why == "restart"
                        error = None if restart else self._interruption_error(chunk)
                    else:
                        error = chunk.error
                    break
                if decoder is None:
                    if not chunk:
                        break
                    events = parser.feed(chunk)
                    if events and (yield from self._deliver(events, protocol)):
                        ended = True
                        break
                    continue
                # Decoded piece by piece, each bounded, each parsed before the next is
                # inflated: the parser's cap stops a bomb early.
                pieces = iter(decoder.feed(chunk) if chunk else decoder.flush())
                while not ended:
                    try:
                        piece = next(pieces, None)
                    except ValueError as exc:  # a corrupt or cut body: as a drop
                        error = ConnectionError(f"the body could not be decoded: {exc}")
                        break
                    if piece is None:
                        break
                    events = parser.feed(piece)
                    if events:
                        ended = yield from self._deliver(events, protocol)
                if ended or error is not None or not chunk:
                    break
        finally:
            self.parser = None
            session.stream_ended(parser.last_event_id, parser.retry)
        if ended:
            return Stop()
        if restart:
            yield CLOSE
            return session.restart()
        if error is None and head.ends_at_close and parser.mid_event:
            # A close-delimited body cut off with a clean FIN looks like its end; an
            # event left half-way tells the two apart. (A chunked or sized body that
            # ends mid-event was ended on purpose.)
            error = ConnectionError("the stream ended in the middle of an event")
        parser.close()  # raises an EventTooLargeError that a feed deferred
        yield CLOSE
        action = session.disconnected(
            error,
            incomplete=protocol is not None and protocol.end is not None,
            resumable=protocol is not None and protocol.resume is not None,
        )
        return self._resume(action, error)

    def _deliver(
        self, items: list[Any], protocol: StreamProtocol | None
    ) -> Generator[Op, Result, bool]:
        """Deliver events (and comments, when asked for); True if the protocol's end
        event came (the stream is done)."""
        events = items if not self.comments else [e for e in items if type(e) is not Comment]
        if not events:
            yield Deliver(items)  # comments only
            return False
        if self.first_event is None:
            self.first_event = events[0]
        self.session.event(events[0])
        if len(events) > 1:
            self.session.event(events[1])
        if protocol is not None:
            for index, item in enumerate(items):
                if type(item) is Comment:
                    continue
                if protocol.error is not None:
                    failure = protocol.error(item)
                    if failure is not None:
                        if index:
                            yield Deliver(items[:index])
                        raise _chain(ServerEventError(item, _payload(item)), failure)
                if protocol.end is not None and protocol.end(item):
                    keep = items[: index + 1] if _payload(item) is not None else items[:index]
                    self.last_event = item
                    if keep:
                        yield Deliver(keep)
                    return True
        self.last_event = events[-1]
        yield Deliver(items)
        return False

    def _json_answer(self, head: Head) -> Generator[Op, Result, Action]:
        body = yield from self._read_body(head, self.max_event_size, truncate=False)
        if isinstance(body, Interrupted):
            return self._interrupted(body)
        if isinstance(body, Failed):  # cut short: not a whole answer
            return self.session.disconnected(body.error)
        event = ServerSentEvent(data=body.decode("utf-8", "replace"), id=self.last_event_id)
        protocol = self.protocol
        if protocol is not None and protocol.error is not None:
            failure = protocol.error(event)
            if failure is not None:
                raise _chain(ServerEventError(event, _payload(event)), failure)
        yield from self._deliver([event], None)
        return Stop()

    def _read_body(
        self, head: Head, limit: int | None, *, truncate: bool
    ) -> Generator[Op, Result, bytes | Interrupted | Failed]:
        """Read a body, decoded, up to ``limit`` bytes. An error excerpt (``truncate``)
        keeps what came, however it ends; a JSON answer is whole or raises
        EventTooLargeError, and a drop is returned."""
        decoder = _decoder(head, max_piece=limit)
        body = bytearray()
        raw = 0  # an excerpt that decodes to nothing must not be read forever
        while limit is None or len(body) <= limit:
            chunk = yield READ
            if isinstance(chunk, Interrupted):
                return chunk
            if type(chunk) is not bytes:
                if truncate:
                    break  # a drop: keep what came
                return chunk  # type: ignore[no-any-return]
            raw += len(chunk)
            try:
                if decoder is None:
                    body += chunk
                else:
                    for piece in decoder.feed(chunk) if chunk else decoder.flush():
                        body += piece
                        if limit is not None and len(body) > limit:
                            break
            except ValueError as exc:
                if truncate:
                    break  # a corrupt encoding: keep what decoded
                return Failed(ConnectionError(f"the body could not be decoded: {exc}"))
            if not chunk or (truncate and raw > _RAW_LIMIT):
                break
        yield CLOSE
        if limit is not None and len(body) > limit:
            if not truncate:
                raise EventTooLargeError(limit)
            del body[limit:]
        return bytes(body)

    def _resume(self, action: Action, error: BaseException | None) -> Action:
        # Asked before the wait, so that a rule that cannot resume fails at once.
        protocol, session = self.protocol, self.session
        if not isinstance(action, Wait) or protocol is None or protocol.resume is None:
            return action
        request = protocol.resume(self._resume_state())
        if request is not None:
            self.resume_request = self.request.resume_with(request, session.last_event_id)
            return action
        if session.may_replay():
            return action
        return session.lost(
            error,
            "the stream was interrupted, and the resume rule gave no request",
            incomplete=protocol.end is not None,
        )

    def _interrupted(self, result: Interrupted) -> Action:
        if result.why == "stop":
            return Stop()
        if result.why == "restart":
            return self.session.restart()
        return Raise(self._interruption_error(result))

    def _interruption_error(self, result: Interrupted) -> BaseException:
        if result.why == "idle":
            assert self.idle_timeout is not None
            return IdleTimeoutError(self.idle_timeout)
        if result.why == "deadline":
            assert self.deadline is not None
            return DeadlineExceededError(self.deadline)
        raise AssertionError(result.why)

    def _resume_state(self) -> Any:
        from ._protocol import ResumeState

        return ResumeState(
            request=self.request.as_stream_request(),
            last_event_id=self.session.last_event_id,
            first_event=self.first_event,
            last_event=self.last_event,
            response_headers=dict(self.first_headers or {}),
            attempt=self.session.attempt + 1,
        )


def _decoder(head: Head, max_piece: int | None = None) -> Any:
    """The body's decoder, ``None`` for an unencoded one (the fast path).

    Raises:
        ResponseError: an encoding that cannot be decoded with bounded memory.
    """
    encoding = head.headers.get("content-encoding", "")
    if not encoding or encoding.strip().lower() == "identity":
        return None
    try:
        if max_piece is None:
            return decoder_for(encoding)
        return decoder_for(encoding, max_piece=max(min(max_piece, 1 << 16), 1))
    except ValueError as exc:
        raise ResponseError(
            head.status, head.headers.get("content-type", ""), head.headers, str(exc)
        ) from None


def _payload(event: ServerSentEvent) -> object:
    try:
        return json.loads(event.data)
    except (ValueError, RecursionError):
        return None
