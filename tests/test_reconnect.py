"""The reconnect session as a table of outcomes and the actions they produce: no server,
no clock, no sleeps."""

from __future__ import annotations

import random

import pytest

from sse_post import ConnectionLostError, ReconnectError, ReconnectPolicy, ServerSentEvent
from sse_post._policy import Connect, Raise, Stop, Verdict, Wait, parse_retry_after
from sse_post._reconnect import ReconnectSession

NO_JITTER = ReconnectPolicy(
    initial_delay=1.0, max_delay=30.0, backoff=2.0, jitter=0.0, max_attempts=4, min_delay=0
)
DROP = ConnectionError("dropped")


def ended(s, error, last_event_id, retry_ms):
    s.stream_ended(last_event_id, retry_ms)
    return s.disconnected(error)


def session(method="GET", policy=NO_JITTER, **kwargs):
    return ReconnectSession(method=method, policy=policy, rng=random.Random(1), **kwargs)


@pytest.mark.parametrize(
    ("status", "content_type", "verdict"),
    [
        (200, "text/event-stream", Verdict.OPEN),
        (200, "TEXT/Event-Stream; charset=utf-8", Verdict.OPEN),
        (200, "text/html", Verdict.REJECT),
        (200, "", Verdict.REJECT),
        (204, "", Verdict.STOP),
        (429, "text/plain", Verdict.RETRY),
        (502, "", Verdict.RETRY),
        (503, "text/html", Verdict.RETRY),
        (504, "", Verdict.RETRY),
        (500, "text/event-stream", Verdict.REJECT),
        (401, "application/json", Verdict.REJECT),
        (404, "", Verdict.REJECT),
        (301, "", Verdict.REJECT),
    ],
)
def test_response_verdicts(status, content_type, verdict):
    assert session().response_received(status, content_type) is verdict


def test_first_action_connects_with_resume_header():
    assert session().start() == Connect({})
    assert session(last_event_id="42").start() == Connect({"Last-Event-ID": "42"})


def test_backoff_grows_and_is_capped_then_gives_up():
    s = session()
    waits = [s.connect_failed(DROP) for _ in range(3)]
    assert waits == [Wait(1.0), Wait(2.0), Wait(4.0)]
    action = s.connect_failed(DROP)
    assert isinstance(action, Raise)
    assert isinstance(action.error, ReconnectError)
    assert action.error.attempts == 4
    assert action.error.__cause__ is DROP


def test_delay_is_capped_by_max_delay():
    s = session(
        policy=ReconnectPolicy(initial_delay=10, max_delay=15, jitter=0, max_attempts=None)
    )
    assert [s.connect_failed(DROP) for _ in range(3)] == [Wait(10), Wait(15), Wait(15)]


def test_unbounded_attempts():
    s = session(policy=ReconnectPolicy(max_attempts=None, jitter=0))
    for _ in range(200):
        assert isinstance(s.connect_failed(DROP), Wait)


def test_jitter_takes_off_at_most_its_fraction():
    policy = ReconnectPolicy(initial_delay=1.0, jitter=0.5, max_attempts=None, min_delay=0)
    delays = []
    for seed in range(50):
        s = ReconnectSession(method="GET", policy=policy, rng=random.Random(seed))
        action = s.connect_failed(DROP)
        assert isinstance(action, Wait)
        delays.append(action.seconds)
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 1


def test_server_retry_wins_and_is_clamped():
    s = session()
    s.response_received(200, "text/event-stream")
    s.event(ServerSentEvent(data="x"))
    assert ended(s, DROP, "1", 250) == Wait(0.25)
    assert s.reconnection_time == 0.25
    s2 = session()
    s2.response_received(200, "text/event-stream")
    s2.event(ServerSentEvent(data="x"))
    assert ended(s2, DROP, "1", 2**63 - 1) == Wait(30.0)


def test_retry_after_raises_the_delay_up_to_max_delay():
    s = session()
    assert s.connect_failed(DROP, retry_after=7) == Wait(7)
    assert s.connect_failed(DROP, retry_after=9999) == Wait(30.0)


def test_delivered_event_resets_failures():
    s = session()
    s.connect_failed(DROP)
    s.connect_failed(DROP)
    assert s.failures == 2
    s.response_received(200, "text/event-stream")
    s.event(ServerSentEvent(data="x"))
    assert s.failures == 0
    s.event(ServerSentEvent(data="y"))  # a second event: the connection works
    assert ended(s, DROP, "", None) == Wait(1.0)


