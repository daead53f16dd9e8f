"""Request bodies: JSON, bytes, form fields, and a factory for streamed bodies."""

import os
from collections.abc import Iterator

from sse_post import EventSource

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
URL = f"{BASE}/v1/jobs"


def last_event(**body: object) -> str:
    with EventSource(URL, method="POST", **body) as source:  # type: ignore[arg-type]
        return [event.event for event in source][-1]


print("json:", last_event(json={"job": "report"}))
print(
    "bytes:",
    last_event(content=b'{"job": "report"}', headers={"Content-Type": "application/json"}),
)
print("form:", last_event(data={"job": "report"}))


def chunks() -> Iterator[bytes]:
    yield b'{"job": '
    yield b'"report"}'


# A generator can be sent only once; a zero-argument callable returning a fresh one can be
# sent again on every reconnect.
print("factory:", last_event(content=chunks))
