"""The protocol recipes in docs/examples, run against the servers they are written for.

The OpenAI chat and Anthropic recipes run against the demo server in
``test_docs_examples.py``; these need the real MCP and A2A SDK servers and the replays
of the documented wire formats (``protocol_servers.py``), whose URLs reach each example
through the environment variable it reads in place of the provider's URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import protocol_servers as ps

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

# example: [(environment variable, server and path, expected lines in order)]
RECIPES: dict[str, list[tuple[str, str, list[str]]]] = {
    "recipe_openai_responses.py": [
        (
            "OPENAI_BASE_URL",
            "replay:/v1",
            [
                "Hi there\n[done at sequence_number 5]",
                "Hi\n[connection lost after sequence_number 2; resuming]\n there",
                "[done at sequence_number 5]",
            ],
        ),
    ],
    "recipe_gemini.py": [
        ("GEMINI_URL", "replay:/replay/gemini", ["Hello world\n[finishReason: STOP]"]),
        (
            "GEMINI_URL",
            "replay:/replay/gemini-error",
            ["Hello\n[failed: gemini stream reported an error: UNAVAILABLE:", "None"],
        ),
    ],
    "recipe_vercel_ai.py": [
        ("VERCEL_AI_URL", "replay:/replay/vercel", ["Hello, world\n[finished]", "protocol: v1"]),
        ("VERCEL_AI_URL", "replay:/replay/vercel-error", ["[failed: ", "Rate limit exceeded"]),
    ],
    "recipe_mcp.py": [
        (
            "MCP_URL",
            "mcp:/sse/mcp",
            [
                "connected to sse-post-tests",
                "tools: count, hold, interrupted",
                "progress 1/3: step 1\nprogress 2/3: step 2\nprogress 3/3: step 3",
                "result: counted to 3",
                "error -32601: Method not found",
            ],
        ),
        # The same session against a server that answers every request as JSON.
        ("MCP_URL", "mcp:/json/mcp", ["tools: count", "result: counted to 3", "error -32601"]),
    ],
    "recipe_a2a.py": [
        (
            "A2A_URL",
            "a2a:/a2a",
            [
                "task: submitted\nstatus: working\nartifact: hello\nartifact: world\n"
                "status: completed (final)",
                "resubscribe: error -32004",
                "tasks/get: completed, hello world",
            ],
        ),
    ],
}

#: The examples this module runs; ``test_docs_examples`` checks every other one.
SERVED_ELSEWHERE = frozenset(RECIPES)

CASES = [
    pytest.param(name, variable, target, expected, id=f"{name}-{target}")
    for name, runs in RECIPES.items()
    for variable, target, expected in runs
]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with (
        ps.serve(ps.replay_app()) as replay,
        ps.serve(ps.mcp_app(), lifespan="on") as mcp,
        ps.serve(ps.a2a_app()) as a2a,
    ):
        yield {"replay": replay, "mcp": mcp, "a2a": a2a}


@pytest.mark.parametrize(("name", "variable", "target", "expected"), CASES)
def test_recipe_runs_against_its_server(servers, tmp_path, name, variable, target, expected):
    server, path = target.split(":", 1)
    env = {**os.environ, variable: servers[server] + path}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out, at = result.stdout, 0
    for line in expected:  # in this order
        found = out.find(line, at)
        assert found >= 0, f"{line!r} not in (after {at}):\n{out}"
        at = found + len(line)


class CutFirstStream:
    """ASGI middleware in front of the A2A server: it ends the first ``message/stream``
    answer cleanly after two events (a dropped connection, as the client sees it), and
    releases the held agent once a ``tasks/resubscribe`` stream has sent its first
    event, so that the resubscription is in place before the task goes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cut_one = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replayed = False

        async def receive_once() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        cut = b'"message/stream"' in body and not self.cut_one
        self.cut_one = self.cut_one or cut
        resubscribe = b'"tasks/resubscribe"' in body
        events, done = 0, False

        async def watch(message: Any) -> None:
            nonlocal events, done
            if done:
                return  # the client has its (cut) answer; the rest is dropped
            if message["type"] == "http.response.body" and b"data:" in message.get("body", b""):
                events += 1
                if cut and events == 2:
                    done = True
                    await send({**message, "more_body": False})
                    return
                await send(message)
                if resubscribe and events == 1:
                    ps.A2A_GATE.release.set()
                return
            await send(message)

        await self.app(scope, receive_once, watch)


def test_a2a_recipe_resubscribes_after_a_lost_stream(tmp_path):
    ps.A2A_GATE.reset()
    ps.A2A_HOLD_ALL.set()
    try:
        with ps.serve(CutFirstStream(ps.a2a_app())) as url:
            env = {**os.environ, "A2A_URL": url + "/a2a"}
            result = subprocess.run(
                [sys.executable, str(EXAMPLES / "recipe_a2a.py")],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
                cwd=tmp_path,
            )
    finally:
        ps.A2A_HOLD_ALL.clear()
        ps.A2A_GATE.release.set()
    assert result.returncode == 0, result.stderr
    first, rest = result.stdout.split("stream lost; resubscribing to ", 1)
    assert first == "task: submitted\nstatus: working\n"
    assert rest.split("\n", 1)[1].startswith(
        "task: working\nartifact: hello\nartifact: world\nstatus: completed (final)\n"
    )
    assert "tasks/get: completed, hello world" in rest
