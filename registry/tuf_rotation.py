"""Key rotation, the standard TUF way: the metadata that names a role's keys gets a new
version naming the new ones, signed so that clients who trust the old version accept it.

    root, targets, snapshot, timestamp   a new root version, signed by a threshold of the
                                         current root keys; rotating root itself, also by a
                                         threshold of the new root keys (TUF spec 5.3.4)
    bins                                 a new targets version (the delegation names the
                                         bins keys), signed by the targets keys

The rotated role is then re-signed with its new keys (every bin, for the bins keys) and a
new snapshot and timestamp follow, all in the caller's metadata transaction: clients see
the rotation whole or not at all. A client that trusts the old root walks to the new one
(`N.root.json` is served for every N) and from then on refuses anything the retired keys
sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from securesystemslib.signer import Signer
from sqlalchemy.orm import Session
from tuf.api.metadata import MetaFile, Root, Snapshot, Targets

from registry.errors import RepositoryError
from registry.tuf_repo import BINS_ROLE, ONLINE_ROLES, TOP_LEVEL_ROLES, RoleKeys, TufRepository


def rotate_keys(
    tuf: TufRepository,
    session: Session,
    role: str,
    new: RoleKeys,
    root_signers: Sequence[Signer],
    targets_signers: Sequence[Signer],
    now: datetime,
) -> int:
    """Make `new` the keys of `role`; return the new version of the metadata naming them (root,
    or targets for the bins). The caller holds the repository lock."""
    new.check(role)
    for signer in new.signers:  # online signers are ready: no need to load them again
        if role in ONLINE_ROLES:
            tuf._signers[signer.public_key.keyid] = signer
    if role == BINS_ROLE:
        return _rotate_bins(tuf, session, new, targets_signers, now)
    if role not in TOP_LEVEL_ROLES:
        raise RepositoryError(f"no role {role!r}; roles: {', '.join((*TOP_LEVEL_ROLES, BINS_ROLE))}")
    tuf.check_signers(session, "root", root_signers)
    md = tuf.latest(session, "root")
    root = md.signed
    assert isinstance(root, Root)
    for keyid in list(root.roles[role].keyids):
        root.revoke_key(keyid, role)
    for key in new.public_keys():
        root.add_key(key, role)
    root.roles[role].threshold = new.threshold
    signers = [*root_signers, *(new.signers if role == "root" else ())]
    version = tuf.resign(session, md, "root", now, signers=_distinct(signers))
    changed: dict[str, int] = {}
    if role == "targets":
        changed["targets.json"] = tuf.resign(session, tuf.latest(session, "targets"), "targets", now, new.signers)
    if role in ("targets", "snapshot", "timestamp"):
        tuf.new_snapshot_and_timestamp(session, tuf.snapshot_meta(session, changed), now)
    return version


def _rotate_bins(
    tuf: TufRepository, session: Session, new: RoleKeys, targets_signers: Sequence[Signer], now: datetime
) -> int:
    tuf.check_signers(session, "targets", targets_signers)
    md = tuf.latest(session, "targets")
    targets = md.signed
    assert isinstance(targets, Targets)
    delegations = targets.delegations
    assert delegations is not None and delegations.succinct_roles is not None and delegations.keys is not None
    succinct = delegations.succinct_roles
    for keyid in succinct.keyids:
        delegations.keys.pop(keyid, None)
    public = new.public_keys()
    delegations.keys.update({k.keyid: k for k in public})
    succinct.keyids = [k.keyid for k in public]
    succinct.threshold = new.threshold
    version = tuf.resign(session, md, "targets", now, signers=targets_signers)
    changed = {"targets.json": version}
    snapshot = tuf.latest(session, "snapshot").signed
    assert isinstance(snapshot, Snapshot)
    for bin_name in succinct.get_roles():
        changed[f"{bin_name}.json"] = tuf.resign(session, tuf.latest(session, bin_name), bin_name, now, new.signers)
    tuf.new_snapshot_and_timestamp(
        session, {**snapshot.meta, **{n: MetaFile(version=v) for n, v in changed.items()}}, now
    )
    return version


def _distinct(signers: Sequence[Signer]) -> list[Signer]:
    seen: set[str] = set()
    unique = []
    for signer in signers:
        if signer.public_key.keyid not in seen:
            seen.add(signer.public_key.keyid)
            unique.append(signer)
    return unique
