"""Content-addressed blob store: archives, signatures and index targets, by sha256."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sdk.atomic import atomic_write_bytes

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
