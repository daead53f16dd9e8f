"""A slow, literal transcription of the WHATWG event stream interpretation algorithm.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

It decodes the whole stream at once and walks it character by character, exactly as the
spec reads, with no regard for speed. The property tests hold SSEParser to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sse_post import Comment, ServerSentEvent

# The one liberty, shared with SSEParser: Python cannot parse integers of over 4,300
# digits, so such retry values clamp to the largest of 4,300 digits.
MAX_RETRY = 10**4300 - 1


@dataclass
class Result:
    events: list[ServerSentEvent | Comment] = field(default_factory=list)
    last_event_id: str = ""
    retry: int | None = None


def reference_parse(stream: bytes, last_event_id: str = "", *, comments: bool = False) -> Result:
    # "Streams must be decoded using the UTF-8 decode algorithm." which "strips one
    # leading UTF-8 Byte Order Mark (BOM), if any".
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    text = stream.decode("utf-8", errors="replace")

    # Split into lines, keeping only the ones that were ended: "Once the end of the file
    # is reached, any pending data must be discarded."
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append("".join(current))
            current = []
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1

    result = Result(last_event_id=last_event_id)
    data_buffer = ""
    event_type_buffer = ""
    last_event_id_buffer = last_event_id
    block_retry: int | None = None
    for line in lines:
        if line == "":
            # Dispatch the event.
            result.last_event_id = last_event_id_buffer
            if data_buffer == "":
                data_buffer = ""
                event_type_buffer = ""
                block_retry = None
                continue
            if data_buffer.endswith("\n"):
                data_buffer = data_buffer[:-1]
            event_type = event_type_buffer if event_type_buffer != "" else "message"
            result.events.append(
                ServerSentEvent(
                    event=event_type, data=data_buffer, id=result.last_event_id, retry=block_retry
                )
            )
            data_buffer = ""
            event_type_buffer = ""
            block_retry = None
            continue
        if line[0] == ":":
            if comments:  # reported, when asked, as the text after the colon
                result.events.append(Comment(text=line[1:]))
            continue
        if ":" in line:
            position = line.index(":")
            name = line[:position]
            value = line[position + 1 :]
            if value[:1] == " ":
                value = value[1:]
        else:
            name = line
            value = ""
        if name == "event":
            event_type_buffer = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\u0000" not in value:
                last_event_id_buffer = value
        elif name == "retry":
            if value != "" and all(c in "0123456789" for c in value):
                significant = value.lstrip("0") or "0"
                number = int(significant) if len(significant) <= 4300 else MAX_RETRY
                result.retry = number
                block_retry = number
    return result
