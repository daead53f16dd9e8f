"""The loopback server of the end-to-end benchmarks: uvicorn + Starlette, answering a POST
with a prebuilt workload in 16 KiB writes. Run by the benchmarks in a subprocess:

    python benchmarks/_e2e_server.py PORT
"""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

WRITE = 16 * 1024


def tokens(n: int) -> bytes:
    words = ["Hel", "lo", ",", " wor", "ld", "!", " How", " can", " I", " help", "?"]
    parts = []
    for i in range(n):
        payload = {
            "id": "chatcmpl-1",
            "choices": [{"index": 0, "delta": {"content": words[i % 11]}}],
        }
        parts.append(b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n")
    return b"".join(parts)


def named(n: int) -> bytes:
    return b"".join(
        b'event: update\nid: %d\ndata: {"seq": %d, "status": "running"}\n\n' % (i, i)
        for i in range(n)
    )


def large(n: int) -> bytes:
    blob = json.dumps({"rows": ["x" * 60 for _ in range(1000)]})[: 64 * 1024 - 1].encode()
    return b"".join(b"data: " + blob + b"\n\n" for _ in range(n))


WORKLOADS = {
    "tokens": tokens(100_000),
    "named": named(100_000),
    "large": large(200),
    "feed": named(100),
}


async def stream(request: Request) -> Response:
    await request.body()
    body = WORKLOADS[request.path_params["name"]]
    repeat = int(request.query_params.get("repeat", "1"))

    async def chunks():
        for _ in range(repeat):
            for i in range(0, len(body), WRITE):
                yield body[i : i + WRITE]

    return StreamingResponse(chunks(), media_type="text/event-stream")


async def line(request: Request) -> Response:
    size = int(request.query_params["size"])

    async def chunks():
        yield b"data: "
        block = b"x" * (1024 * 1024)
        for _ in range(size // len(block)):
            yield block

    return StreamingResponse(chunks(), media_type="text/event-stream")


app = Starlette(
    routes=[
        Route("/stream/{name}", stream, methods=["POST"]),
        Route("/line", line, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", lifespan="off")
