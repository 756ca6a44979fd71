"""`acc registry token create`: an API token for a user, printed once."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err


@click.command("create")
@click.argument("user_name", metavar="USER")
@click.option("--plugin", "plugins", multiple=True, help="Only allow publishing this plugin (repeatable).")
@click.option("--expires-days", default=365, show_default=True, type=click.IntRange(1, 3650))
@click.option("--description", default="", help="What the token is for.")
@data_option
def create(
    user_name: str, plugins: tuple[str, ...], expires_days: int, description: str, data_dir: Path | None
) -> None:
    """Create an API token for USER and print it (it is shown only this once)."""
    from registry.operator import create_token_command

    text = create_token_command(registry_config(data_dir), user_name, list(plugins), expires_days, description)
    echo(text)
    scope = ", ".join(plugins) if plugins else "all of the user's plugins"
    err(f"token for {user_name} ({scope}), expires in {expires_days} days; it is not shown again")
