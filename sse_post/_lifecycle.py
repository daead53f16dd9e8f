"""The protocol's part of the stream flow: end and error events, JSON answers, resume.

A mixin of `StreamFlow` (``_flow``), kept apart so that each module reads in one sitting;
the state it reads and writes is the flow's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._bodies import read_body
from ._errors import ServerEventError, _chain
from ._events import Comment, ServerSentEvent
from ._ops import Deliver, Failed, Interrupted
from ._policy import Stop, Wait

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._ops import Head, Op, Result
    from ._policy import Action
    from ._protocol import StreamProtocol
    from ._reconnect import ReconnectSession
    from ._request import Outgoing, RequestSpec

__all__ = ["ProtocolRules"]


class ProtocolRules:
    """End events, error events, JSON answers and resume requests, for `StreamFlow`."""

    request: RequestSpec
    session: ReconnectSession
    protocol: StreamProtocol | None
    comments: bool
    max_event_size: int | None
    first_event: ServerSentEvent | None
    last_event: ServerSentEvent | None
    first_headers: Any
    resume_request: Outgoing | None
    last_event_id: Any

    def _interrupted(self, result: Interrupted) -> Action:
        raise NotImplementedError  # the flow's

    def _count(self, events: list[Any], fresh: int) -> int:
        """Tell the session of up to ``fresh`` delivered events (it counts the first two
        of a connection); how many may still count."""
        if self.first_event is None:
            self.first_event = events[0]
        for event in events[:fresh]:
            self.session.event(event)
        return max(0, fresh - len(events))

    def _deliver(
        self, items: list[Any], protocol: StreamProtocol | None
    ) -> Generator[Op, Result, bool]:
        """Deliver events (and comments, when asked for); True if the protocol's end
        event came (the stream is done)."""
        events = items if not self.comments else [e for e in items if type(e) is not Comment]
        if not events:
            yield Deliver(items)  # comments only
            return False
        self._count(events, 2)
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
        body = yield from read_body(head, self.max_event_size, truncate=False)
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


def _payload(event: ServerSentEvent) -> object:
    try:
        return json.loads(event.data)
    except (ValueError, RecursionError):
        return None
