"""`acc registry serve`: the registry under gunicorn (this process becomes gunicorn)."""

from __future__ import annotations

import os
import sys
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
    """Serve the registry with gunicorn."""
    config = registry_config(data_dir)
    if not config.database_url and not (config.data_dir / "registry.db").is_file():
        raise click.ClickException(f"{config.data_dir} holds no registry; create one with `acc registry init`")
    from registry import schema

    schema.upgrade(config.resolved_database_url)  # a newer acc may bring migrations
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
    err(f"serving {config.data_dir.absolute()} on http://{host}:{port}/")
    os.execve(sys.executable, args, env)
