"""The event streams every benchmark uses, built once here."""

from __future__ import annotations

import json

WORDS = ["Hel", "lo", ",", " wor", "ld", "!", " How", " can", " I", " help", "?"]


def tokens(n: int, eol: bytes = b"\n", *, done: bool = False) -> bytes:
    """``n`` OpenAI-style chat completion chunks, optionally ended by ``data: [DONE]``."""
    parts = []
    for i in range(n):
        payload = {
            "id": "chatcmpl-1",
            "choices": [{"index": 0, "delta": {"content": WORDS[i % len(WORDS)]}}],
        }
        parts.append(b"data: " + json.dumps(payload, separators=(",", ":")).encode() + eol + eol)
    if done:
        parts.append(b"data: [DONE]" + eol + eol)
    return b"".join(parts)


def named(n: int) -> bytes:
    """``n`` named events with ids and a small JSON payload."""
    return b"".join(
        b'event: update\nid: %d\ndata: {"seq": %d, "status": "running"}\n\n' % (i, i)
        for i in range(n)
    )


def large(n: int) -> bytes:
    """``n`` events of 64 KiB of JSON each."""
    blob = json.dumps({"rows": ["x" * 60 for _ in range(1000)]})[: 64 * 1024 - 1].encode()
    return b"".join(b"data: " + blob + b"\n\n" for _ in range(n))


def multiline(n: int) -> bytes:
    """``n`` events of 20 data lines each."""
    block = b"".join(b"data: line %d of a log excerpt with some text\n" % j for j in range(20))
    return (block + b"\n") * n
