"""Testing your own code: sse_post.testing makes streaming responses for respx and
httpx.MockTransport, with chunking, delays and drops."""

import json

import httpx
import respx

from sse_post import EventSource, ReconnectPolicy
from sse_post.testing import format_event, sse_response


def answer(url: str) -> str:
    """The code under test: joins the tokens of a chat stream."""
    text = []
    with EventSource(url, method="POST", json={"messages": []}) as source:
        for event in source:
            if event.data == "[DONE]":
                break
            for choice in event.json()["choices"]:  # none in a usage chunk
                text.append(choice["delta"].get("content") or "")
    return "".join(text)


def token(text: str) -> dict[str, str]:
    return {"data": json.dumps({"choices": [{"delta": {"content": text}}]})}


# What real servers send around the tokens: a first chunk with only the role, and a usage
# chunk with no choices at all.
role = {"data": json.dumps({"choices": [{"delta": {"role": "assistant"}}]})}
usage = {"data": json.dumps({"choices": [], "usage": {"completion_tokens": 2}})}
URL = "https://api.example.test/v1/chat/completions"
with respx.mock:
    # chunk_size=5 splits events across reads, as real networks do.
    respx.post(URL).mock(
        return_value=sse_response(
            [role, token("Hel"), token("lo"), usage, {"data": "[DONE]"}], chunk_size=5
        )
    )
    assert answer(URL) == "Hello"

# format_event writes the wire format, for handlers of your own.
assert (
    format_event("two\nlines", event="note", id="7")
    == b"event: note\nid: 7\ndata: two\ndata: lines\n\n"
)


def handler(request: httpx.Request) -> httpx.Response:
    # A drop after 20 bytes; the event IDs let the client resume.
    if request.headers.get("Last-Event-ID") is None:
        return sse_response(
            [{"data": "one", "id": "1"}, {"data": "two", "id": "2"}], drop_after=20
        )
    return sse_response([{"data": "two", "id": "2"}])


with httpx.Client(transport=httpx.MockTransport(handler)) as client:
    policy = ReconnectPolicy(initial_delay=0, min_delay=0)  # no wait in a test
    with EventSource(
        "https://feed.test/", method="POST", client=client, reconnect=policy
    ) as source:
        assert [event.data for event in source] == ["one", "two"]
print("all assertions hold")
