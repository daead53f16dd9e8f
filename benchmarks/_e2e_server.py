"""The loopback server of the end-to-end benchmarks: uvicorn + Starlette, answering a POST
with a prebuilt workload in 16 KiB writes (``/hold``: one event, then silence). Run by the
benchmarks in a subprocess:

    python benchmarks/_e2e_server.py PORT
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _workloads

WRITE = 16 * 1024


WORKLOADS = {
    "tokens": _workloads.tokens(100_000),
    "named": _workloads.named(100_000),
    "large": _workloads.large(200),
    "feed": _workloads.named(100),
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


async def hold(request: Request) -> Response:
    """One event, then silence for ``seconds`` (at most 300) or until the client leaves."""
    await request.body()
    seconds = min(float(request.query_params.get("seconds", "120")), 300.0)

    async def chunks():
        yield b"data: hello\n\n"
        await asyncio.sleep(seconds)

    return StreamingResponse(chunks(), media_type="text/event-stream")


app = Starlette(
    routes=[
        Route("/stream/{name}", stream, methods=["POST"]),
        Route("/line", line, methods=["POST"]),
        Route("/hold", hold, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", lifespan="off")
