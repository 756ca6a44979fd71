"""A file holding the repository generation this host last committed.

Serving timestamp.json is most of a registry's traffic, and it must show a publish at once
to the client that made it. Every metadata transaction bumps `repo_lock.generation` in its
commit; right after the commit, the process that made it writes the new number here (a new
file renamed over the old one). Each worker reads this small file (no database) before
answering from its cached timestamp, and re-reads the database at most once a second anyway,
so changes made by other hosts (which write their own data directory's file) show within a
second too. The number, not the file's times, is the stamp: two commits within one tick of
the file system's clock still differ.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sdk.atomic import atomic_write_bytes

#: What `stamp` returns when there is no readable file (never a committed generation).
NO_STAMP = -1


class GenerationFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def bump(self, generation: int) -> None:
        """Record that `generation` was committed (call after the commit, never before)."""
        # A read-only data dir: workers fall back to their once-a-second re-read.
        with contextlib.suppress(OSError):
            atomic_write_bytes(self.path, f"{generation}\n".encode())

    def stamp(self) -> int:
        """The generation last recorded here, or NO_STAMP."""
        try:
            with open(self.path, "rb") as f:
                return int(f.read(32))
        except (OSError, ValueError):
            return NO_STAMP
