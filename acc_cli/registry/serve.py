"""`acc registry serve`: the registry under gunicorn (this process becomes gunicorn)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import err


@click.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(data_dir: Path | None, host: str, port: int, workers: int) -> None:
    """Serve the registry with gunicorn (threaded workers), and re-sign expiring metadata
    beside it every refresh_interval_minutes."""
    config = registry_config(data_dir)
    if not config.database_url and not (config.data_dir / "registry.db").is_file():
        raise click.ClickException(f"{config.data_dir} holds no registry; create one with `acc registry init`")
    from registry import schema
    from registry.operator import check_can_serve, cleanup_command, first_root_sha256_of, gunicorn_command
    from registry.root_pin import root_pin

    if config.migrate_on_start:
        schema.upgrade(config.resolved_database_url)  # a newer acc may bring migrations (under a lock)
    elif not schema.is_current(config.resolved_database_url):
        raise click.ClickException(
            "the database schema is older than this acc: run `acc registry migrate` once, then start the hosts"
        )
    check_can_serve(config)  # the keys the metadata names, before gunicorn's workers find out
    err(f"cleaned up: {cleanup_command(config).summary()}")
    args, env = gunicorn_command(config, host, port, workers)
    err(f"serving {config.data_dir.absolute()} on http://{host}:{port}/")
    pin = root_pin(config.public_url or f"http://{_url_host(host)}:{port}", first_root_sha256_of(config))
    err(f"users add it with: {pin.add_command}")
    os.execve(args[0], args, env)


def _url_host(host: str) -> str:
    """`host` as it goes in a URL: IPv6 in brackets; the any-address as the loopback one
    (a URL to 0.0.0.0 is not one a user can open; behind a proxy, set REGISTRY_PUBLIC_URL)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
