"""What the kernel knows about this process, read from /proc (Linux): TCP socket states
and queues, open descriptors, thread states. Some phases have no event to wait on (a
connect in SYN_SENT, a thread asleep in a read), so these are looked at every few
milliseconds, always with a bound."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TICK = 0.005  # seconds between two looks at the kernel's state


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        threading.Event().wait(TICK)
    return True


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def tcp_entries() -> list[tuple[int, int, str, int, int]]:
    """(local port, remote port, state, inode, receive queue) of every TCP socket."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            rx = int(parts[4].split(":")[1], 16)
            rows.append((_port(parts[1]), _port(parts[2]), parts[3], int(parts[9]), rx))
    return rows


def rx_queue(local_port: int, remote_port: int) -> int | None:
    """Bytes the kernel holds for the socket local_port -> remote_port, unread by it."""
    for local, remote, _, _, rx in tcp_entries():
        if (local, remote) == (local_port, remote_port):
            return rx
    return None


def wait_blocked(thread: threading.Thread, timeout: float = 10.0, *, in_io: bool = False) -> bool:
    """Until ``thread`` sleeps in the kernel (a read, a connect, a lock wait); with
    ``in_io``, only in a socket wait (read, recvfrom, poll, select, epoll), not in a futex
    (a lock, or the GIL), where a signal would land in whatever Python code runs next."""

    def asleep() -> bool:
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "S":
                    return False
            if not in_io:
                return True
            with open(f"/proc/self/task/{thread.native_id}/syscall") as f:
                number = f.read().split()[0]
            return number in _IO_SYSCALLS
        except (OSError, IndexError):
            return False

    return poll(asleep, timeout)


# x86_64 syscall numbers: read, poll, select, recvfrom, epoll_wait, pselect6, ppoll,
# epoll_pwait.
_IO_SYSCALLS = {"0", "7", "23", "45", "232", "270", "271", "281"}


def _fds() -> set[tuple[int, str]]:
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            found.add((int(name), os.readlink(f"/proc/self/fd/{name}")))
        except OSError:
            pass  # closed meanwhile
    return found


@dataclass
class Snapshot:
    """Client-side threads and descriptors, to compare after a run. Server-side ones
    (threads named ``phases-*`` or serving requests, sockets on a server port) are not
    the client's."""

    threads: set[threading.Thread]
    fds: set[tuple[int, str]]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(set(threading.enumerate()), _fds())

    def leftovers(self, server_ports: set[int]) -> list[str]:
        threads = [
            t.name
            for t in set(threading.enumerate()) - self.threads
            if not t.name.startswith("phases-") and "process_request" not in t.name
        ]
        local_ports = {inode: local for local, _, _, inode, _ in tcp_entries()}
        fds = []
        for fd, target in sorted(_fds() - self.fds):
            if target.startswith("/proc/"):
                continue  # the listing's own descriptor
            if (
                target.startswith("socket:[")
                and local_ports.get(int(target[8:-1])) in server_ports
            ):
                continue  # the server's end of a connection
            fds.append(f"fd {fd} -> {target}")
        return [f"thread {name!r}" for name in threads] + fds

    def wait_clean(self, server_ports: set[int], seconds: float) -> list[str]:
        """What is still left after up to ``seconds``; empty once all is gone."""
        left: list[str] = []

        def clean() -> bool:
            nonlocal left
            left = self.leftovers(server_ports)
            return not left

        poll(clean, seconds)
        return left
