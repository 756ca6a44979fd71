"""Content-addressed blob store: archives, signatures and index targets, by sha256.

Blobs are written before the transaction that references them commits (registry/publish.py),
so an interrupted publish can leave an unreferenced blob or, if the process died mid-write,
a temporary file; `acc registry cleanup` (and `serve` at start-up) removes both once they
are older than a grace period that no publish in flight can outlast (registry/upkeep.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from sdk.atomic import atomic_write_bytes

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: sdk.atomic.atomic_write_bytes's temporary files: `.NAME.RANDOM.tmp` beside the blob.
_TEMPORARY = re.compile(r"^\.[0-9a-f]{64}\..+\.tmp$")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent: the same bytes land at the same path); return its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.is_file() or path.stat().st_size != len(data):
            atomic_write_bytes(path, data)
        return digest

    def exists(self, sha256: str) -> bool:
        return _SHA256.match(sha256) is not None and self.path(sha256).is_file()

    def stored(self) -> Iterator[tuple[str, float]]:
        """(sha256, modification time) of every blob."""
        for path in self._files():
            if _SHA256.match(path.name):
                with contextlib.suppress(FileNotFoundError):
                    yield path.name, path.stat().st_mtime

    def temporary(self) -> Iterator[tuple[Path, float]]:
        """(path, modification time) of every temporary file a write left behind."""
        for path in self._files():
            if _TEMPORARY.match(path.name):
                with contextlib.suppress(FileNotFoundError):
                    yield path, path.stat().st_mtime

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for directory in sorted(self.root.iterdir()):
            if directory.is_dir() and len(directory.name) == 2:
                yield from sorted(directory.iterdir())
