"""The registry's TUF repository, built with python-tuf's Metadata API and kept in the database.

Roles: root and targets (their keys can live offline: with succinct hash-bin delegations
targets.json never changes when plugins are published), and the online roles snapshot,
timestamp and the bins (`bins-00` ... one key signs them all). Consistent snapshots are
on, so every version of every role stays servable as `N.ROLE.json` and targets as
`DIR/SHA256.NAME`; clients mid-update never see a snapshot that names missing metadata.

Every change runs inside a `Registry.metadata_transaction` (under the repository lock), so
the rows and the metadata describing them commit together or not at all.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, Signer, SSlibKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tuf.api.metadata import (
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from registry.config import RegistryConfig
from registry.errors import RepositoryError
from registry.models import RepoLock, TufMetadata

TOP_LEVEL_ROLES = ("root", "targets", "snapshot", "timestamp")
BINS_ROLE = "bins"
ONLINE_ROLES = ("snapshot", "timestamp", BINS_ROLE)
ALL_KEY_ROLES = (*TOP_LEVEL_ROLES, BINS_ROLE)
OFFLINE_ROLES = ("root", "targets")
#: Root or targets this close to expiry make `/api/v1/health` report `degraded`.
OFFLINE_WARNING = timedelta(days=30)
_SERIALIZER = JSONSerializer(compact=True)


# -- keys ------------------------------------------------------------------------------------


def generate_keys(keys_dir: Path) -> None:
    """Create one Ed25519 key per role in `keys_dir` (mode 0600); refuse to overwrite."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    existing = [role for role in ALL_KEY_ROLES if _key_path(keys_dir, role).exists()]
    if existing:
        raise RepositoryError(
            f"{keys_dir} already holds TUF keys ({', '.join(existing)})",
            hint="a registry is initialized once; use another --data directory",
        )
    for role in ALL_KEY_ROLES:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = _key_path(keys_dir, role)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)


def load_signer(keys_dir: Path, role: str) -> CryptoSigner:
    path = _key_path(keys_dir, role)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as e:
        offline = (
            " (root and targets keys may be kept offline; see docs/registry.md)" if role in ("root", "targets") else ""
        )
        raise RepositoryError(
            f"the {role} signing key {path} is missing{offline}",
            hint="restore it from backup, or run `acc registry init` for a new registry",
        ) from e
    if not isinstance(private, Ed25519PrivateKey):
        raise RepositoryError(f"{path} is not an Ed25519 private key")
    return CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))


def _key_path(keys_dir: Path, role: str) -> Path:
    return keys_dir / f"{role}.pem"


# -- the repository --------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    root: timedelta
    targets: timedelta
    snapshot: timedelta
    timestamp: timedelta
    bins: timedelta

    @classmethod
    def from_config(cls, config: RegistryConfig) -> Expiry:
        return cls(
            root=timedelta(days=config.root_expiry_days),
            targets=timedelta(days=config.targets_expiry_days),
            snapshot=timedelta(days=config.snapshot_expiry_days),
            timestamp=timedelta(hours=config.timestamp_expiry_hours),
            bins=timedelta(days=config.bins_expiry_days),
        )

    def of(self, role: str) -> timedelta:
        return getattr(self, BINS_ROLE if role.startswith(f"{BINS_ROLE}-") else role)  # type: ignore[no-any-return]


