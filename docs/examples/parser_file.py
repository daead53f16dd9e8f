"""Parsing a recorded stream from a file, and from an async byte source."""

import tempfile
from collections.abc import AsyncIterator

import anyio

import sse_post

with tempfile.TemporaryFile() as file:
    file.write(b"\xef\xbb\xbfevent: a\r\ndata: one\r\n\r\n: comment\r\ndata: two\r\n\r\n")
    file.seek(0)
    for event in sse_post.parse(iter(lambda: file.read(5), b"")):
        print(event.event, event.data)


async def source() -> AsyncIterator[bytes]:
    for chunk in (b"data: as", b"ync\n\n"):
        yield chunk


async def main() -> None:
    async for event in sse_post.aparse(source()):
        print(event.data)


anyio.run(main)
