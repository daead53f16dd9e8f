"""The loopback server of the live workload: every socket write is one event, paced.

An LLM answer reaches the client one event per read, with the client idle in between;
that is the workload where a client's per-read cost shows. uvicorn cannot promise one
write per event, so this is a plain threaded socket server: one thread per connection,
HTTP/1.1 keep-alive, a chunked response whose every chunk is one event, sent with one
``sendall`` and TCP_NODELAY (without it Nagle holds each small write until the client's
delayed ACK, about 40 ms), then a pause of ``gap`` microseconds so the client has read
and handled the event before the next one arrives. Run in a subprocess by the benchmarks:

    python benchmarks/_live_server.py PORT

``POST /live?n=2000&gap=300`` answers ``n`` token events. Every other path answers a
single event at once (used to warm a client's connection up).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _workloads

EVENTS = _workloads.tokens(1000).split(b"\n\n")[:-1]
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
MAX_EVENTS = 1_000_000  # the server bounds each answer, whatever the query says
MAX_GAP = 0.1


def chunk(event: bytes) -> bytes:
    return b"%x\r\n%s\n\n\r\n" % (len(event) + 2, event)


CHUNKS = [chunk(e) for e in EVENTS]


def read_request(conn: socket.socket, buffer: bytearray) -> str | None:
    """The request target of the next request on ``conn``, its body read and dropped."""
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[:end]
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(buffer) < length:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    del buffer[:length]
    return head[0].split(" ")[1]


def serve(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray()
    with conn:
        try:
            while (target := read_request(conn, buffer)) is not None:
                url = urlsplit(target)
                query = parse_qs(url.query)
                n = min(int(query.get("n", ["1"])[0]), MAX_EVENTS) if url.path == "/live" else 1
                gap = min(int(query.get("gap", ["0"])[0]) / 1e6, MAX_GAP)
                conn.sendall(HEAD)
                for i in range(n):
                    conn.sendall(CHUNKS[i % len(CHUNKS)])
                    if gap:
                        time.sleep(gap)
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the client left mid-answer


def main(port: int) -> None:
    with socket.create_server(("127.0.0.1", port), backlog=2048) as listener:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main(int(sys.argv[1]))
