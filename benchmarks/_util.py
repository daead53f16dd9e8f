"""Shared by the benchmark scripts: start the loopback server, take medians."""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def e2e_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The server's stderr is dropped: uvicorn logs every write to a client that left,
    # which the abort and size-cap benchmarks make on purpose.
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_e2e_server.py"), str(port)], stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # a benchmark may poll: wait until the server accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def median(values: list[float]) -> float:
    return statistics.median(values)
