"""The registry's TUF repository, built with python-tuf's Metadata API and kept in the database.

Roles: root and targets (their keys can live offline: with succinct hash-bin delegations
targets.json never changes when plugins are published), and the online roles snapshot,
timestamp and the bins (`bins-00` ... all delegated to the same bins keys). Every role
has a threshold and may have several keys (root 2-of-3 is the usual offline setup).
Consistent snapshots are on, so every stored version of every role is servable as
`N.ROLE.json` and targets as `DIR/SHA256.NAME`; clients mid-update never see a snapshot
that names missing metadata, and `prune` removes only versions no client can still need.

Online keys are found through the signer URI their public key carries in metadata
(registry/tuf_keys.py), so the keys this host signs with are always the ones root (or
targets, for the bins) names, and a host that holds others refuses to sign.

Every change runs inside a `Registry.metadata_transaction` (under the repository lock), so
the rows and the metadata describing them commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import Key, Signer, SSlibKey
from sqlalchemy import delete, func, select
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
from registry.tuf_keys import file_signer, load_online_signer, with_online_uri

TOP_LEVEL_ROLES = ("root", "targets", "snapshot", "timestamp")
BINS_ROLE = "bins"
ONLINE_ROLES = ("snapshot", "timestamp", BINS_ROLE)
OFFLINE_ROLES = ("root", "targets")
ALL_KEY_ROLES = (*TOP_LEVEL_ROLES, BINS_ROLE)
#: Root or targets this close to expiry make `/api/v1/health` report `degraded`.
OFFLINE_WARNING = timedelta(days=30)
_SERIALIZER = JSONSerializer(compact=True)


def load_signer(keys_dir: Path, role: str) -> Signer:
    """The key in keys_dir/ROLE.pem (where `acc registry init` writes each role's first key)."""
    path = keys_dir / f"{role}.pem"
    if not path.exists():
        offline = " (root and targets keys may be kept offline; see docs/registry.md)" if role in OFFLINE_ROLES else ""
        raise RepositoryError(
            f"the {role} signing key {path} is missing{offline}",
            hint="pass the key's path, restore it from backup, or run `acc registry init` for a new registry",
        )
    return file_signer(path, f"{role} key")


@dataclass(frozen=True)
class RoleKeys:
    """A role's keys as a change sets them: the signers at hand, and how many must sign.

    `uris` (online roles only) says where each key lives, in the order of `signers`; it is
    recorded in the metadata that names the keys.
    """

    signers: Sequence[Signer]
    threshold: int
    uris: Sequence[str] | None = None

    def public_keys(self) -> list[SSlibKey]:
        keys = []
        for i, signer in enumerate(self.signers):
            key = signer.public_key
            assert isinstance(key, SSlibKey)
            keys.append(with_online_uri(key, self.uris[i]) if self.uris is not None else key)
        return keys

    def check(self, role: str) -> None:
        if not 1 <= self.threshold <= len(self.signers):
            raise RepositoryError(
                f"{role} needs a threshold between 1 and its number of keys ({len(self.signers)}), not {self.threshold}"
            )
        if len({s.public_key.keyid for s in self.signers}) != len(self.signers):
            raise RepositoryError(f"the same {role} key is given twice")


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
        return getattr(self, key_role(role))  # type: ignore[no-any-return]


def key_role(role: str) -> str:
    """The role whose keys sign `role`'s metadata: every bin is signed by the bins keys."""
    return BINS_ROLE if role.startswith(f"{BINS_ROLE}-") else role


class TufRepository:
    """Reads and writes the TUF metadata rows; signs with the online keys the metadata names."""

    def __init__(self, config: RegistryConfig, signers: Mapping[str, Signer] | None = None) -> None:
        self.config = config
        self.expiry = Expiry.from_config(config)
        #: Loaded signers, by keyid: a key is loaded once, through the URI metadata gives it.
        self._signers: dict[str, Signer] = dict(signers or {})

    # -- keys --

    def role_keys(self, session: Session, role: str) -> tuple[list[Key], int]:
        """The keys metadata names for `role` (or a bin: the bins keys) and its threshold."""
        if key_role(role) == BINS_ROLE:
            delegations = self.latest(session, "targets").signed.delegations
            if delegations is None or delegations.succinct_roles is None or delegations.keys is None:
                raise RepositoryError("targets metadata has no hashed-bin delegation")
            succinct = delegations.succinct_roles
            return [delegations.keys[k] for k in succinct.keyids], succinct.threshold
        root = self.latest(session, "root").signed
        assert isinstance(root, Root)
        named = root.roles[role]
        return [root.keys[k] for k in named.keyids], named.threshold

    def signers_for(self, session: Session, role: str) -> list[Signer]:
        """Signers for enough of the keys metadata names for `role` to meet its threshold, or
        RepositoryError saying which key this host lacks. Root and targets are offline: their
        signers are handed in by the operator's command, never loaded here."""
        if key_role(role) in OFFLINE_ROLES:
            raise RepositoryError(f"{role} is signed with offline keys, handed to the command that signs it")
        keys, threshold = self.role_keys(session, role)
        signers, failures = [], []
        for key in keys:
            signer = self._signers.get(key.keyid)
            if signer is None:
                try:
                    signer = self._signers[key.keyid] = load_online_signer(key, key_role(role), self.config.keys_dir)
                except RepositoryError as e:
                    failures.append(e)
                    continue
            signers.append(signer)
        if len(signers) < threshold:
            if failures:
                raise failures[0]
            raise RepositoryError(f"this host holds {len(signers)} of the {threshold} {key_role(role)} keys needed")
        return signers

    def check_online_keys(self, session: Session) -> None:
        """Refuse (RepositoryError) unless this host can sign every online role with the keys
        the metadata names: a host with other keys must not start (its signatures would make
        every client refuse the registry)."""
        for role in ONLINE_ROLES:
            self.signers_for(session, f"{BINS_ROLE}-0" if role == BINS_ROLE else role)

    # -- creation --

    def initialize(self, session: Session, now: datetime, keys: Mapping[str, RoleKeys]) -> None:
        """Write version 1 of every role and the repo_lock row, in the caller's transaction."""
        if session.execute(select(TufMetadata.id).limit(1)).first() is not None:
            raise RepositoryError(
                "the registry database already holds TUF metadata",
                hint="a registry is initialized once; use another --data directory",
            )
        for role in ALL_KEY_ROLES:
            keys[role].check(role)
        session.add(RepoLock(id=1, generation=0))
        root = Root(expires=now + self.expiry.root, consistent_snapshot=True)
        for role in TOP_LEVEL_ROLES:
            for key in keys[role].public_keys():
                root.add_key(key, role)
            root.roles[role].threshold = keys[role].threshold
        self.store(session, Metadata(root), keys["root"].signers)

        bins = keys[BINS_ROLE]
        succinct = SuccinctRoles(
            keyids=[k.keyid for k in bins.public_keys()],
            threshold=bins.threshold,
            bit_length=self.config.bin_bits,
            name_prefix=BINS_ROLE,
        )
        delegations = Delegations(keys={k.keyid: k for k in bins.public_keys()}, succinct_roles=succinct)
        targets = Targets(expires=now + self.expiry.targets, delegations=delegations)
        self.store(session, Metadata(targets), keys["targets"].signers)
        for role in ONLINE_ROLES:
            self._signers.update({s.public_key.keyid: s for s in keys[role].signers})

        meta = {"targets.json": MetaFile(version=1)}
        for bin_name in succinct.get_roles():
            self.store(session, Metadata(Targets(expires=now + self.expiry.bins)), bins.signers, bin_name)
            meta[f"{bin_name}.json"] = MetaFile(version=1)
        self.new_snapshot_and_timestamp(session, meta, now)

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
            meta[f"{bin_name}.json"] = MetaFile(version=self.resign(session, md, bin_name, now))
        self.new_snapshot_and_timestamp(session, meta, now)

    def renew_offline_role(self, session: Session, role: str, signers: Sequence[Signer], now: datetime) -> int:
        """Re-sign root or targets (the roles whose keys may live offline) with a new expiry.

        `signers` hold enough of that role's keys, brought back for the signing. A new targets
        version also needs a new snapshot and timestamp. Returns the new version. The caller
        holds the repository lock.
        """
        if role not in OFFLINE_ROLES:
            raise RepositoryError(f"only root and targets are renewed by hand; {role} is re-signed by the server")
        self.check_signers(session, role, signers)
        version = self.resign(session, self.latest(session, role), role, now, signers=signers)
        if role == "targets":
            self.new_snapshot_and_timestamp(session, self.snapshot_meta(session, {"targets.json": version}), now)
        return version

    def check_signers(self, session: Session, role: str, signers: Sequence[Signer]) -> None:
        """Refuse signers that are not `role`'s keys in the current metadata, or too few of them."""
        keys, threshold = self.role_keys(session, role)
        named = {k.keyid for k in keys}
        for signer in signers:
            if signer.public_key.keyid not in named:
                raise RepositoryError(
                    f"the key {signer.public_key.keyid[:16]} is not a {role} key named in the current metadata",
                    hint=f"pass the {role} keys this registry uses now",
                )
        if len({s.public_key.keyid for s in signers}) < threshold:
            raise RepositoryError(
                f"{role} needs {threshold} of its keys to sign, and {len(signers)} were given",
                hint=f"pass --key once for each of {threshold} {role} keys",
            )

    def needs_refresh(self, session: Session, now: datetime) -> bool:
        """Is the timestamp past half its lifetime? One indexed row.

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
                meta[f"{role}.json"] = MetaFile(version=self.resign(session, self.latest(session, role), role, now))
        if any(role != "timestamp" for role in stale):
            self.new_snapshot_and_timestamp(session, meta, now)
        else:
            self._new_timestamp(session, self.latest_row(session, "snapshot"), now)
        return True

    def advance(self, session: Session, by: int, now: datetime) -> int:
        """Re-sign every online role (each bin, snapshot, timestamp) `by` + 1 versions past its
        newest; return the new timestamp version. For a registry restored from a backup older
        than what its clients saw: their rollback protection accepts only higher versions, and
        every metadata change adds at most one version per role, so `by` = the changes made
        since the backup (or more: versions need not be consecutive) puts every role past what
        any client saw. The caller holds the repository lock."""
        if by < 1:
            raise ValueError("advance by at least one version")
        snapshot = self.latest(session, "snapshot").signed
        assert isinstance(snapshot, Snapshot)
        meta = dict(snapshot.meta)
        for filename in list(meta):
            role = filename.removesuffix(".json")
            if role.startswith(f"{BINS_ROLE}-"):
                md = self.latest(session, role)
                md.signed.version += by  # and resign adds one
                meta[filename] = MetaFile(version=self.resign(session, md, role, now))
        self.new_snapshot_and_timestamp(session, meta, now, skip=by)
        return int(self.latest(session, "timestamp").signed.version)

    def prune(self, session: Session, now: datetime, keep: timedelta) -> int:
        """Delete metadata versions no client can still need; return how many rows went.

        Kept: every root version (a client walks the chain of roots from the one it trusts);
        the newest version of every role; every snapshot a timestamp made within `keep`
        names, and every targets and bin version such a snapshot names (a client that read
        a timestamp fetches what it names moments later). The caller holds the repository lock.
        """
        recent = session.execute(
            select(TufMetadata.data).where(TufMetadata.role == "timestamp", TufMetadata.created_at >= now - keep)
        ).scalars()
        snapshots = {self.latest_row(session, "snapshot").version}
        snapshots |= {json.loads(data)["signed"]["meta"]["snapshot.json"]["version"] for data in recent}
        wanted: dict[str, set[int]] = {}
        for data in session.execute(
            select(TufMetadata.data).where(TufMetadata.role == "snapshot", TufMetadata.version.in_(snapshots))
        ).scalars():
            for filename, meta in json.loads(data)["signed"]["meta"].items():
                wanted.setdefault(filename.removesuffix(".json"), set()).add(int(meta["version"]))
        newest = dict(
            session.execute(select(TufMetadata.role, func.max(TufMetadata.version)).group_by(TufMetadata.role)).all()
        )
        removed = 0
        for role, latest_version in newest.items():
            if role == "root":
                continue
            keep_versions = {latest_version} | (snapshots if role == "snapshot" else wanted.get(role, set()))
            result = session.execute(
                delete(TufMetadata).where(TufMetadata.role == role, TufMetadata.version.not_in(keep_versions))
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed

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

    def snapshot_meta(self, session: Session, changed: Mapping[str, int]) -> dict[str, MetaFile]:
        """The current snapshot's meta with the `changed` (filename -> version) entries replaced."""
        snapshot = self.latest(session, "snapshot").signed
        assert isinstance(snapshot, Snapshot)
        return {**snapshot.meta, **{name: MetaFile(version=v) for name, v in changed.items()}}

    # -- writing (also for registry/tuf_rotation.py) --

    def resign(
        self,
        session: Session,
        md: Metadata[Any],
        role: str,
        now: datetime,
        signers: Sequence[Signer] | None = None,
    ) -> int:
        """Store the next version of `md` with a fresh expiry; return the new version."""
        md.signed.version += 1
        md.signed.expires = now + self.expiry.of(role)
        self.store(session, md, signers if signers is not None else self.signers_for(session, role), role)
        return int(md.signed.version)

    def new_snapshot_and_timestamp(
        self, session: Session, meta: dict[str, MetaFile], now: datetime, skip: int = 0
    ) -> None:
        """A new snapshot naming `meta`, and a timestamp naming it (each `skip` versions past
        the next one: `advance`)."""
        try:
            version = self.latest(session, "snapshot").signed.version + 1 + skip
        except RepositoryError:
            version = 1
        snapshot = Snapshot(version=version, expires=now + self.expiry.snapshot, meta=meta)
        row = self.store(session, Metadata(snapshot), self.signers_for(session, "snapshot"))
        self._new_timestamp(session, row, now, skip=skip)

    def store(
        self, session: Session, md: Metadata[Any], signers: Sequence[Signer], role: str | None = None
    ) -> TufMetadata:
        """Sign `md` with every one of `signers` and add it as a row."""
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        row = TufMetadata(
            role=role or md.signed.type,
            version=md.signed.version,
            data=md.to_bytes(_SERIALIZER),
            expires=md.signed.expires,
        )
        session.add(row)
        session.flush()
        return row

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

    def _new_timestamp(self, session: Session, snapshot_row: TufMetadata, now: datetime, skip: int = 0) -> None:
        try:
            version = self.latest(session, "timestamp").signed.version + 1 + skip
        except RepositoryError:
            version = 1
        snapshot_meta = MetaFile(
            version=snapshot_row.version,
            length=len(snapshot_row.data),
            hashes={"sha256": hashlib.sha256(snapshot_row.data).hexdigest()},
        )
        timestamp = Timestamp(version=version, expires=now + self.expiry.timestamp, snapshot_meta=snapshot_meta)
        self.store(session, Metadata(timestamp), self.signers_for(session, "timestamp"))
