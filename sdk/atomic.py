"""Atomic file writes: a reader or a crash sees the old content or the new, never half."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def atomic_write_bytes(
    path: Path, data: bytes | bytearray | memoryview, *, mode: int = 0o644, piece_bytes: int | None = None
) -> None:
    """Write `data` to `path` via a temp file in the same directory, fsync, then rename.

    `piece_bytes` writes the data in pieces of that size, for files that will be mapped
    into memory (see `MAPPED_FILE_PIECE_BYTES`).
    """
    import tempfile  # not at the top: with shutil it is 2.4 MB resident, and a plugin run writes nothing

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb", buffering=0 if piece_bytes else -1) as f:
            if piece_bytes:
                view = memoryview(data).cast("B")
                for start in range(0, len(view), piece_bytes):
                    _write_all(f, view[start : start + piece_bytes])
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


#: Files that are mmapped and read sparsely (compiled plugins) are written in pieces this
#: size. Linux caches a file written in one large write in large folios (up to 2 MB on
#: ext4 since 6.x), and a process that touches one page of such a folio maps all of it:
#: a host running four plugins showed 14 MB more resident memory for the same pages
#: used. Pieces of 16 KB leave folios no larger than the kernel's fault-around window.
MAPPED_FILE_PIECE_BYTES = 16 * 1024


def _write_all(f: Any, piece: memoryview) -> None:
    while piece:
        written = f.write(piece)
        piece = piece[written:]


def atomic_write_json(path: Path, value: Any, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode(), mode=mode)


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so two acc processes never interleave state changes."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