def test_connections_that_die_after_one_event_keep_backing_off():
    # retry: 0 and one event per connection: the floor and the backoff hold the rate.
    s = session(policy=ReconnectPolicy(jitter=0, max_attempts=None))
    delays = []
    for _ in range(8):
        assert s.response_received(200, "text/event-stream") is Verdict.OPEN
        s.event(ServerSentEvent(data="x"))
        action = ended(s, DROP, "", 0)
        assert isinstance(action, Wait)
        delays.append(action.seconds)
        s.waited()
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert sum(1 for t in __import__("itertools").accumulate(delays) if t <= 10) <= 10


def test_min_delay_floors_every_wait():
    s = session(policy=ReconnectPolicy(jitter=0, min_delay=0.5, max_attempts=None))
    s.response_received(200, "text/event-stream")
    s.event(ServerSentEvent(data="x"))
    s.event(ServerSentEvent(data="y"))
    assert ended(s, None, "", 0) == Wait(0.5)


def test_connection_without_events_counts_as_a_failure():
    s = session()
    for expected in (Wait(1.0), Wait(2.0), Wait(4.0)):
        s.response_received(200, "text/event-stream")
        assert ended(s, DROP, "", None) == expected
    s.response_received(200, "text/event-stream")
    assert isinstance(ended(s, DROP, "", None), Raise)


@pytest.mark.parametrize(
    ("method", "error", "last_id", "replay", "expected"),
    [
        ("GET", None, "", False, Wait),  # EventSource reconnects after a clean end
        ("GET", DROP, "", False, Wait),
        ("POST", None, "7", False, Stop),  # a POST stream ends with its response
        ("POST", DROP, "", False, ConnectionLostError),  # no silent replay
        ("POST", DROP, "7", False, Wait),  # resumable
        ("POST", DROP, "", True, Wait),  # the caller opted in
        ("PATCH", DROP, "", False, ConnectionLostError),
        ("DELETE", DROP, "", False, ConnectionLostError),
        ("OPTIONS", DROP, "", False, Wait),
    ],
)
def test_what_a_drop_or_end_does_per_method(method, error, last_id, replay, expected):
    policy = ReconnectPolicy(jitter=0, replay_non_idempotent=replay)
    s = session(method=method, policy=policy)
    s.response_received(200, "text/event-stream")
    s.event(ServerSentEvent(data="x"))
    action = ended(s, error, last_id, None)
    if expected is ConnectionLostError:
        assert isinstance(action, Raise)
        assert type(action.error) is ConnectionLostError
        assert action.error.__cause__ is error
    else:
        assert isinstance(action, expected)
    if expected is Wait:
        assert s.waited() == Connect({"Last-Event-ID": last_id} if last_id else {})


def test_reconnect_off():
    s = session(policy=None)
    assert s.connect_failed(DROP) == Raise(DROP)
    s.response_received(200, "text/event-stream")
    assert ended(s, None, "", None) == Stop()
    action = ended(s, DROP, "1", None)
    assert isinstance(action, Raise)
    assert "reconnect=False" in str(action.error)


def test_one_shot_body_cannot_be_replayed():
    s = session(method="POST", replayable=False)
    s.response_received(200, "text/event-stream")
    action = ended(s, DROP, "1", None)
    assert isinstance(action, Raise)
    assert "one-shot iterator" in str(action.error)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        ("soon", None),
        ("-5", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value, seconds):
    now = 1445412450.0  # 2015-10-21 07:27:30 UTC
    assert parse_retry_after(value, now=now) == seconds


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": -1}, "max_attempts"),
        ({"initial_delay": -1}, "initial_delay"),
        ({"initial_delay": 5, "max_delay": 1}, "initial_delay <= max_delay"),
        ({"backoff": 0.5}, "backoff"),
        ({"jitter": 2}, "jitter"),
    ],
)
def test_policy_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReconnectPolicy(**kwargs)


@pytest.mark.parametrize(
    ("method", "maybe_sent", "last_id", "replay", "expected"),
    [
        ("POST", False, "", False, Wait),  # never connected: nothing reached the server
        ("POST", True, "", False, ConnectionLostError),  # e.g. a timeout waiting for headers
        ("POST", True, "4", False, Wait),  # resumable
        ("POST", True, "", True, Wait),  # the caller opted in
        ("GET", True, "", False, Wait),
    ],
)
def test_connect_failure_after_the_request_may_have_been_sent(
    method, maybe_sent, last_id, replay, expected
):
    s = session(
        method=method,
        policy=ReconnectPolicy(jitter=0, replay_non_idempotent=replay),
        last_event_id=last_id,
    )
    action = s.connect_failed(DROP, maybe_sent=maybe_sent)
    if expected is ConnectionLostError:
        assert isinstance(action, Raise)
        assert type(action.error) is ConnectionLostError
    else:
        assert isinstance(action, expected)
