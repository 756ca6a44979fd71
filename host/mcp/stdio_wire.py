"""The stdio server's descriptors, taken from the rest of the process (no SDK import here)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Wire:
    """The protocol's own descriptors: duplicates of the process's stdin and stdout."""

    read_fd: int
    write_fd: int


@contextlib.contextmanager
def claimed_stdio() -> Iterator[Wire]:
    """The process's stdin and stdout for the protocol alone, until the block ends.

    fds 0 and 1 point at /dev/null and stderr meanwhile, so nothing else in the process (a
    library, a stray print, a warning while a module loads) can read or write the protocol.
    """
    wire_in, wire_out = os.dup(0), os.dup(1)
    saved_in, saved_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # stray output goes to stderr, never into the protocol
    try:
        yield Wire(wire_in, wire_out)
    finally:
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        for fd in (saved_in, saved_out, wire_in, wire_out):
            with contextlib.suppress(OSError):
                os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to a blocking descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
