"""The repository generation on disk, so that serving timestamp.json reads no database.

Every metadata transaction bumps `repo_lock.generation` in its commit; right after the
commit, the process that made it writes the new number to DATA_DIR/generation (a new file
renamed over the old one: a new inode each time). A worker serving timestamp.json stats
that file, about a microsecond: while its (inode, mtime, size) is the one seen when the
worker last read the timestamp from the database, no commit has happened since, and the
cached timestamp is still the newest. The database is still read at least once a second
(for the expiry check, and in case a writer died between its commit and the file write).

One host only: the file lives on the data directory's disk, so it is used with the
embedded SQLite database (which is one host's by construction), never with PostgreSQL,
where other hosts commit without touching this disk (`RegistryConfig.generation_file`).
"""

from __future__ import annotations

import os
from pathlib import Path

from sdk.atomic import atomic_write_bytes

#: What identifies one version of the file: (inode, mtime in ns, size).
Stamp = tuple[int, int, int]


class GenerationFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def stamp(self) -> Stamp | None:
        """The file's identity now, or None if there is none (then the database decides)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def write(self, generation: int) -> None:
        """Record that `generation` was committed (call after the commit, never before)."""
        atomic_write_bytes(self.path, f"{generation}\n".encode())
