"""Targets already downloaded and verified, kept by hash so they are not fetched again.

A file is found by any hash the signed metadata lists for the target (`ALGORITHM-HEX`), and
is used only after its length and every listed hash verify again: the cache is a saving,
never a source of trust. It is bounded: past `max_bytes`, the least recently used go first.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile

from sdk.atomic import atomic_write_bytes

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_ALGORITHM = re.compile(r"[a-z0-9_-]{1,32}")
_DIGEST = re.compile(r"[0-9a-f]{16,256}")


class TargetCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def find(self, info: TargetFile) -> Path | None:
        """A cached file with `info`'s length and every one of its hashes, or None."""
        for name in self._names(info):
            path = self.directory / name
            try:
                with path.open("rb") as f:
                    info.verify_length_and_hashes(f)
            except (OSError, tuf_errors.LengthOrHashMismatchError):
                continue
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used
            return path
        return None

    def copy_to(self, info: TargetFile, destination: Path) -> bool:
        """Copy the cached target to `destination`; False if it is not cached."""
        found = self.find(info)
        if found is None:
            return False
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, destination)
        return True

    def keep(self, info: TargetFile, verified: Path) -> None:
        """Keep a copy of `verified` (just checked against `info`), then stay within max_bytes."""
        names = self._names(info)
        if not names or info.length > self.max_bytes:
            return
        try:
            atomic_write_bytes(self.directory / names[0], verified.read_bytes())
        except OSError:
            return  # a cache that cannot be written is only a missed saving
        self._evict()

    def _names(self, info: TargetFile) -> list[str]:
        return [
            f"{algorithm}-{digest}"
            for algorithm, digest in sorted(info.hashes.items())
            if _ALGORITHM.fullmatch(algorithm) and _DIGEST.fullmatch(digest)
        ]

    def _evict(self) -> None:
        entries = []
        for path in self.directory.iterdir():
            if path.name.startswith("."):
                continue  # another process's write in progress
            with contextlib.suppress(OSError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                return
            path.unlink(missing_ok=True)
            total -= size
