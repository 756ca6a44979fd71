"""A small TUF repository in memory, for testing clients: roles signed with real keys (rotatable,
with thresholds), targets with any hashes, served through an ngclient fetcher that records
every URL it is asked for. Consistent snapshots are on, as on the registry.

Written for this project's tests (the TUF project's conformance suite has its own simulator
and is not installable here); the cases in tests/host/test_tuf_client.py follow the suite's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from securesystemslib.signer import CryptoSigner, Signer
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient.fetcher import FetcherInterface

#: Where the repository is, laid out like the registry's /tuf/ (a marketplace at https://repo.example).
MARKETPLACE_URL = "https://repo.example"
BASE = f"{MARKETPLACE_URL}/tuf"
METADATA_URL = f"{BASE}/metadata/"
TARGETS_URL = f"{BASE}/targets/"
_SERIALIZER = JSONSerializer(compact=True)


def new_signer() -> CryptoSigner:
    return CryptoSigner.generate_ed25519()


@dataclass
class Simulator:
    """The repository: `keys` sign each top-level role; `publish()` serves its current state."""

    keys: dict[str, list[Signer]] = field(default_factory=dict)
    root: Root = field(init=False)
    targets: Targets = field(init=False)
    snapshot: Snapshot = field(init=False)
    timestamp: Timestamp = field(init=False)
    #: Served files: URL path under the base -> bytes.
    files: dict[str, bytes] = field(default_factory=dict)
    #: Every URL asked for, in order.
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        expires = datetime.now(UTC) + timedelta(days=30)
        self.root = Root(expires=expires, consistent_snapshot=True)
        for role in ("root", "timestamp", "snapshot", "targets"):
            self.keys.setdefault(role, [new_signer()])
            for signer in self.keys[role]:
                self.root.add_key(signer.public_key, role)
        self.targets = Targets(expires=expires)
        self.snapshot = Snapshot(expires=expires)
        self.timestamp = Timestamp(expires=expires, snapshot_meta=MetaFile(version=1))
        self._store_root()
        self.publish()

    # -- changes --

    def add_target(self, path: str, data: bytes, hashes: dict[str, str] | None = None) -> TargetFile:
        """Serve `data` as target `path`, described with `hashes` (default: sha256)."""
        digests = hashes or {"sha256": hashlib.sha256(data).hexdigest()}
        target = TargetFile(len(data), digests, path)
        self.targets.targets[path] = target
        directory, _, name = path.rpartition("/")
        prefix = f"{directory}/" if directory else ""
        for digest in digests.values():
            self.files[f"targets/{prefix}{digest}.{name}"] = data
        return target

    def rotate(self, role: str, new: list[Signer] | None = None, *, threshold: int = 1) -> None:
        """New keys for `role` in a new root, signed by the old root keys (and the new ones for root)."""
        old_root_keys = list(self.keys["root"])
        new = new or [new_signer()]
        for keyid in list(self.root.roles[role].keyids):
            self.root.revoke_key(keyid, role)
        for signer in new:
            self.root.add_key(signer.public_key, role)
        self.root.roles[role].threshold = threshold
        self.keys[role] = new
        self.root.version += 1
        self._store_root(extra=old_root_keys if role == "root" else [])

    def publish(self, *, timestamp_signers: list[Signer] | None = None) -> None:
        """Sign and serve new targets, snapshot and timestamp versions naming the current state."""
        self.targets.version += 1
        targets = self._signed(self.targets, self.keys["targets"])
        self.files[f"metadata/{self.targets.version}.targets.json"] = targets
        self.snapshot.version += 1
        self.snapshot.meta = {"targets.json": MetaFile(version=self.targets.version)}
        snapshot = self._signed(self.snapshot, self.keys["snapshot"])
        self.files[f"metadata/{self.snapshot.version}.snapshot.json"] = snapshot
        self.timestamp.version += 1
        self.timestamp.snapshot_meta = MetaFile(
            version=self.snapshot.version, length=len(snapshot), hashes={"sha256": hashlib.sha256(snapshot).hexdigest()}
        )
        self.files["metadata/timestamp.json"] = self._signed(
            self.timestamp, timestamp_signers or self.keys["timestamp"]
        )

    # -- reading --

    def root_bytes(self, version: int) -> bytes:
        return self.files[f"metadata/{version}.root.json"]

    def fetcher(self) -> SimulatorFetcher:
        return SimulatorFetcher(self)

    def fetched(self, kind: str) -> list[str]:
        """The requests for `kind` ("metadata" or "targets")."""
        return [url for url in self.requests if url.startswith(f"{BASE}/{kind}/")]

    # -- internals --

    def _store_root(self, extra: list[Signer] | None = None) -> None:
        signers = [*self.keys["root"], *(extra or [])]
        self.files[f"metadata/{self.root.version}.root.json"] = self._signed(self.root, signers)

    @staticmethod
    def _signed(signed: Any, signers: list[Signer]) -> bytes:
        md: Metadata[Any] = Metadata(signed)
        for signer in signers:
            md.sign(signer, append=True)
        return md.to_bytes(_SERIALIZER)


class SimulatorFetcher(FetcherInterface):
    """Serves the simulator's files; 404 for anything else."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.on_chunk = None

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.simulator.requests.append(url)
        data = self.simulator.files.get(url.removeprefix(f"{BASE}/"))
        if data is None:
            raise tuf_errors.DownloadHTTPError(f"404 for {url}", 404)
        return iter([data])
