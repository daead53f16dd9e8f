"""Recipe: the OpenAI Responses API, streamed, and a background response resumed.

A background response goes on on the server when the connection drops; the preset
resumes it with GET /v1/responses/{id}?stream=true&starting_after=N, where N is the
sequence_number of the last event received, so no event is lost or repeated.
"""

import os

from sse_post import EventSource, ServerEventError, protocols

BASE = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
HEADERS = {"Authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', 'sk-demo')}"}


def respond(prompt: str, *, background: bool = False) -> None:
    body = {"model": "gpt-4.1", "input": prompt, "stream": True, "background": background}

    def on_reconnect(delay: float, error: BaseException | None) -> None:
        print(f"\n[connection lost after sequence_number {last}; resuming]")

    last = None
    try:
        with EventSource(
            f"{BASE}/responses",
            method="POST",
            json=body,
            headers=HEADERS,
            # Ends at response.completed or response.incomplete; response.failed and
            # event: error raise; a background response resumes where it broke.
            protocol=protocols.openai_responses,
            on_reconnect=on_reconnect,
        ) as source:
            for event in source:
                last = event.json()["sequence_number"]
                print(protocols.text(event, protocols.openai_responses), end="", flush=True)
                if event.event == "response.incomplete":
                    reason = event.json()["response"]["incomplete_details"]["reason"]
                    print(f"\n[incomplete: {reason}]")
    except ServerEventError as exc:  # response.failed or event: error
        print(f"\n[failed: {exc.__cause__}]")
    print(f"\n[done at sequence_number {last}]")


respond("Say hi")
respond("Say hi, in the background", background=True)
