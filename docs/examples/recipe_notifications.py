"""Recipe: a notifications feed that resumes with Last-Event-ID across restarts.

The last event ID is saved after each notification; a restarted program passes it as
last_event_id= and the server sends only what was missed.
"""

import os
import sys
import tempfile
from pathlib import Path

from sse_post import EventSource, ReconnectPolicy

BASE = os.environ.get("SSE_POST_DEMO_URL", "http://127.0.0.1:8000")
STATE = Path(os.environ.get("NOTIFY_STATE", Path(tempfile.gettempdir()) / "sse-post-notify-id"))


def run(limit: int | None) -> None:
    last_id = STATE.read_text() if STATE.exists() else ""
    print(f"starting from Last-Event-ID {last_id or '(none)'}")
    policy = ReconnectPolicy(max_attempts=None)  # a feed: keep trying
    seen = 0
    with EventSource(f"{BASE}/v1/feed", last_event_id=last_id, reconnect=policy) as source:
        for event in source:
            print(f"  notification {event.id}: {event.json()['title']}")
            STATE.write_text(event.id)  # persist before acting, so nothing is lost
            seen += 1
            if seen == limit:  # the program is stopped here, and restarted below
                return


if __name__ == "__main__":
    STATE.unlink(missing_ok=True)
    run(limit=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    run(limit=None)  # a restart: resumes after the last saved ID
