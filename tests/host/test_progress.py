"""The progress bar: drawn on a terminal (throttled), absent otherwise."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from host.progress import Quiet, TerminalProgress, terminal_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _clock(*times: float) -> Iterator[float]:
    return iter(times)


def test_a_transfer_redraws_at_most_every_tenth_of_a_second_and_ends_with_a_full_bar() -> None:
    stream = _Terminal()
    ticks = _clock(0.0, 0.05, 0.2, 0.25, 0.5)
    with TerminalProgress(stream, clock=lambda: next(ticks)).transfer("downloading x 1.0", 2 * 1024 * 1024) as advance:
        advance(512 * 1024)  # at 0.05 s: too soon to redraw
        advance(1024 * 1024)  # at 0.2 s: redrawn
        advance(512 * 1024)  # at 0.25 s: too soon again; the final frame is drawn at 0.5 s
    frames = stream.getvalue().split("\r")[1:]
    assert frames == [
        "downloading x 1.0  " + "·" * 24 + "   0%  0 B of 2.0 MB",
        "downloading x 1.0  " + "█" * 18 + "·" * 6 + "  75%  1.5 MB of 2.0 MB  7.5 MB/s",
        "downloading x 1.0  " + "█" * 24 + " 100%  2.0 MB of 2.0 MB  4.0 MB/s\n",
    ]


def test_a_failed_transfer_says_so_and_the_error_goes_on() -> None:
    stream = _Terminal()
    with pytest.raises(OSError), TerminalProgress(stream, clock=lambda: 0.0).transfer("downloading x", 10):
        raise OSError("connection reset")
    assert stream.getvalue().endswith("  failed\n")


def test_a_step_shows_its_duration() -> None:
    stream = _Terminal()
    ticks = _clock(1.0, 3.25)
    with TerminalProgress(stream, clock=lambda: next(ticks)).step("compiling x 1.0"):
        pass
    assert stream.getvalue() == "\rcompiling x 1.0 …\rcompiling x 1.0  done in 2.2 s\n"


def test_only_a_terminal_gets_a_bar() -> None:
    assert isinstance(terminal_progress(_Terminal()), TerminalProgress)
    assert isinstance(terminal_progress(io.StringIO()), Quiet)
