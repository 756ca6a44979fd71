"""`acc registry user create`: a publisher account, with a password for the web if asked."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, new_password


@click.command("create")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--password", is_flag=True, help="Ask for a password so the user can log in on the web.")
@data_option
def create(name: str, email: str, password: bool, data_dir: Path | None) -> None:
    """Create the account NAME."""
    from registry.operator import create_user_command

    secret = new_password() if password else None
    create_user_command(registry_config(data_dir), name, email, secret)
    echo(f"created user {name}")
