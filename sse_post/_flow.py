"""The stream flow: every decision of one event source, written once, with no I/O.

Shaped like httpx's auth flow (``httpx/_auth.py``): `StreamFlow.run` is a generator that
yields operations (`Send`, `READ`, `Deliver`, `Wait`, `CLOSE`) and is sent back what
happened (a `Head`, bytes, a `Failed`, an `Interrupted`; after a `Deliver` with
``then_read``, what the next `READ` gave). The drivers (``_sync_driver``,
``_async_driver``) only perform operations; like h11's ``_state.py``, everything that
changes a source's state lives here, with its mixin ``_lifecycle`` (the protocol's rules)
and ``_bodies`` (bodies that are not streams): ready state, attempts, the last event ID,
``retry``, the verdict on each response, redirects, ``Retry-After``, the mid-event-drop
rule and the protocol's lifecycle (end and error events, JSON answers, resume, restart).

The generator returns when the iteration ends quietly and raises the `SSEError` that ends
it otherwise. The drivers close the open response whenever the generator stops.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ._bodies import EXCERPT_SIZE, decoder_of, read_body
from ._errors import (
    DeadlineExceededError,
    IdleTimeoutError,
    ResponseError,
)
from ._lifecycle import ProtocolRules
from ._ops import CLOSE, READ, Deliver, Failed, Head, Interrupted, Send
from ._parser import SSEParser
from ._policy import Raise, ReadyState, Stop, Verdict, Wait, parse_retry_after
from ._redirects import next_hop

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from ._events import ServerSentEvent
    from ._ops import Op, Result
    from ._policy import Action
    from ._protocol import StreamProtocol
    from ._reconnect import ReconnectSession
    from ._redirects import RedirectPolicy
    from ._request import Outgoing, RequestSpec

__all__ = ["StreamFlow"]


class StreamFlow(ProtocolRules):
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
        body = yield from read_body(head, EXCERPT_SIZE, truncate=True)
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
        decoder = decoder_of(head)
        self.ready_state = ReadyState.OPEN
        if self.on_open is not None:
            self.on_open(head.raw)
        protocol = self.protocol
        # Most streams have no protocol to consult and no comments to sort out: their
        # events are delivered here, inline (a live stream delivers one event a read).
        plain = protocol is None and not self.comments
        fresh = 2  # the events that still count for the session (see _deliver)
        # One Deliver for the stream, refilled: the driver takes its items before it
        # resumes the flow, and the dataclass's __init__ is a Python call per event. It
        # asks for the next read too, so that the flow is resumed once a live event.
        deliver = Deliver([], then_read=True)
        op: Op = READ
        # A feed that crossed max_event_size returned the events before the oversized
        # block, which opened after them, in the same chunk, at most 3 bytes a byte
        # (U+FFFD): only a chunk over a third of the cap can leave an error waiting.
        cap = (self.max_event_size or sys.maxsize) // 3
        error: BaseException | None = None
        ended = restart = False
        try:
            while True:
                chunk = yield op
                op = READ
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
                    if not events:
                        continue
                    if plain:
                        if fresh:
                            fresh = self._count(events, fresh)
                        # (No last_event: only a protocol's rules read it.)
                        if len(chunk) <= cap:
                            deliver.items = events
                            op = deliver  # delivered, then the next read comes back here
                            continue
                        yield Deliver(events)
                    elif (yield from self._deliver(events, protocol)):
                        ended = True
                        break
                    if len(chunk) > cap:
                        parser.feed(b"")  # the waiting error comes now, not later
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
                        if not ended and len(piece) > cap:
                            parser.feed(b"")  # as above
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
