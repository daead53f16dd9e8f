"""Recipe: Gemini's streamGenerateContent with alt=sse.

Every event is a whole GenerateContentResponse, and the stream has no end event: it just
ends. The last response carries finishReason; check it to know the answer is whole.
"""

import os

from sse_post import EventSource, ServerEventError, protocols

MODEL = "gemini-2.5-flash"
URL = os.environ.get(
    "GEMINI_URL",
    f"https://generativelanguage.googleapis.com/v1beta/models/{MODEL}:streamGenerateContent?alt=sse",
)
HEADERS = {"x-goog-api-key": os.environ.get("GEMINI_API_KEY", "demo-key")}
body = {"contents": [{"role": "user", "parts": [{"text": "Say hello"}]}]}

finish = None
try:
    with EventSource(
        URL, method="POST", json=body, headers=HEADERS, protocol=protocols.gemini
    ) as source:
        for response in source:
            # The text of every part but the model's thoughts ("thought": true).
            print(protocols.text(response, protocols.gemini), end="", flush=True)
            for candidate in response.json().get("candidates", []):
                finish = candidate.get("finishReason", finish)
except ServerEventError as exc:  # {"error": {"code", "message", "status"}} after the 200
    print(f"\n[failed: {exc.__cause__}]")
print(f"\n[finishReason: {finish}]")  # None: cut short, so the answer is not whole
