"""A file whose modification time says "the repository changed on this host".

Serving timestamp.json is most of a registry's traffic, and it must show a publish at once
to the client that made it. Every metadata change on this host touches the file after it
commits; each worker checks its modification time (a stat, no database read) before
answering from its cached timestamp, and re-reads the database at most once a second
anyway, so changes made by other hosts show within a second too.
"""

from __future__ import annotations

import os
from pathlib import Path


class GenerationFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def bump(self) -> None:
        """Mark a change (after its transaction committed)."""
        try:
            self.path.touch()
            os.utime(self.path)  # a new mtime even when the file existed
        except OSError:
            pass  # a read-only data dir: workers fall back to their once-a-second re-read

    def stamp(self) -> int:
        """Changes whenever `bump` ran since (0 before the first)."""
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return 0
