"""Recipe: a Vercel AI SDK UI message stream (useChat's wire format), from Python."""

import os

from sse_post import EventSource, ServerEventError, protocols

URL = os.environ.get("VERCEL_AI_URL", "http://localhost:3000/api/chat")
message = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Hello"}]}

try:
    with EventSource(
        URL, method="POST", json={"messages": [message]}, protocol=protocols.vercel_ai
    ) as source:
        for part in source:  # ends at data: [DONE]; a {"type": "error"} part raises
            kind = part.json()["type"]
            if kind == "text-delta":
                print(protocols.text(part, protocols.vercel_ai), end="", flush=True)
            elif kind == "finish":
                print("\n[finished]")
        print("protocol:", source.response_headers.get("x-vercel-ai-ui-message-stream"))
except ServerEventError as exc:
    print(f"[failed: {exc.__cause__}]")
