"""What the operator commands do: create a registry, accounts, tokens and keys (for acc_cli/registry/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from registry.accounts import add_key, create_token, create_user, get_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import ApiError, RepositoryError
from registry.models import utcnow
from registry.tuf_repo import generate_keys

DEV_KEYS_WARNING = """\
The TUF signing keys were created in {keys} and are NOT protected by a passphrase.
That is fine for development. For a public registry, move root.pem and targets.pem
offline after init (the server only needs snapshot.pem, timestamp.pem and bins.pem);
docs/registry.md says how to sign with them when root or targets metadata must change."""


def init_registry(config: RegistryConfig) -> str:
    """Create the data directory, keys, database schema and the first TUF metadata.

    Returns the warning about development keys to show the operator. Refuses to touch a
    data directory that already holds a registry.
    """
    from registry import schema

    config.data_dir.mkdir(parents=True, exist_ok=True)
    if (config.keys_dir / "root.pem").exists():
        raise RepositoryError(
            f"{config.data_dir} already holds a registry",
            hint="run `acc registry serve` to use it, or pass --data for a new one",
        )
    generate_keys(config.keys_dir)
    config.blobs_dir.mkdir(exist_ok=True)
    schema.upgrade(config.resolved_database_url)
    registry = Registry.open(config)
    try:
        with registry.db.write() as session:
            registry.tuf.initialize(session, utcnow())
            audit(session, "operator", "init", str(config.data_dir), "local", bins=config.bin_count)
        if registry.generation_file is not None:
            registry.generation_file.write(0)
    finally:
        registry.db.dispose()
    return DEV_KEYS_WARNING.format(keys=config.keys_dir)


def first_root_sha256_of(config: RegistryConfig) -> str:
    """The sha256 of the registry's 1.root.json: what users pin with `acc marketplace add`."""
    from registry.root_pin import first_root_sha256

    registry = _open(config)
    try:
        with registry.db.read() as session:
            return first_root_sha256(session)
    finally:
        registry.db.dispose()


def root_path(config: RegistryConfig) -> Path:
    return config.keys_dir / "root.pem"


def create_user_command(config: RegistryConfig, name: str, email: str, password: str | None) -> None:
    registry = _open(config)
    with registry.db.write() as session:
        create_user(session, name, email, password)
        audit(session, "operator", "create_user", name, "local")


def create_token_command(
    config: RegistryConfig, user_name: str, plugins: list[str], expires_days: int, description: str
) -> str:
    registry = _open(config)
    with registry.db.write() as session:
        user = get_user(session, user_name)
        text, token = create_token(
            session, user, plugins=plugins or None, expires_days=expires_days, description=description
        )
        audit(session, "operator", "create_token", f"{user_name} {token.prefix}", "local", plugins=plugins)
    return text


def add_key_command(config: RegistryConfig, user_name: str, key_file: Path) -> str:
    registry = _open(config)
    try:
        data = key_file.read_bytes()[: 64 * 1024]
    except OSError as e:
        raise ApiError(400, "invalid_key", f"cannot read {key_file}: {e.strerror}") from e
    with registry.db.write() as session:
        user = get_user(session, user_name)
        key = add_key(session, user, data)
        audit(session, "operator", "add_key", f"{user_name} {key.key_id}", "local")
        return key.key_id


def _open(config: RegistryConfig) -> Registry:
    if not (config.data_dir / "keys").is_dir() and not config.database_url:
        raise RepositoryError(
            f"{config.data_dir} is not a registry data directory",
            hint="create one with `acc registry init` (or pass --data DIR)",
        )
    os.makedirs(config.blobs_dir, exist_ok=True)
    return Registry.open(config)


def renew_command(config: RegistryConfig, role: str, key_file: Path | None) -> int:
    """Re-sign root or targets metadata with the (offline) key, for another expiry period."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from securesystemslib.signer import CryptoSigner, SSlibKey

    from registry.tuf_repo import load_signer

    if key_file is None:
        signer = load_signer(config.keys_dir, role)
    else:
        try:
            private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        except (OSError, ValueError) as e:
            raise RepositoryError(f"cannot read the {role} key {key_file}: {e}") from e
        if not isinstance(private, Ed25519PrivateKey):
            raise RepositoryError(f"{key_file} is not an Ed25519 private key")
        signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
    registry = _open(config)
    try:
        with registry.metadata_transaction() as session:
            version = registry.tuf.renew_offline_role(session, role, signer, utcnow())
            audit(session, "operator", f"renew_{role}", f"{role} v{version}", "local")
    finally:
        registry.db.dispose()
    return version


def gunicorn_command(config: RegistryConfig, host: str, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the registry in `config` under gunicorn
    (for `acc registry serve`, which execs it)."""
    env = dict(os.environ, REGISTRY_DATA_DIR=str(config.data_dir.absolute()))
    # No gunicorn access log: the app writes one structured JSON line per request already.
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{port}",
        "--error-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--timeout",
        "120",
        "registry.wsgi:app",
    ]
    return args, env
