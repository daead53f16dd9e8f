"""Every example in docs/examples runs, against the demo server, and prints what the
docs say it prints; the protocol recipes that need other servers run in
``test_recipes.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sse_post._demo import DemoServer

from .test_recipes import SERVED_ELSEWHERE

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
ANSWER = 'You asked: "Hi". This answer is streamed token by token'

EXPECTED: dict[str, list[str]] = {
    "quickstart_sync.py": ['You asked: "Hello"'],
    "quickstart_async.py": ['You asked: "Hello"'],
    "quickstart_abort.py": ["stopped after 5 tokens: user pressed Stop", "ready_state: CLOSED"],
    "bodies.py": ["json: done", "bytes: done", "form: done", "factory: done"],
    "headers_auth.py": ["with headers: 36 events", "with a client: 36 events"],
    "events_json.py": [
        "notification 1 notification 1",
        "notification 2 notification 2",
        "not JSON: [DONE]",
    ],
    "abort_tasks.py": [
        "task abort after 1 events",
        "thread abort: from a thread",
        "cancel scope: done",
    ],
    "reconnection.py": [
        "3: notification 3",
        "reconnecting in",
        "Last-Event-ID: 3",
        "6: notification 6",
        "204",
    ],
    "errors.py": [
        "expected 200 text/event-stream, got 404 application/json",
        "a timeout: True True",
        "caused by: ",
    ],
    "errors_task_group.py": [
        'You asked: "Hello"',
        "[finished]",
        "[stopped by the user]",
        'the server answered 404: {"error": "no such endpoint"}',
        "an aborted controller stays aborted: True, 0 events",
    ],
    "trio_example.py": ["17 33 50 67 83 100"],
    "httpx2_client.py": ["sync:", "over httpx2", "async:"],
    "parser_requests.py": [ANSWER],
    "parser_aiohttp.py": [ANSWER],
    "parser_urllib3.py": ["1 notification 1", "3 notification 3", "resume from: 3 after 200 ms"],
    "parser_file.py": ["a one", "message two", "async"],
    "testing_app.py": ["all assertions hold"],
    "recipe_chat.py": [
        'You asked: "What is SSE?"',
        "[finished]",
        "[stopped by the user]",
        'You asked: "Thanks!"',
    ],
    "recipe_anthropic.py": [ANSWER],
    "recipe_progress.py": ["100% writing report", "report ready: /reports/42"],
    "recipe_log_tail.py": [
        "warning: WARN worker-1 handled request 7",
        "100 lines kept",
        "request 250",
    ],
    "recipe_notifications.py": [
        "starting from Last-Event-ID (none)",
        "notification 2: notification 2",
        "starting from Last-Event-ID 2",
        "notification 6: notification 6",
    ],
    "recipe_fastapi_relay.py": ['You asked: "relay me"'],
    "lifecycle_end.py": [ANSWER, "done: /reports/42", "got 3", "incomplete after event 3"],
    "lifecycle_answers.py": [
        "notify -> []",
        "ping -> ['{",
        "pong",
        "generate -> failed: Overloaded('overloaded_error')",
    ],
    "lifecycle_resume.py": ["attempt 1: resuming after '3'", "ids: 1 2 3 4 5\n", "count=5"],
    "lifecycle_credentials.py": ["attempt with token-2", "events: 6", "with auth: 6 events"],
    "lifecycle_control.py": ["True True timed out", "restarted\nfeed 3", "job done, run 2"],
    "lifecycle_comments.py": [
        "event: progress\ncomment:",
        "keep-alive\nevent: progress",
        "event: done",
    ],
    "lifecycle_failures.py": [
        "ValueError: expected an absolute",
        "NetworkError after",
        "ConnectError",
        "ReconnectError after 3 attempts",
        "ResponseError 404",
    ],
    "migrate_httpx_sse_before.py": [ANSWER],
    "migrate_httpx_sse_after.py": [ANSWER],
    "migrate_sseclient_before.py": [ANSWER],
    "migrate_sseclient_after.py": [ANSWER],
    "migrate_requests_sse_before.py": ["1 notification 1", "3 notification 3"],
    "migrate_requests_sse_after.py": ["1 notification 1", "3 notification 3"],
    "migrate_openai_before.py": [ANSWER],
    "migrate_openai_after.py": [ANSWER],
}


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


def test_every_example_is_checked():
    assert not SERVED_ELSEWHERE & set(EXPECTED)
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(
        SERVED_ELSEWHERE | set(EXPECTED)
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, demo, tmp_path):
    env = {**os.environ, "SSE_POST_DEMO_URL": demo.url, "NOTIFY_STATE": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for expected in EXPECTED[name]:
        assert expected in result.stdout, f"{expected!r} not in:\n{result.stdout}"


def _readme_block(heading: str) -> str:
    """The first Python block of the README under ``heading``."""
    readme = (EXAMPLES.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("\n```", 1)[0]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [("## Streaming a chat completion", ANSWER), ("## The parser", "Hel\n")],
)
def test_readme_code_runs(heading, expected, demo, tmp_path):
    code = _readme_block(heading).replace(
        "https://api.example.com/v1/chat/completions", demo.url + "/v1/chat/completions"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
