"""A plugin's log is capped in records as well as bytes, escaped, and cheap to flood."""

from __future__ import annotations

import time

from host.logsink import LogSink


def test_empty_lines_are_capped_by_count() -> None:
    emitted: list[tuple[str, str, str]] = []
    sink = LogSink("p", lambda *r: emitted.append(r), max_bytes=1024, max_records=100)
    write = sink.stream("stdout")
    for _ in range(10_000):
        write(b"\n")
    assert len(sink.records) == 100 and len(emitted) == 100
    assert sink.records[-1] == ("warn", "log output over 100 lines: the rest is dropped")
    assert sink.dropped_records > 0 and sink.used_bytes == 0


def test_bytes_are_still_capped() -> None:
    sink = LogSink("p", max_bytes=1000, max_records=10_000)
    for _ in range(100):
        sink.log("info", "x" * 100)
    assert sink.used_bytes <= 1000
    assert sink.records[-1] == ("warn", "log output over 1000 bytes: the rest is dropped")


def test_a_write_of_many_lines_costs_linear_time() -> None:
    # One write of 64 KiB of newlines used to copy the 64 KiB buffer once per line (4 GB).
    sink = LogSink("p")
    write = sink.stream("stdout")
    started = time.monotonic()
    for _ in range(20):
        write(b"\n" * 65_536)
    assert time.monotonic() - started < 2.0
    assert len(sink.records) == sink.max_records


def test_records_are_escaped_whatever_the_stream() -> None:
    sink = LogSink("p")
    sink.log("info", "\x1b[2Jhi\r")
    sink.progress(1, 2, "\x1b]0;t\x07")
    sink.stream("stderr")(b"\x9b\xe2\x80\xae.exe\n")  # C1 CSI and U+202E as UTF-8
    assert sink.records == [
        ("info", "\\x1b[2Jhi\\r"),
        ("progress", "1/2 \\x1b]0;t\\x07"),
        ("stderr", "\ufffd\\u202e.exe"),  # an invalid byte becomes U+FFFD, which is printable
    ]
