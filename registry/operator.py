"""What the operator commands do: accounts, tokens, publisher keys, cleanup, serving (for
acc_cli/registry/; the TUF repository's own work is in registry/repository_admin.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from registry.accounts import add_key, create_token, create_user, get_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import ApiError, RepositoryError
from registry.notify import notify_security_change

if TYPE_CHECKING:
    from registry.refresh import RefreshReport
    from registry.upkeep import CleanupReport


def create_user_command(config: RegistryConfig, name: str, email: str, password: str | None) -> None:
    registry = _open(config)
    with registry.db.write() as session:
        create_user(session, name, email, password)
        audit(session, "operator", "create_user", name, "local")


def create_token_command(
    config: RegistryConfig,
    user_name: str,
    plugins: list[str],
    expires_days: int,
    description: str,
    permissions: list[str] | None = None,
) -> str:
    """Create a token for `user_name` (permissions: registry.permissions; None: the defaults)."""
    registry = _open(config)
    with registry.db.write() as session:
        user = get_user(session, user_name)
        text, token = create_token(
            session,
            user,
            plugins=plugins or None,
            permissions=permissions or None,
            expires_days=expires_days,
            description=description,
        )
        audit(
            session,
            "operator",
            "create_token",
            f"{user_name} {token.prefix}",
            "local",
            plugins=plugins,
            permissions=token.permissions,
        )
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
        notify_security_change(
            session,
            registry.mailer,
            user,
            "key_added",
            f"The registry's operator added the signing key {key.key_id} to your account: archives it signs "
            "can now be published as yours.",
            config.public_url,
        )
        return key.key_id


@contextmanager
def opened(config: RegistryConfig) -> Iterator[Registry]:
    """The registry of `config` for one operator command, its connections closed after."""
    registry = _open(config)
    try:
        yield registry
    finally:
        registry.db.dispose()


def _open(config: RegistryConfig) -> Registry:
    if not (config.data_dir / "keys").is_dir() and not config.database_url:
        raise RepositoryError(
            f"{config.data_dir} is not a registry data directory",
            hint="create one with `acc registry init` (or pass --data DIR)",
        )
    os.makedirs(config.blobs_dir, exist_ok=True)
    return Registry.open(config)


def cleanup_command(config: RegistryConfig) -> CleanupReport:
    """`acc registry cleanup` (and `serve` at start-up): registry.upkeep.cleanup."""
    from registry.upkeep import cleanup

    registry = _open(config)
    try:
        return cleanup(registry)
    finally:
        registry.db.dispose()


def gunicorn_command(config: RegistryConfig, host: str, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the registry in `config` under gunicorn
    (for `acc registry serve`, which execs it): threaded workers that slow clients cannot
    starve (registry/gunicorn_worker.py), and the metadata refresher beside them
    (registry/gunicorn_hooks.py)."""
    env = dict(os.environ, REGISTRY_DATA_DIR=str(config.data_dir.absolute()))
    # No gunicorn access log: the app writes one structured JSON line per request already.
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:registry.gunicorn_hooks",
        "--worker-class",
        "registry.gunicorn_worker.GuardedThreadWorker",
        "--workers",
        str(workers),
        "--threads",
        str(config.threads_per_worker),
        "--keep-alive",
        "5",
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


def check_can_serve(config: RegistryConfig) -> None:
    """Refuse (RepositoryError) to serve with other online keys than the metadata names."""
    registry = _open(config)
    try:
        with registry.db.read() as session:
            registry.tuf.check_online_keys(session)
    finally:
        registry.db.dispose()


def refresh_command(config: RegistryConfig) -> RefreshReport:
    """`acc registry refresh`: registry.refresh.refresh_repository."""
    from registry.refresh import refresh_repository

    registry = _open(config)
    try:
        return refresh_repository(registry)
    finally:
        registry.db.dispose()


def first_root_sha256_of(config: RegistryConfig) -> str:
    """The sha256 of the registry's 1.root.json: what users pin with `acc marketplace add`."""
    from registry.root_pin import first_root_sha256

    registry = _open(config)
    try:
        with registry.db.read() as session:
            return first_root_sha256(session)
    finally:
        registry.db.dispose()
