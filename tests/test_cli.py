"""The command line, run as a subprocess against the demo server and the scripted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from sse_post._demo import DemoServer

from .server import WAIT

CLI = [sys.executable, "-m", "sse_post"]
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


def sse_post_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


def test_json_lines_with_headers_and_body(server):
    url = server.route(
        lambda h: (
            h.start(),
            h.send(b"event: a\nid: 1\nretry: 5\ndata: x\n\ndata: y\n\n"),
            h.end(),
        )
    )
    result = sse_post_cli(
        url, "-H", "Authorization: Bearer k", "-H", "X-Trace: 1", "--json", '{"q": 1}'
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {"event": "a", "data": "x", "id": "1", "retry": 5},
        {"event": "message", "data": "y", "id": "1", "retry": None},
    ]
    (req,) = server.requests_to(url)
    assert (req.method, json.loads(req.body)) == ("POST", {"q": 1})
    assert req.headers["authorization"] == "Bearer k"
    assert req.headers["x-trace"] == "1"
    assert "* connected: 200 text/event-stream" in result.stderr
    assert "* 2 events" in result.stderr


def test_data_from_file_and_stdin(server, tmp_path):
    url = server.route(lambda h: (h.start(), h.send(b"data: ok\n\n"), h.end()))
    body = tmp_path / "body.json"
    body.write_bytes(b'{"from": "file"}')
    assert sse_post_cli(url, "-X", "PUT", "-d", f"@{body}").returncode == 0
    assert sse_post_cli(url, "-d", "@-", stdin=b"from stdin").returncode == 0
    assert sse_post_cli(url, "-d", "plain text").returncode == 0
    first, second, third = server.requests_to(url)
    assert (first.method, json.loads(first.body)) == ("PUT", {"from": "file"})
    assert (second.method, second.body) == ("POST", b"from stdin")
    assert third.body == b"plain text"


def test_extract_prints_the_answer_as_text(demo):
    body = json.dumps({"messages": [{"role": "user", "content": "Hi"}]})
    result = sse_post_cli(
        demo.url + "/v1/chat/completions", "--json", body, "--extract", "choices.0.delta.content"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('You asked: "Hi". This answer is streamed token by token')
    assert result.stdout.endswith("arrives. \n")


def test_format_data_and_max_events(demo):
    result = sse_post_cli(demo.url + "/v1/logs?lines=50", "--format", "data", "--max-events", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "INFO worker-1 handled request 1",
        "INFO worker-2 handled request 2",
        "INFO worker-0 handled request 3",
    ]


def test_resume_is_reported_on_stderr(demo):
    result = sse_post_cli(demo.url + "/v1/feed", "--format", "data")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 6
    assert "reconnecting in" in result.stderr
    assert "Last-Event-ID: 3" in result.stderr


def test_http_error_exit_code_and_one_clear_line(server):
    url = server.route(
        lambda h: h.respond(401, b'{"error": "bad key"}', content_type="application/json")
    )
    result = sse_post_cli(url, "--json", "{}")
    assert result.returncode == 3
    assert (
        'sse-post: expected 200 text/event-stream, got 401 application/json: {"error": "bad key"}'
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_connection_error_exit_code():
    result = sse_post_cli("http://127.0.0.1:9/", "--no-reconnect")  # the discard port: refused
    assert result.returncode == 4
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["http://x/", "--json", "{oops"],
        ["http://x/", "-H", "no colon"],
        ["http://x/", "--format", "xml"],
        [],
    ],
)
def test_usage_errors_exit_2(args):
    result = sse_post_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_verbose_redacts_secrets(server):
    url = server.route(
        lambda h: (h.start(headers={"Set-Cookie": "session=abc"}), h.send(b"data: x\n\n"), h.end())
    )
    secrets = ["-H", "Authorization: Bearer sk-secret", "-H", "X-Api-Key: k-secret"]
    result = sse_post_cli(url, "-v", "-X", "POST", *secrets, "-H", "X-Plain: seen")
    assert result.returncode == 0, result.stderr
    assert "> Authorization: Bearer [redacted]" in result.stderr
    assert "> X-Api-Key: [redacted]" in result.stderr
    assert "> X-Plain: seen" in result.stderr
    assert "< Set-Cookie: [redacted]" in result.stderr
    assert "secret" not in result.stderr
    assert "abc" not in result.stderr


def test_verbose_shows_the_headers_actually_sent(server):
    url = server.route(lambda h: (h.start(), h.send(b"data: x\n\n"), h.end()))
    result = sse_post_cli(url, "-v", "--json", '{"q": 1}', "--last-event-id", "7")
    assert result.returncode == 0, result.stderr
    sent = [line for line in result.stderr.splitlines() if line.startswith("> ")]
    # The library's own headers, which no -H option gave: what went on the wire.
    assert sent[0] == f"> POST {url}"
    for line in [
        "> Accept: text/event-stream",
        "> Content-Type: application/json",
        "> Last-Event-ID: 7",
    ]:
        assert line in sent
    assert any(line.startswith("> Content-Length: ") for line in sent)
    assert "< HTTP/1.1 200 OK" in result.stderr


def test_summary_counts_the_bytes_read(server):
    body = b"event: a\ndata: x\n\n: comment\n\ndata: yy\n\n"
    url = server.route(lambda h: (h.start(length=len(body)), h.send(body)))
    result = sse_post_cli(url, "-X", "POST")  # a GET would reconnect after the end
    assert result.returncode == 0, result.stderr
    assert f"* 2 events, {len(body)} bytes," in result.stderr


def test_json_body_from_file_and_stdin(server, tmp_path):
    url = server.route(lambda h: (h.start(), h.send(b"data: ok\n\n"), h.end()))
    body = tmp_path / "body.json"
    body.write_text('{"messages": [{"content": "from a file"}]}')
    assert sse_post_cli(url, "--json", f"@{body}").returncode == 0
    assert sse_post_cli(url, "--json", "@-", stdin=b'{"from": "stdin"}').returncode == 0
    first, second = server.requests_to(url)
    assert json.loads(first.body) == {"messages": [{"content": "from a file"}]}
    assert (second.method, json.loads(second.body)) == ("POST", {"from": "stdin"})
    assert first.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", "@/nonexistent/body.json"], "cannot read the body file"),
        (["--json", "@-"], "expected valid JSON after --json, got the contents of 'stdin'"),
    ],
)
def test_json_body_file_errors_are_usage_errors(args, message):
    result = sse_post_cli("http://127.0.0.1:9/", *args, stdin=b"not json")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


SECRET_URL_PARTS = ["s3cretpw", "k-12345678", "sess-abcdef", "sig-0987654"]


def _secret_url(url: str) -> str:
    base, path = url.split("//", 1)
    return (
        f"{base}//user:s3cretpw@{path}?API_KEY=k-12345678&q=plain"
        "&session_id=sess-abcdef#X-Amz-Signature=sig-0987654"
    )


def test_url_secrets_are_redacted_on_success(server):
    url = server.route(lambda h: (h.start(), h.send(b"data: x\n\n"), h.end()))
    for args in ([], ["-v"]):
        result = sse_post_cli(_secret_url(url), "-X", "POST", *args)
        assert result.returncode == 0, result.stderr
        assert "* connected: 200" in result.stderr
        for secret in SECRET_URL_PARTS:
            assert secret not in result.stderr
        assert "q=plain" in result.stderr
        assert "API_KEY=[redacted]" in result.stderr
    assert "> Authorization: Basic [redacted]" in result.stderr  # httpx made it from user:pw


def test_url_secrets_are_redacted_on_a_connection_error():
    result = sse_post_cli(_secret_url("http://127.0.0.1:9/"), "-v", "--no-reconnect")
    assert result.returncode == 4
    assert "> GET http://[redacted]@127.0.0.1:9/?API_KEY=[redacted]&q=plain" in result.stderr
    for secret in SECRET_URL_PARTS:
        assert secret not in result.stderr


def test_a_retried_error_page_is_printed_once_escaped_and_redacted(server):
    page = b"<h1>Bad gateway \x1b[2J\x1b]0;pwned\x07</h1>"
    url = server.route(
        lambda h: h.respond(502, page, content_type="text/html", headers={"X-Evil": "a\x1bb"})
    )
    result = sse_post_cli(_secret_url(url), "-v")  # five attempts, about 13 s of backoff
    assert result.returncode == 4
    stderr = result.stderr
    assert stderr.count("Bad gateway") == 1
    assert stderr.count("* reconnecting in") == 4
    assert "after 502 text/html" in stderr
    assert "\x1b" not in stderr  # no raw escape anywhere: the page, a header
    assert "Bad gateway \\x1b[2J\\x1b]0;pwned\\x07" in stderr
    assert "< X-Evil: a\\x1bb" in stderr
    for secret in SECRET_URL_PARTS:
        assert secret not in stderr
    assert f"* 0 events, {5 * len(page)} bytes," in stderr


def test_error_excerpt_is_escaped(server):
    url = server.route(
        lambda h: h.respond(
            400, b'{"error": "\x1b[31mred\rline\ttab\nnext"}', content_type="application/json"
        )
    )
    result = sse_post_cli(url, "--json", "{}")
    assert result.returncode == 3
    assert "\x1b" not in result.stderr
    assert "\r" not in result.stderr
    assert '{"error": "\\x1b[31mred\\x0dline\ttab\nnext"}' in result.stderr


HOSTILE = (
    'data: {"t": "a\\u001b[2Jb\\tc\\u009bd"}\n\n'
    "event: x\x1b]0;title\x07\nid: 1\x1b[H\ndata: e\x1bf\tg\n\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "data"], '{"t": "a\\u001b[2Jb\\tc\\u009bd"}\ne\\x1bf\tg\n'),
        (
            ["--format", "pretty"],
            'message: {"t": "a\\u001b[2Jb\\tc\\u009bd"}\n'
            "x\\x1b]0;title\\x07 #1\\x1b[H: e\\x1bf\tg\n",
        ),
        (["--extract", "t"], "a\\x1b[2Jb\tc\\x9bd\n"),
    ],
)
def test_server_text_is_escaped_on_stdout(server, args, expected):
    url = server.route(lambda h: (h.start(), h.send(HOSTILE.encode()), h.end()))
    result = sse_post_cli(url, "-X", "POST", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_jsonl_is_left_as_json(server):
    url = server.route(lambda h: (h.start(), h.send(HOSTILE.encode()), h.end()))
    result = sse_post_cli(url, "-X", "POST", "--format", "jsonl")
    _, second = (json.loads(line) for line in result.stdout.splitlines())
    assert second == {
        "event": "x\x1b]0;title\x07",
        "data": "e\x1bf\tg",
        "id": "1\x1b[H",
        "retry": None,
    }
    assert "\x1b" not in result.stdout  # JSON escapes it as \\u001b


def test_extract_never_shows_a_traceback(server):
    deep = "[" * 100_000 + "]" * 100_000
    stream = f'data: {deep}\n\ndata: {{"t": "after"}}\n\ndata: {"1" * 5000}\n\n'
    url = server.route(lambda h: (h.start(), h.send(stream.encode()), h.end()))
    result = sse_post_cli(url, "-X", "POST", "--extract", "t")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "after\n"
    assert "Traceback" not in result.stderr
    assert "* 3 events" in result.stderr


def test_ctrl_c_exits_130_without_traceback(server):
    url = server.route(lambda h: (h.start(), h.send(b"data: first\n\n"), h.wait_client_gone()))
    proc = subprocess.Popen(
        [*CLI, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the event arrived; the CLI now waits on a silent stream
        assert json.loads(first)["data"] == "first"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(WAIT) == 130
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr
        assert "(interrupted)" in stderr
    finally:
        proc.kill()
        proc.communicate()
    assert server.requests_to(url)[0].client_gone.wait(WAIT)


def test_demo_tour_exits_0_offline():
    result = sse_post_cli("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[DONE]" in out
    assert "stopped after 12 tokens" in out
    assert "with Last-Event-ID: 3" in out
    assert "notification #6" in out
    assert "100% writing report" in out


def test_demo_serve_prints_commands_and_serves():
    proc = subprocess.Popen(
        [*CLI, "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("sse_post demo server on http://127.0.0.1:")
        url = banner.split()[4]
        result = sse_post_cli(url + "/v1/logs?lines=2", "--format", "data", "--max-events", "2")
        assert result.stdout.splitlines() == [
            "INFO worker-1 handled request 1",
            "INFO worker-2 handled request 2",
        ]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(WAIT) == 130
    finally:
        proc.kill()
        proc.communicate()


# --- --protocol and --text ------------------------------------------------------------

CHAT_BODY = json.dumps({"messages": [{"role": "user", "content": "Hi"}]})


@pytest.fixture(scope="module")
def replay_url() -> Iterator[str]:
    from . import protocol_servers as ps

    with ps.serve(ps.replay_app()) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "preset"),
    [("/v1/chat/completions", "openai_chat"), ("/v1/messages", "anthropic_messages")],
)
def test_protocol_text_prints_only_the_generated_text(demo, path, preset):
    result = sse_post_cli(demo.url + path, "--json", CHAT_BODY, "--protocol", preset, "--text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('You asked: "Hi". This answer is streamed token by token')
    assert result.stdout.endswith("arrives. \n")  # no [DONE], no ping, one final newline


def test_protocol_does_not_print_the_done_marker(demo):
    result = sse_post_cli(
        demo.url + "/v1/chat/completions", "--json", CHAT_BODY, "--protocol", "openai_chat"
    )
    assert result.returncode == 0, result.stderr
    datas = [json.loads(line)["data"] for line in result.stdout.splitlines()]
    assert "[DONE]" not in datas
    assert json.loads(datas[-1])["choices"] == []  # the usage chunk is the last one shown
    assert f"* {len(datas)} events" in result.stderr


@pytest.mark.parametrize(
    ("name", "preset", "text"),
    [
        ("chat", "openai_chat", "Hello!"),
        ("responses", "openai_responses", "Hi there"),
        ("anthropic", "anthropic_messages", "Hello!"),
        ("vercel", "vercel_ai", "Hello, world"),
    ],
)
def test_protocol_ends_at_the_end_event_of_a_stream_held_open(replay_url, name, preset, text):
    from . import protocol_servers as ps

    ps.REPLAY_GATE.reset()
    try:
        result = sse_post_cli(
            f"{replay_url}/replay/{name}?hold=1", "-X", "POST", "--protocol", preset, "--text"
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == text + "\n"
        assert ps.REPLAY_GATE.gone.wait(WAIT)  # the CLI closed the connection at the end
    finally:
        ps.REPLAY_GATE.release.set()


@pytest.mark.parametrize(
    ("name", "preset", "shown"),
    [
        ("chat-error", "openai_chat", "server_error: The server had an error"),
        ("responses-failed", "openai_responses", "server_error: The model failed"),
        ("anthropic-error", "anthropic_messages", "overloaded_error: Overloaded"),
        ("gemini-error", "gemini", "UNAVAILABLE"),
        ("vercel-error", "vercel_ai", "Rate limit exceeded"),
    ],
)
def test_protocol_error_event_exits_6_with_the_error(replay_url, name, preset, shown):
    result = sse_post_cli(f"{replay_url}/replay/{name}", "-X", "POST", "--protocol", preset)
    assert result.returncode == 6, result.stderr
    assert "sse-post: the server sent an error event" in result.stderr
    assert shown in result.stderr
    assert "Traceback" not in result.stderr


def test_protocol_error_after_text_keeps_the_text(replay_url):
    result = sse_post_cli(
        f"{replay_url}/replay/chat-error", "-X", "POST", "--protocol", "openai_chat", "--text"
    )
    assert result.returncode == 6
    assert result.stdout == "Hel\n"


def test_protocol_stream_cut_before_its_end_event_exits_4(replay_url):
    result = sse_post_cli(
        f"{replay_url}/replay/anthropic?cut=1", "-X", "POST", "--protocol", "anthropic_messages"
    )
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr


def test_protocol_without_one_a_done_is_just_an_event(replay_url):
    result = sse_post_cli(f"{replay_url}/replay/chat", "-X", "POST", "--format", "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[DONE]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text"], "got no --protocol"),
        (["--text", "--protocol", "mcp"], "got --protocol mcp"),
        (["--text", "--protocol", "a2a"], "got --protocol a2a"),
        (["--text", "--protocol", "openai_chat", "--extract", "x"], "not allowed with"),
        (["--protocol", "openai"], "invalid choice: 'openai'"),
    ],
)
def test_protocol_usage_errors_exit_2(args, message):
    result = sse_post_cli("http://127.0.0.1:9/", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_protocol_help_documents_exit_code_6():
    result = sse_post_cli("--help")
    assert result.returncode == 0
    assert "6 the server sent an error event" in result.stdout
    assert "--protocol NAME" in result.stdout


@pytest.mark.parametrize("endpoint", ["/sse/mcp", "/json/mcp"])
def test_protocol_mcp_initialize_ends_at_the_response(endpoint):
    from . import protocol_servers as ps
    from .test_protocol_servers import ACCEPT, INIT

    with ps.serve(ps.mcp_app(), lifespan="on") as url:
        accept = f"Accept: {ACCEPT['Accept']}"
        result = sse_post_cli(
            url + endpoint, "-H", accept, "--json", json.dumps(INIT), "--protocol", "mcp"
        )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(json.loads(line)["data"] or "{}") for line in result.stdout.splitlines()]
    assert answers[-1]["result"]["protocolVersion"] == "2025-11-25"


def test_a_reader_that_leaves_ends_the_stream_quietly(server):
    # `sse-post URL | head -1`: once the pipe's reader has gone, the next write fails;
    # the command closes the stream and exits 0, without a traceback.
    gone = threading.Event()

    def script(h):
        h.start()
        h.send(b"data: first\n\n")
        for _ in range(1000):  # about 10 s at most
            try:
                h.send(b"data: " + b"x" * 4096 + b"\n\n")
            except OSError:
                break
            if h.wait_client_gone(timeout=0.01):
                break
        else:
            return
        gone.set()

    url = server.route(script)
    proc = subprocess.Popen(
        [*CLI, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert json.loads(proc.stdout.readline())["data"] == "first"
    proc.stdout.close()  # the reader leaves
    assert proc.wait(timeout=WAIT) == 0
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert "Traceback" not in stderr, stderr
    assert gone.wait(WAIT), "the server still sees the client"
