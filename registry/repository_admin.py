"""The operator's TUF work: create a registry with its keys, renew offline roles, rotate keys.

init_registry   keys (thresholds from the configuration), schema, first metadata; the
                keys are made in a scratch directory and moved into place only once the
                database holds the metadata naming them: a failed init leaves no keys
renew_command   re-sign root or targets with enough of their offline keys
rotate_command  replace a role's keys (registry/tuf_rotation.py), new key files made
                beside the others or given as signer URIs
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from securesystemslib.signer import Signer

from registry.audit import audit
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import RepositoryError
from registry.models import utcnow
from registry.tuf_keys import FILE_SCHEME, file_signer, generate_key_file, load_online_signer
from registry.tuf_repo import ALL_KEY_ROLES, OFFLINE_ROLES, ONLINE_ROLES, RoleKeys, load_signer

DEV_KEYS_WARNING = """\
The TUF signing keys were created in {keys} and are NOT protected by a passphrase.
That is fine for development. For a public registry, move the root and targets keys
({offline}) offline after init: the server needs only the snapshot, timestamp and bins
keys. docs/registry.md says how to sign with them when root or targets metadata must change."""


def init_registry(config: RegistryConfig) -> str:
    """Create the data directory, keys, database schema and the first TUF metadata.

    Returns the warning about development keys to show the operator. Refuses to touch a
    data directory that already holds a registry.
    """
    from registry import schema

    if config.keys_dir.exists() and any(config.keys_dir.glob("*.pem")):
        raise RepositoryError(
            f"{config.data_dir} already holds a registry",
            hint="run `acc registry serve` to use it, or pass --data for a new one",
        )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".keys-", dir=config.data_dir))
    try:
        os.chmod(scratch, 0o700)
        keys, files = _new_keys(config, scratch)
        config.blobs_dir.mkdir(exist_ok=True)
        schema.upgrade(config.resolved_database_url)
        registry = Registry.open(config)
        try:
            with registry.db.write() as session:
                registry.tuf.initialize(session, utcnow(), keys)
                audit(session, "operator", "init", str(config.data_dir), "local", bins=config.bin_count)
        finally:
            registry.db.dispose()
        _install_keys(scratch, config.keys_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    offline = ", ".join(f for f in files if f.startswith(OFFLINE_ROLES))
    return DEV_KEYS_WARNING.format(keys=config.keys_dir, offline=offline)


def _new_keys(config: RegistryConfig, directory: Path) -> tuple[dict[str, RoleKeys], list[str]]:
    """Keys for every role: ROLE.pem, then ROLE-2.pem... (root_keys root keys, threshold-many of the others)."""
    keys: dict[str, RoleKeys] = {}
    files: list[str] = []
    for role in ALL_KEY_ROLES:
        threshold = getattr(config, f"{role}_threshold")
        count = config.root_keys if role == "root" else threshold
        names = [f"{role}.pem" if i == 0 else f"{role}-{i + 1}.pem" for i in range(count)]
        signers: list[Signer] = []
        for name in names:
            generate_key_file(directory / name)
            signers.append(file_signer(directory / name, f"{role} key"))
        uris = [f"{FILE_SCHEME}:{name}" for name in names] if role in ONLINE_ROLES else None
        keys[role] = RoleKeys(signers, threshold, uris)
        files.extend(names)
    return keys, files


def _install_keys(scratch: Path, keys_dir: Path) -> None:
    """Move the new key files into keys/ (made now if missing), never over an existing file."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    for path in sorted(scratch.iterdir()):
        target = keys_dir / path.name
        if target.exists():
            raise RepositoryError(f"{target} exists already: not replaced")
        os.link(path, target)


def renew_command(config: RegistryConfig, role: str, key_files: Sequence[Path]) -> int:
    """Re-sign root or targets metadata with enough of its (offline) keys for another expiry period."""
    signers: list[Signer] = [file_signer(p, f"{role} key") for p in key_files]
    if not signers:
        signers = [load_signer(config.keys_dir, role)]
    registry = _open(config)
    try:
        with registry.metadata_transaction() as session:
            version = registry.tuf.renew_offline_role(session, role, signers, utcnow())
            audit(session, "operator", f"renew_{role}", f"{role} v{version}", "local")
    finally:
        registry.db.dispose()
    return version


@dataclass(frozen=True)
class NewKey:
    """A key a rotation brings in: a file to make (`uri` None), or an existing key by URI
    with its public key (a KMS/HSM key, or a file made and copied to every host beforehand)."""

    uri: str | None = None
    public_key_pem: bytes | None = None


def rotate_command(
    config: RegistryConfig,
    role: str,
    *,
    root_keys: Sequence[Path],
    targets_keys: Sequence[Path] = (),
    new_keys: Sequence[NewKey] = (),
    new_key_files: Sequence[Path] = (),
    threshold: int | None = None,
) -> tuple[int, list[str]]:
    """Replace `role`'s keys (see registry/tuf_rotation.py); return (new root version, new key ids).

    Online roles: each of `new_keys` is made as a file in keys/ (`uri` None) or named by URI.
    Offline roles (root, targets): `new_key_files` are the new private keys (they sign too).
    """
    from registry.tuf_keys import public_key_from_pem, with_online_uri
    from registry.tuf_rotation import rotate_keys

    root_signers = [file_signer(p, "root key") for p in root_keys]
    targets_signers = [file_signer(p, "targets key") for p in targets_keys]
    registry = _open(config)
    made: list[Path] = []
    try:
        if role in OFFLINE_ROLES:
            signers: list[Signer] = [file_signer(p, f"new {role} key") for p in new_key_files]
            uris = None
        else:
            signers, uris = [], []
            for wanted in new_keys or [NewKey()] * (threshold or 1):
                if wanted.uri is None:
                    path = config.keys_dir / f"{role}-new-{len(made) + 1}.pem"
                    key = generate_key_file(path)
                    final = config.keys_dir / f"{role}-{key.keyid[:16]}.pem"
                    path.rename(final)
                    made.append(final)
                    uri = f"{FILE_SCHEME}:{final.name}"
                else:
                    if wanted.public_key_pem is None:
                        raise RepositoryError("a new key given by URI needs its public key (--new-public-key)")
                    key = public_key_from_pem(wanted.public_key_pem)
                    uri = wanted.uri
                signers.append(load_online_signer(with_online_uri(key, uri), role, config.keys_dir))
                uris.append(uri)
        keys = RoleKeys(signers, threshold or len(signers), uris)
        with registry.metadata_transaction() as session:
            version = rotate_keys(registry.tuf, session, role, keys, root_signers, targets_signers, utcnow())
            ids = [s.public_key.keyid for s in signers]
            audit(session, "operator", f"rotate_{role}", f"v{version}", "local", keyids=ids, threshold=keys.threshold)
    except BaseException:
        for path in made:  # a failed rotation leaves no new key behind
            path.unlink(missing_ok=True)
        raise
    finally:
        registry.db.dispose()
    return version, ids


def _open(config: RegistryConfig) -> Registry:
    if not config.keys_dir.is_dir() and not config.database_url:
        raise RepositoryError(
            f"{config.data_dir} is not a registry data directory",
            hint="create one with `acc registry init` (or pass --data DIR)",
        )
    return Registry.open(config)