class TufRepository:
    """Reads and writes the TUF metadata rows; signs with the online keys it holds."""

    def __init__(self, config: RegistryConfig, signers: Mapping[str, Signer] | None = None) -> None:
        self.config = config
        self.expiry = Expiry.from_config(config)
        self._signers = dict(signers) if signers is not None else None

    def signer(self, role: str) -> Signer:
        if self._signers is None:
            self._signers = {r: load_signer(self.config.keys_dir, r) for r in ONLINE_ROLES}
        key_role = BINS_ROLE if role.startswith(f"{BINS_ROLE}-") else role
        if key_role not in self._signers:
            self._signers[key_role] = load_signer(self.config.keys_dir, key_role)
        return self._signers[key_role]

    # -- creation --

    def initialize(self, session: Session, now: datetime) -> None:
        """Write version 1 of every role and the repo_lock row, in the caller's transaction."""
        if session.execute(select(TufMetadata.id).limit(1)).first() is not None:
            raise RepositoryError(
                "the registry database already holds TUF metadata",
                hint="a registry is initialized once; use another --data directory",
            )
        session.add(RepoLock(id=1, generation=0))
        signers = {role: load_signer(self.config.keys_dir, role) for role in ALL_KEY_ROLES}
        root = Root(expires=now + self.expiry.root, consistent_snapshot=True)
        for role in TOP_LEVEL_ROLES:
            root.add_key(signers[role].public_key, role)
        self._store(session, Metadata(root), signers["root"])

        bins_key = signers[BINS_ROLE].public_key
        succinct = SuccinctRoles(
            keyids=[bins_key.keyid], threshold=1, bit_length=self.config.bin_bits, name_prefix=BINS_ROLE
        )
        delegations = Delegations(keys={bins_key.keyid: bins_key}, succinct_roles=succinct)
        targets = Targets(expires=now + self.expiry.targets, delegations=delegations)
        self._store(session, Metadata(targets), signers["targets"])

        meta = {"targets.json": MetaFile(version=1)}
        for bin_name in succinct.get_roles():
            self._store(session, Metadata(Targets(expires=now + self.expiry.bins)), signers[BINS_ROLE], bin_name)
            meta[f"{bin_name}.json"] = MetaFile(version=1)
        self._new_snapshot_and_timestamp(session, meta, now)

    # -- changes --

    def update_targets(self, session: Session, changes: Mapping[str, TargetFile | None], now: datetime) -> None:
        """Add, replace (TargetFile) or remove (None) targets; new bins, snapshot and timestamp.

        The caller holds the repository lock (`Registry.metadata_transaction`).
        """
        succinct = self._succinct_roles(session)
        by_bin: dict[str, dict[str, TargetFile | None]] = {}
        for path, target in changes.items():
            by_bin.setdefault(succinct.get_role_for_target(path), {})[path] = target
        snapshot = self.latest(session, "snapshot").signed
        assert isinstance(snapshot, Snapshot)
        meta = dict(snapshot.meta)
        for bin_name, bin_changes in by_bin.items():
            md = self.latest(session, bin_name)
            assert isinstance(md.signed, Targets)
            for path, target in bin_changes.items():
                if target is None:
                    md.signed.targets.pop(path, None)
                else:
                    md.signed.targets[path] = target
            meta[f"{bin_name}.json"] = MetaFile(version=self._resign(session, md, bin_name, now))
        self._new_snapshot_and_timestamp(session, meta, now)

    def renew_offline_role(self, session: Session, role: str, signer: Signer, now: datetime) -> int:
        """Re-sign root or targets (the roles whose keys may live offline) with a new expiry.

        `signer` holds that role's key, brought back for the signing. A new targets version
        also needs a new snapshot and timestamp. Returns the new version. The caller holds
        the repository lock.
        """
        if role not in ("root", "targets"):
            raise RepositoryError(f"only root and targets are renewed by hand; {role} is re-signed by the server")
        md = self.latest(session, role)
        keyids = set(self.latest(session, "root").signed.roles[role].keyids)
        if signer.public_key.keyid not in keyids:
            raise RepositoryError(
                f"that key is not the {role} key named in root metadata",
                hint=f"pass the {role} key this registry was initialized with",
            )
        version = self._resign(session, md, role, now, signer=signer)
        if role == "targets":
            snapshot = self.latest(session, "snapshot").signed
            assert isinstance(snapshot, Snapshot)
            self._new_snapshot_and_timestamp(session, {**snapshot.meta, "targets.json": MetaFile(version=version)}, now)
        return version

    def needs_refresh(self, session: Session, now: datetime) -> bool:
        """Is the timestamp past half its lifetime? One indexed row: this runs on GETs.

        Only the timestamp is checked here: it has the shortest lifetime, and `refresh`
        (which runs at least every half timestamp lifetime) checks every online role, so
        snapshot and bins are re-signed long before they expire too.
        """
        expires = session.execute(
            select(TufMetadata.expires)
            .where(TufMetadata.role == "timestamp")
            .order_by(TufMetadata.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        return expires is None or expires - now < self.expiry.timestamp / 2

    def refresh(self, session: Session, now: datetime) -> bool:
        """Re-sign online roles past half their lifetime so clients never see expired metadata.

        Returns True if anything was re-signed. The caller holds the repository lock.
        """
        stale = self._stale_roles(session, now)
        if not stale:
            return False
        snapshot = self.latest(session, "snapshot").signed
        assert isinstance(snapshot, Snapshot)
        meta = dict(snapshot.meta)
        for role in stale:
            if role.startswith(f"{BINS_ROLE}-"):
                meta[f"{role}.json"] = MetaFile(version=self._resign(session, self.latest(session, role), role, now))
        if any(role != "timestamp" for role in stale):
            self._new_snapshot_and_timestamp(session, meta, now)
        else:
            self._new_timestamp(session, self.latest_row(session, "snapshot"), now)
        return True

    def expiry_problems(self, session: Session, now: datetime) -> list[str]:
        """What `/api/v1/health` reports as `degraded`: metadata that expired, online metadata
        past three quarters of its life (its re-signing is overdue), and root or targets
        within OFFLINE_WARNING of expiry (time to renew them with the offline keys)."""
        latest = select(TufMetadata.role, func.max(TufMetadata.version).label("version")).group_by(TufMetadata.role)
        sub = latest.subquery()
        rows = session.execute(
            select(TufMetadata.role, TufMetadata.expires).join(
                sub, (TufMetadata.role == sub.c.role) & (TufMetadata.version == sub.c.version)
            )
        ).all()
        problems: list[str] = []
        bins = {"expired": 0, "expiring": 0}
        for role, expires in sorted(rows):
            left = expires - now
            when = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
            is_bin = role.startswith(f"{BINS_ROLE}-")
            if left <= timedelta(0):
                if is_bin:
                    bins["expired"] += 1
                else:
                    problems.append(f"{role} metadata expired at {when}")
            elif role in OFFLINE_ROLES:
                if left < OFFLINE_WARNING:
                    problems.append(f"{role} metadata expires at {when}: renew it with its offline key")
            elif left < self.expiry.of(role) / 4:
                if is_bin:
                    bins["expiring"] += 1
                else:
                    problems.append(f"{role} metadata expires at {when}: is `acc registry refresh` running?")
        for state, count in bins.items():
            if count:
                problems.append(f"{count} bins metadata {state}: is `acc registry refresh` running?")
        return problems

    # -- reading --

    def latest_row(self, session: Session, role: str) -> TufMetadata:
        row = session.execute(
            select(TufMetadata).where(TufMetadata.role == role).order_by(TufMetadata.version.desc()).limit(1)
        ).scalar_one_or_none()
        if row is None:
            raise RepositoryError(f"no TUF metadata for role {role}", hint="run `acc registry init` first")
        return row

    def latest(self, session: Session, role: str) -> Metadata[Any]:
        return Metadata.from_bytes(self.latest_row(session, role).data)

    # -- internals --

    def _succinct_roles(self, session: Session) -> SuccinctRoles:
        targets = self.latest(session, "targets").signed
        assert isinstance(targets, Targets)
        if targets.delegations is None or targets.delegations.succinct_roles is None:
            raise RepositoryError("targets metadata has no hashed-bin delegation")
        return targets.delegations.succinct_roles

    def _stale_roles(self, session: Session, now: datetime) -> list[str]:
        latest = (
            select(TufMetadata.role, func.max(TufMetadata.version).label("version"))
            .where(TufMetadata.role.in_(("snapshot", "timestamp")) | TufMetadata.role.like(f"{BINS_ROLE}-%"))
            .group_by(TufMetadata.role)
            .subquery()
        )
        rows = session.execute(
            select(TufMetadata.role, TufMetadata.expires).join(
                latest, (TufMetadata.role == latest.c.role) & (TufMetadata.version == latest.c.version)
            )
        ).all()
        return sorted(role for role, expires in rows if expires - now < self.expiry.of(role) / 2)

    def _resign(
        self, session: Session, md: Metadata[Any], role: str, now: datetime, signer: Signer | None = None
    ) -> int:
        md.signed.version += 1
        md.signed.expires = now + self.expiry.of(role)
        self._store(session, md, signer or self.signer(role), role)
        return int(md.signed.version)

    def _new_snapshot_and_timestamp(self, session: Session, meta: dict[str, MetaFile], now: datetime) -> None:
        try:
            version = self.latest(session, "snapshot").signed.version + 1
        except RepositoryError:
            version = 1
        snapshot = Snapshot(version=version, expires=now + self.expiry.snapshot, meta=meta)
        row = self._store(session, Metadata(snapshot), self.signer("snapshot"))
        self._new_timestamp(session, row, now)

    def _new_timestamp(self, session: Session, snapshot_row: TufMetadata, now: datetime) -> None:
        try:
            version = self.latest(session, "timestamp").signed.version + 1
        except RepositoryError:
            version = 1
        snapshot_meta = MetaFile(
            version=snapshot_row.version,
            length=len(snapshot_row.data),
            hashes={"sha256": hashlib.sha256(snapshot_row.data).hexdigest()},
        )
        timestamp = Timestamp(version=version, expires=now + self.expiry.timestamp, snapshot_meta=snapshot_meta)
        self._store(session, Metadata(timestamp), self.signer("timestamp"))

    def _store(self, session: Session, md: Metadata[Any], signer: Signer, role: str | None = None) -> TufMetadata:
        md.signatures.clear()
        md.sign(signer)
        row = TufMetadata(
            role=role or md.signed.type,
            version=md.signed.version,
            data=md.to_bytes(_SERIALIZER),
            expires=md.signed.expires,
        )
        session.add(row)
        session.flush()
        return row
