"""Error events, JSON and 202 answers, shown with a stand-in server (httpx.MockTransport)
that answers the way MCP and A2A servers do."""

import json

import httpx

from sse_post import EventSource, ServerEventError, StreamProtocol
from sse_post.testing import sse_response


class Overloaded(Exception):
    pass


def server(request: httpx.Request) -> httpx.Response:
    call = json.loads(request.content)
    if call["method"] == "notify":  # nothing to say: 202 Accepted, no body
        return httpx.Response(202)
    if call["method"] == "ping":  # a short answer, as plain JSON
        return httpx.Response(200, json={"id": call["id"], "result": "pong"})
    return sse_response(  # a long one, streamed; this one fails half-way
        [
            {"data": json.dumps({"delta": "Hel"})},
            {"event": "error", "data": json.dumps({"error": {"type": "overloaded_error"}})},
        ]
    )


def error_rule(event):  # an exception for an event that reports a failure, else None
    if event.event == "error":
        return Overloaded(event.json()["error"]["type"])
    return None


rpc = StreamProtocol(accept_json=True, error=error_rule)
client = httpx.Client(transport=httpx.MockTransport(server))
url = "http://rpc.example/rpc"

for method in ("notify", "ping", "generate"):
    call = {"id": 1, "method": method}
    try:
        with EventSource(url, method="POST", json=call, protocol=rpc, client=client) as source:
            print(method, "->", [event.data for event in source])
    except ServerEventError as exc:
        print(method, "-> failed:", repr(exc.__cause__), "payload:", exc.payload)
client.close()
