"""The rules behind the presets in `sse_post.protocols`: pure functions of one event.

Every rule decodes ``event.data`` through `_payload`, which remembers the last few
events, so a preset whose ``end``, ``error`` and text rules all read the same event
decodes it once. Remote input never raises here: data that is not the JSON a rule
expects simply does not match it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._events import ServerSentEvent
    from ._protocol import ResumeState, StreamRequest


class ProviderError(Exception):
    """An error that a provider reported inside its stream, after a ``200``.

    It is the ``__cause__`` of the `ServerEventError` that the loop raises, so
    ``except ServerEventError as exc: exc.__cause__.code`` reads the provider's own
    error type without decoding the event again.

    Attributes:
        protocol: the preset's name (``"anthropic_messages"``, ...).
        code: the provider's error type or code (``"overloaded_error"``,
            ``"server_error"``, ``"INTERNAL"``, a JSON-RPC code such as ``-32602``), or
            ``None`` if it sent none.
        message: the provider's message (``""`` if it sent none).
        body: the error object as the provider sent it (decoded JSON).
    """

    def __init__(self, protocol: str, code: str | int | None, message: str, body: Any) -> None:
        shown = f"{code}: {message}" if code is not None else message
        # The message as sent; the raw body (repr) only when there is no message at all.
        super().__init__(f"{protocol} stream reported an error: {shown or repr(body)}")
        self.protocol = protocol
        self.code = code
        self.message = message
        self.body = body


@lru_cache(maxsize=8)
def _payload(event: ServerSentEvent) -> Any:
    # Events are frozen and hashable; the rules of one preset ask about the same event
    # in a row (error, end, then text), so a tiny cache turns three decodes into one.
    data = event.data
    if not data or data[0] not in "{[":
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def payload(event: ServerSentEvent) -> dict[str, Any]:
    """The event's data as a JSON object, or ``{}`` if it is not one."""
    value = _payload(event)
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _code(value: Any) -> str | int | None:
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def error_from(protocol: str, error: Any) -> ProviderError:
    """A `ProviderError` from an ``{"type"|"code"|"status", "message"}`` object."""
    if not isinstance(error, dict):
        return ProviderError(protocol, None, _str(error), error)
    code = _code(error.get("type")) or _code(error.get("status")) or _code(error.get("code"))
    return ProviderError(protocol, code, _str(error.get("message")), error)


# --- OpenAI Chat Completions ----------------------------------------------------------


def is_done(event: ServerSentEvent) -> bool:
    # openai-python's Stream.__stream__ tests `sse.data.startswith("[DONE]")`.
    return event.data.startswith("[DONE]")


def chat_error(event: ServerSentEvent) -> ProviderError | None:
    # openai-python raises APIError for any chunk whose JSON has a truthy "error".
    if '"error"' not in event.data:
        return None
    error = payload(event).get("error")
    return error_from("openai_chat", error) if error else None


def chat_text(event: ServerSentEvent) -> str:
    choices = payload(event).get("choices")
    if not isinstance(choices, list):
        return ""
    texts = []
    for choice in choices:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict):
            texts.append(_str(delta.get("content")))
    return "".join(texts)


# --- OpenAI Responses -----------------------------------------------------------------

RESPONSES_END = frozenset({"response.completed", "response.incomplete", "response.failed"})


def responses_type(event: ServerSentEvent) -> str:
    # The API names every event twice, in `event:` and in the data's "type"; a proxy
    # that drops the `event:` line still leaves the type in the data.
    if event.event != "message":
        return event.event
    return _str(payload(event).get("type"))


def responses_end(event: ServerSentEvent) -> bool:
    # OpenAI sends nothing after the terminal event; Open Responses servers add [DONE].
    return is_done(event) or responses_type(event) in RESPONSES_END


def responses_error(event: ServerSentEvent) -> ProviderError | None:
    kind = responses_type(event)
    if kind == "error":
        data = payload(event)
        return ProviderError(
            "openai_responses", _code(data.get("code")), _str(data.get("message")), data
        )
    if kind == "response.failed":
        response = payload(event).get("response")
        error = response.get("error") if isinstance(response, dict) else None
        return error_from("openai_responses", error or {"message": "the response failed"})
    return None


def responses_text(event: ServerSentEvent) -> str:
    if responses_type(event) != "response.output_text.delta":
        return ""
    return _str(payload(event).get("delta"))


def resume_headers(request: StreamRequest, **extra: str) -> dict[str, str]:
    # The resume request is a GET: drop what described the original body.
    dropped = {"content-type", "content-length", "last-event-id", *extra}
    headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
    headers.update(extra)
    return headers


def responses_resume(state: ResumeState) -> StreamRequest | None:
    from ._protocol import StreamRequest

    body = state.request.json
    if not (isinstance(body, dict) and body.get("background") is True):
        return None  # only a background response outlives its connection
    first = payload(state.first_event) if state.first_event else {}
    response = first.get("response")
    response_id = response.get("id") if isinstance(response, dict) else None
    if not isinstance(response_id, str) or not response_id:
        return None
    last = payload(state.last_event) if state.last_event else {}
    after = last.get("sequence_number", first.get("sequence_number"))
    base = state.request.url.split("?", 1)[0].rstrip("/")
    url = f"{base}/{response_id}?stream=true"
    if isinstance(after, int) and not isinstance(after, bool):
        url += f"&starting_after={after}"
    return StreamRequest(method="GET", url=url, headers=resume_headers(state.request))


# --- Anthropic Messages ---------------------------------------------------------------


def anthropic_end(event: ServerSentEvent) -> bool:
    return event.event == "message_stop"


def anthropic_error(event: ServerSentEvent) -> ProviderError | None:
    if event.event != "error":
        return None
    data = payload(event)
    return error_from("anthropic_messages", data.get("error", data))


def anthropic_text(event: ServerSentEvent) -> str:
    if event.event != "content_block_delta":
        return ""
    delta = payload(event).get("delta")
    if isinstance(delta, dict) and delta.get("type") == "text_delta":
        return _str(delta.get("text"))
    return ""


# --- Gemini ---------------------------------------------------------------------------


def gemini_error(event: ServerSentEvent) -> ProviderError | None:
    if '"error"' not in event.data:
        return None
    error = payload(event).get("error")
    return error_from("gemini", error) if error else None


def gemini_text(event: ServerSentEvent) -> str:
    candidates = payload(event).get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return ""
    content = candidates[0].get("content") if isinstance(candidates[0], dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return ""
    # A part with "thought": true is the model's reasoning summary, not its answer.
    return "".join(
        _str(part.get("text"))
        for part in parts
        if isinstance(part, dict) and not part.get("thought")
    )


# --- Vercel AI SDK UI message stream --------------------------------------------------


def vercel_error(event: ServerSentEvent) -> ProviderError | None:
    data = payload(event)
    if data.get("type") != "error":
        return None
    return ProviderError("vercel_ai", None, _str(data.get("errorText")), data)


def vercel_text(event: ServerSentEvent) -> str:
    data = payload(event)
    return _str(data.get("delta")) if data.get("type") == "text-delta" else ""
