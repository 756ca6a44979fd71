"""`acc registry`: init, serve, and the operator's account commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from registry.config import RegistryConfig

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The registry's data directory (default: registry-data/, or $REGISTRY_DATA_DIR).",
)


def _config(data_dir: Path | None) -> RegistryConfig:
    from registry.config import load_config

    return load_config({"data_dir": data_dir} if data_dir is not None else None)


@click.group()
def registry() -> None:
    """Run a marketplace registry: init, serve, users, tokens, keys."""


@registry.command()
@data_option
@click.option(
    "--bins",
    "bin_bits",
    type=click.IntRange(1, 14),
    default=None,
    help="Hashed-bin delegation: 2**N bins (default 9: 512 bins, sized for ~10,000 plugins).",
)
def init(data_dir: Path | None, bin_bits: int | None) -> None:
    """Create a registry: data directory, database, TUF keys and root."""
    from registry.config import load_config
    from registry.operator import init_registry

    mapping: dict[str, object] = {}
    if data_dir is not None:
        mapping["data_dir"] = data_dir
    if bin_bits is not None:
        mapping["bin_bits"] = bin_bits
    config = load_config(mapping)
    warning = init_registry(config)
    root = config.data_dir.absolute()
    click.echo(f"created a registry in {root}")
    click.echo(f"warning: {warning}", err=True)
    click.echo(f"next: acc registry serve --data {config.data_dir}")


@registry.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(data_dir: Path | None, host: str, port: int, workers: int) -> None:
    """Serve the registry with gunicorn."""
    config = _config(data_dir)
    if not config.database_url and not (config.data_dir / "registry.db").is_file():
        raise click.ClickException(f"{config.data_dir} holds no registry; create one with `acc registry init`")
    from registry import schema
    from registry.operator import cleanup_command

    schema.upgrade(config.resolved_database_url)  # a newer acc may bring migrations
    report = cleanup_command(config)
    click.echo(f"cleaned up: {report.summary()}", err=True)
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
    click.echo(f"serving {config.data_dir.absolute()} on http://{host}:{port}/", err=True)
    os.execve(sys.executable, args, env)


@registry.command()
@data_option
def migrate(data_dir: Path | None) -> None:
    """Upgrade the registry's database schema to this version of acc."""
    from registry import schema

    config = _config(data_dir)
    schema.upgrade(config.resolved_database_url)
    click.echo(f"database at revision {schema.head_revision()}")


@registry.command()
@data_option
def cleanup(data_dir: Path | None) -> None:
    """Remove leftovers: temporary and unreferenced blobs of interrupted publishes, expired
    sessions and links, old download records, week-old unconfirmed registrations."""
    from registry.operator import cleanup_command

    report = cleanup_command(_config(data_dir))
    click.echo(f"removed {report.summary()}")


@registry.command()
@click.argument("role", type=click.Choice(["root", "targets"]))
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The role's private key, if it is kept offline (default: DATA/keys/ROLE.pem).",
)
@data_option
def renew(role: str, key_file: Path | None, data_dir: Path | None) -> None:
    """Re-sign ROLE (root or targets) metadata for another expiry period."""
    from registry.operator import renew_command

    version = renew_command(_config(data_dir), role, key_file)
    click.echo(f"signed {role} version {version}")


@registry.group()
def user() -> None:
    """Manage publisher accounts."""


@user.command("create")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--password", is_flag=True, help="Ask for a password so the user can log in on the web.")
@data_option
def user_create(name: str, email: str, password: bool, data_dir: Path | None) -> None:
    """Create the account NAME."""
    from registry.operator import create_user_command

    secret = click.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    create_user_command(_config(data_dir), name, email, secret)
    click.echo(f"created user {name}")


@registry.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("user_name", metavar="USER")
@click.option("--plugin", "plugins", multiple=True, help="Act on this plugin only (repeatable).")
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    help="What the token may do (repeatable): publish, yank, manage-collaborators, review, manage-account. "
    "Default: publish and yank.",
)
@click.option("--expires-days", default=365, show_default=True, type=click.IntRange(1, 3650))
@click.option("--description", default="", help="What the token is for.")
@data_option
def token_create(
    user_name: str,
    plugins: tuple[str, ...],
    permissions: tuple[str, ...],
    expires_days: int,
    description: str,
    data_dir: Path | None,
) -> None:
    """Create an API token for USER and print it (it is shown only this once)."""
    from registry.operator import create_token_command
    from registry.permissions import DEFAULT_PERMISSIONS

    text = create_token_command(
        _config(data_dir), user_name, list(plugins), expires_days, description, list(permissions) or None
    )
    click.echo(text)
    scope = ", ".join(plugins) if plugins else "all of the user's plugins"
    granted = ", ".join(sorted(permissions or DEFAULT_PERMISSIONS))
    click.echo(
        f"token for {user_name} ({granted} on {scope}), expires in {expires_days} days; it is not shown again",
        err=True,
    )


@registry.group()
def key() -> None:
    """Manage publishers' signing keys."""


@key.command("add")
@click.argument("user_name", metavar="USER")
@click.argument("pubkey_file", type=click.Path(dir_okay=False, path_type=Path))
@data_option
def key_add(user_name: str, pubkey_file: Path, data_dir: Path | None) -> None:
    """Register an Ed25519 public key (from `acc plugin keygen`) for USER."""
    from registry.operator import add_key_command

    key_id = add_key_command(_config(data_dir), user_name, pubkey_file)
    click.echo(f"registered key {key_id} for {user_name}")


@registry.command()
@data_option
def seed(data_dir: Path | None) -> None:
    """Build, sign and publish the official plugins (idempotent)."""
    from host.paths import host_paths
    from registry.seed import seed as run_seed

    config = _config(data_dir)
    if not (config.keys_dir / "root.pem").exists() and not config.database_url:
        raise click.ClickException(f"{config.data_dir} holds no registry; create one with `acc registry init`")
    results = run_seed(config, host_paths().builds, progress=lambda line: click.echo(line, err=True))
    new = sum(r.created for r in results)
    click.echo(f"{len(results)} official plugins in {config.data_dir}: {new} newly published")
