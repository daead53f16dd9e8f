"""Recipe: an A2A agent, streamed with message/stream to the final event (A2A 0.3).

If the stream breaks before the final event, the task goes on on the agent: subscribe
to it again with tasks/resubscribe (SubscribeToTask in A2A 1.0). A task that has already
finished cannot be resubscribed; fetch it with tasks/get.
"""

import os
import uuid
from collections.abc import Iterator
from typing import Any

from sse_post import ConnectionLostError, EventSource, ServerEventError, protocols
from sse_post.protocols import JSONRPCError

URL = os.environ.get("A2A_URL", "http://127.0.0.1:9999/")


def call(method: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The results of one JSON-RPC call, streamed or answered as plain JSON.

    The preset ends the loop at the final event (a status update with "final": true, a
    task in a terminal state, or a message) and raises on a JSON-RPC error.
    """
    body = {"jsonrpc": "2.0", "id": str(uuid.uuid4()), "method": method, "params": params}
    with EventSource(URL, method="POST", json=body, protocol=protocols.a2a) as source:
        for event in source:
            yield event.json()["result"]


def show(result: dict[str, Any]) -> str | None:
    """Print one result; return the task's ID when it names one."""
    kind = result.get("kind")
    if kind == "status-update":
        print(f"status: {result['status']['state']}" + (" (final)" if result["final"] else ""))
    elif kind == "artifact-update":
        print("artifact:", " ".join(p["text"] for p in result["artifact"]["parts"]))
    elif kind == "task":
        print(f"task: {result['status']['state']}")
        return str(result["id"])
    elif kind == "message":
        print("message:", " ".join(p.get("text", "") for p in result["parts"]))
    return result.get("taskId")


def ask(text: str) -> str | None:
    part = {"kind": "text", "text": text}
    message = {"kind": "message", "messageId": str(uuid.uuid4()), "role": "user", "parts": [part]}
    task_id = None
    try:
        for result in call("message/stream", {"message": message}):
            task_id = show(result) or task_id
    except ConnectionLostError:  # the stream broke before the final event
        if task_id is None:
            raise  # no task to go back to
        print("stream lost; resubscribing to", task_id)
        for result in call("tasks/resubscribe", {"id": task_id}):
            show(result)
    return task_id


task_id = ask("hi")
# Subscribing again to a task that has finished is an error; tasks/get reads it whole.
try:
    for result in call("tasks/resubscribe", {"id": task_id}):
        show(result)
except ServerEventError as exc:
    error = exc.__cause__
    print(f"resubscribe: error {error.code if isinstance(error, JSONRPCError) else error}")
    for task in call("tasks/get", {"id": task_id}):  # answered as JSON: one event
        words = [p["text"] for a in task["artifacts"] for p in a["parts"]]
        print(f"tasks/get: {task['status']['state']}, {' '.join(words)}")
