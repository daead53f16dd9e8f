"""Recipe: an Anthropic Messages stream, ended at message_stop, with overloaded errors."""

import os

from sse_post import EventSource, ServerEventError, protocols

BASE = os.environ.get("SSE_POST_DEMO_URL", "https://api.anthropic.com")
HEADERS = {
    "x-api-key": os.environ.get("ANTHROPIC_API_KEY", "sk-demo"),
    "anthropic-version": "2023-06-01",
}
body = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 256,
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}

try:
    with EventSource(
        f"{BASE}/v1/messages",
        method="POST",
        json=body,
        headers=HEADERS,
        protocol=protocols.anthropic_messages,  # ends at message_stop; event: error raises
    ) as source:
        for event in source:
            # text_delta blocks carry text; message_start, ping, ... carry none ("").
            print(protocols.text(event, protocols.anthropic_messages), end="", flush=True)
            if event.event == "message_delta":
                print(f"\n[stop_reason: {event.json()['delta'].get('stop_reason')}]")
except ServerEventError as exc:
    error = exc.__cause__  # a ProviderError: code "overloaded_error", "api_error", ...
    print(f"\n[failed: {error}]")
print()
