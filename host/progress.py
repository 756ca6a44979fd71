"""Progress of downloads and compiles: a bar on a terminal, nothing otherwise.

Commands pick `terminal_progress()` (a `TerminalProgress` on stderr when it is a TTY, else
`Quiet`), and pass it down; library code only sees the `Progress` protocol. The bar
redraws at most ten times a second, so a fast loopback download costs nothing, and the
last frame stays on screen as a record of what was fetched.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class Progress(Protocol):
    def transfer(self, label: str, total: int) -> contextlib.AbstractContextManager[Callable[[int], None]]:
        """A transfer of `total` bytes; the context gives a function to call with each chunk's size."""
        ...

    def step(self, label: str) -> contextlib.AbstractContextManager[None]:
        """A step of unknown length (compiling): shown while it runs, then with its duration."""
        ...


class Quiet:
    @contextlib.contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        yield lambda _: None

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        yield


class TerminalProgress:
    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock

    @contextlib.contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        done = 0
        started = last = self._clock()
        self._draw(label, done, total, 0.0)

        def advance(size: int) -> None:
            nonlocal done, last
            done += size
            now = self._clock()
            if now - last >= REDRAW_SECONDS:
                last = now
                self._draw(label, done, total, now - started)

        try:
            yield advance
        except BaseException:
            self._stream.write("  failed\n")
            self._stream.flush()
            raise
        self._draw(label, done, total, self._clock() - started)
        self._stream.write("\n")
        self._stream.flush()

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        started = self._clock()
        self._stream.write(f"\r{label} …")
        self._stream.flush()
        try:
            yield
        except BaseException:
            self._stream.write("  failed\n")
            self._stream.flush()
            raise
        self._stream.write(f"\r{label}  done in {self._clock() - started:.1f} s\n")
        self._stream.flush()

    def _draw(self, label: str, done: int, total: int, elapsed: float) -> None:
        fraction = min(done / total, 1.0) if total > 0 else 1.0
        filled = int(fraction * BAR_WIDTH)
        bar = "█" * filled + "·" * (BAR_WIDTH - filled)
        rate = f"  {_size(done / elapsed)}/s" if elapsed > 0 else ""
        self._stream.write(f"\r{label}  {bar} {fraction:4.0%}  {_size(done)} of {_size(total)}{rate}")
        self._stream.flush()


def terminal_progress(stream: TextIO | None = None) -> Progress:
    """A bar on `stream` (default stderr) if it is a terminal, else nothing."""
    stream = stream if stream is not None else sys.stderr
    return TerminalProgress(stream) if stream.isatty() else Quiet()


def _size(count: float) -> str:
    if count < 1024:
        return f"{count:.0f} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"
