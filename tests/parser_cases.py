"""Event streams and the events they must produce, as data.

Each case is (id, stream bytes, expected events, expected last_event_id, expected retry).
Written from the WHATWG examples and the behaviours the web-platform-tests eventsource
``format-*`` tests check, in our own words.
"""

from __future__ import annotations

from sse_post import ServerSentEvent as E

CASES: list[tuple[str, bytes, list[E], str, int | None]] = [
    # --- the spec's own examples -------------------------------------------------------
    (
        "spec-three-messages",
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\ndata: has two lines.\n\n"
        b"data: This is the third message.\n\n",
        [
            E(data="This is the first message."),
            E(data="This is the second message, it\nhas two lines."),
            E(data="This is the third message."),
        ],
        "",
        None,
    ),
    (
        "spec-event-types",
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
        [
            E(event="add", data="73857293"),
            E(event="remove", data="2153"),
            E(event="add", data="113411"),
        ],
        "",
        None,
    ),
    (
        "spec-stock-ids",
        b"data: YHOO\ndata: +2\ndata: 10\n\n",
        [E(data="YHOO\n+2\n10")],
        "",
        None,
    ),
    (
        "spec-comment-id-empty",
        b": test stream\n\ndata: first event\nid: 1\n\n"
        b"data:second event\nid\n\ndata:  third event\n\n",
        [E(data="first event", id="1"), E(data="second event"), E(data=" third event")],
        "",
        None,
    ),
    (
        "spec-two-events-one-incomplete",
        b"data\n\ndata\ndata\n\ndata:",
        [E(data=""), E(data="\n")],
        "",
        None,
    ),
    (
        "spec-same-with-and-without-space",
        b"data:test\n\ndata: test\n\n",
        [E(data="test"), E(data="test")],
        "",
        None,
    ),
    # --- format-* behaviours -------------------------------------------------------------
    (
        "bom-only-first-stripped",
        b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n",
        [E(data="1"), E(data="3")],
        "",
        None,
    ),
    (
        "two-boms-second-kept",
        b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3\n\n",
        [E(data="2"), E(data="3")],
        "",
        None,
    ),
    (
        "comments",
        b"data:1\r:\0\n:\r\ndata:2\n:"
        + b"x" * 100
        + b"\rdata:3\n:data:fail\r:"
        + b"\xef\xbf\xbf" * 3
        + b"\ndata:4\n\n",
        [E(data="1\n2\n3\n4")],
        "",
        None,
    ),
    (
        "incomplete-event-at-end-discarded",
        b"retry:1000\ndata:test1\n\nid:test\ndata:test2",
        [E(data="test1", retry=1000)],
        "",
        1000,
    ),
    (
        "data-field-forms",
        b"data:\n\ndata\ndata\n\ndata:test\n\n",
        [E(data=""), E(data="\n"), E(data="test")],
        "",
        None,
    ),
    (
        "event-empty-is-message",
        b"event: \ndata:data\n\n",
        [E(data="data")],
        "",
        None,
    ),
    (
        "event-type-resets",
        b"event:test\ndata:x\n\ndata:x\n\n",
        [E(event="test", data="x"), E(data="x")],
        "",
        None,
    ),
    (
        "id-persists-until-reset",
        b"id:1\ndata:x\n\ndata:y\n\nid\ndata:z\n\n",
        [E(data="x", id="1"), E(data="y", id="1"), E(data="z")],
        "",
        None,
    ),
    (
        "id-with-null-ignored",
        b"id:1\ndata:a\n\nid:2\0\ndata:b\n\n",
        [E(data="a", id="1"), E(data="b", id="1")],
        "1",
        None,
    ),
    (
        "id-only-block-commits-without-event",
        b"data:a\n\nid: 7\n\n",
        [E(data="a")],
        "7",
        None,
    ),
    (
        "id-of-incomplete-block-not-committed",
        b"id: 1\ndata: a\n\nid: 2\ndata: b\n",
        [E(data="a", id="1")],
        "1",
        None,
    ),
    (
        "field-parsing",
        b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
        b"data:\r\n data:32\ndata:4\n\n",
        [E(data="\0\n 2\n1\n3\n\n4")],
        "",
        None,
    ),
    (
        "retry-bogus-ignored",
        b"retry:3000\nretry:1000x\nretry:  1\nretry:+5\nretry:1_0\nretry:-1\n"
        b"retry:\xd9\xa3\ndata:x\n\n",
        [E(data="x", retry=3000)],
        "",
        3000,
    ),
    ("retry-empty-ignored", b"retry\ndata:test\n\n", [E(data="test")], "", None),
    ("retry-leading-zeros", b"retry:03000\ndata:x\n\n", [E(data="x", retry=3000)], "", 3000),
    (
        "retry-huge-is-exact",
        b"retry:000" + b"9" * 40 + b"\ndata:x\n\n",
        [E(data="x", retry=10**40 - 1)],
        "",
        10**40 - 1,
    ),
    (
        "retry-of-4300-digits-is-exact",
        b"retry:" + b"7" * 4300 + b"\ndata:x\n\n",
        [E(data="x", retry=int("7" * 4300))],
        "",
        int("7" * 4300),
    ),
    (
        "retry-past-4300-digits-clamped",
        b"retry:" + b"0" * 10 + b"1" * 4301 + b"\ndata:x\n\n",
        [E(data="x", retry=10**4300 - 1)],
        "",
        10**4300 - 1,
    ),
    (
        "retry-only-block-takes-effect",
        b"retry: 500\n\ndata:x\n\n",
        [E(data="x")],
        "",
        500,
    ),
    (
        "unknown-fields",
        b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n",
        [E(data="test\n\ntest")],
        "",
        None,
    ),
    ("one-space-removed", b"data:     test\n\n", [E(data="    test")], "", None),
    ("tab-not-removed", b"data:\ttest\n\n", [E(data="\ttest")], "", None),
    ("names-case-sensitive", b"DATA:x\nEvent:y\ndata:z\n\n", [E(data="z")], "", None),
    ("newlines-mixed", b"data:test\r\ndata\ndata:test\r\n\r", [E(data="test\n\ntest")], "", None),
    ("cr-only", b"data: a\r\rdata: b\r\r", [E(data="a"), E(data="b")], "", None),
    ("null-character", b"data:\0\n\n\n\n", [E(data="\0")], "", None),
    (
        "utf8-multibyte",
        "data:ok\u2026 \U0001f600 é\n\n".encode(),
        [E(data="ok\u2026 \U0001f600 é")],
        "",
        None,
    ),
    (
        "invalid-utf8-replaced",
        b"data:\xff\xfe x \xe2\x82\ndata:\xc3\n\n",
        [E(data="\ufffd\ufffd x \ufffd\n\ufffd")],
        "",
        None,
    ),
    ("charset-ignored-latin1-bytes", b"data:caf\xe9\n\n", [E(data="caf\ufffd")], "", None),
    (
        "no-phantom-events",
        b": ping\n\nid: 3\n\nevent: x\n\nretry: 10\n\n\n\n",
        [],
        "3",
        10,
    ),
    (
        "colon-in-value-kept",
        b'data: {"a": "b:c"}\nevent:type:with:colons\n\n',
        [E(event="type:with:colons", data='{"a": "b:c"}')],
        "",
        None,
    ),
    (
        "llm-tokens",
        b'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n'
        b'data: {"choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n',
        [
            E(data='{"choices":[{"delta":{"content":"Hel"}}]}'),
            E(data='{"choices":[{"delta":{"content":"lo"}}]}'),
            E(data="[DONE]"),
        ],
        "",
        None,
    ),
    ("empty-stream", b"", [], "", None),
    ("only-bom", b"\xef\xbb\xbf", [], "", None),
    # --- the shapes the pure parser takes in short, and their near misses ------------
    (
        "named-shapes",
        b"event: a\nid: 1\ndata: x\n\n"
        b"event: b\ndata: y\n\n"
        b"id: 2\ndata: z\n\n"
        b"event: \nid: 3\ndata: w\n\n",
        [
            E(event="a", data="x", id="1"),
            E(event="b", data="y", id="1"),
            E(data="z", id="2"),
            E(data="w", id="3"),
        ],
        "3",
        None,
    ),
    (
        "named-near-misses",
        b"event: a\nid\ndata: x\n\n"
        b"event: b\nid: 1\0\ndata: y\n\n"
        b"event: c\ndata: 1\ndata: 2\n\n"
        b"id: 4\nevent: d\ndata: z\n\n"
        b"id: 5\0\ndata: v\n\n"
        b"event: e\nretry: 7\ndata: u\n\n"
        b"data: t\nid: 6\n\n",
        [
            E(event="a", data="x"),
            E(event="b", data="y"),
            E(event="c", data="1\n2"),
            E(event="d", data="z", id="4"),
            E(data="v", id="4"),
            E(event="e", data="u", id="4", retry=7),
            E(data="t", id="6"),
        ],
        "6",
        7,
    ),
]
