"""Shared by the benchmark scripts: start the loopback server, take medians."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent  # the checkout whose sse_post the benchmarks import


@contextlib.contextmanager
def e2e_server(script: str = "_e2e_server.py") -> Iterator[str]:
    """Run a loopback server script in a subprocess; yield its base URL, stop it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The server's stderr is dropped: uvicorn logs every write to a client that left,
    # which the abort and size-cap benchmarks make on purpose.
    proc = subprocess.Popen(
        [sys.executable, str(HERE / script), str(port)], stderr=subprocess.DEVNULL
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


def live_server() -> contextlib.AbstractContextManager[str]:
    """The paced one-event-per-write server of the live workload (_live_server.py)."""
    return e2e_server("_live_server.py")


def median(values: list[float]) -> float:
    return statistics.median(values)


class Worker:
    """A ``_contenders.py`` worker process: another sse_post (``pythonpath`` first on its
    path, ``env`` added to its environment), timed by the same code as in process."""

    def __init__(self, pythonpath: str | None = None, env: dict[str, str] | None = None) -> None:
        environ = {**os.environ, **(env or {})}
        if pythonpath is not None:
            environ["PYTHONPATH"] = pythonpath
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_contenders.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environ,
        )
        self.info = json.loads(self._line())

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited with {self.proc.wait(10)}")
        return line

    def run(self, **request: object) -> dict[str, float]:
        """One ``_contenders.run_once(**request)`` in the worker."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._line())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)
