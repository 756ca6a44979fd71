"""The newest root a client has verified for a marketplace, kept so the next refresh starts there.

The pinned first root stays the trust anchor: the record names the sha256 of the pin it was
reached from, and is ignored when the pin changes (a marketplace removed and added again with
another root). Each root in it was verified by python-tuf's ngclient against the chain from
that pin, so starting from it trusts nothing new; without it every refresh walked the whole
chain from version 1 and, capped at `max_root_rotations` per refresh, could never trust a
root past version 1 + cap.

    TRUSTED_ROOT.json   {"pinned_sha256": HEX, "version": N, "root": "<N.root.json as text>"}
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sdk.atomic import atomic_write_bytes

#: Larger than any root the client accepts (UpdaterConfig.root_max_length) plus the wrapping.
MAX_RECORD_BYTES = 2_000_000


def root_version(root: bytes) -> int:
    """The `signed.version` of root metadata bytes (0 if they are not root metadata)."""
    try:
        version = json.loads(root)["signed"]["version"]
    except (ValueError, KeyError, TypeError):
        return 0
    return version if isinstance(version, int) else 0


class TrustedRoot:
    """The record at `path` of the newest root verified from `pinned`."""

    def __init__(self, path: Path, pinned: bytes) -> None:
        self.path = path
        self.pinned = pinned
        self._anchor = hashlib.sha256(pinned).hexdigest()

    def bootstrap(self) -> bytes:
        """What to start the next refresh from: the newest verified root, or else the pin."""
        try:
            if self.path.stat().st_size > MAX_RECORD_BYTES:
                return self.pinned
            record = json.loads(self.path.read_bytes())
            root: bytes = record["root"].encode()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return self.pinned
        if record.get("pinned_sha256") != self._anchor or root_version(root) < root_version(self.pinned):
            return self.pinned
        return root

    def remember(self, root: bytes) -> None:
        """Record `root` (verified by ngclient from this record's bootstrap) if it is newer."""
        version = root_version(root)
        if version <= root_version(self.bootstrap()):
            return
        record = {"pinned_sha256": self._anchor, "version": version, "root": root.decode()}
        atomic_write_bytes(self.path, json.dumps(record).encode())
