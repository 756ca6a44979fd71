"""`acc registry token create`: an API token for a user, printed once."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err


@click.command("create")
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
def create(
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
        registry_config(data_dir), user_name, list(plugins), expires_days, description, list(permissions) or None
    )
    echo(text)
    scope = ", ".join(plugins) if plugins else "all of the user's plugins"
    granted = ", ".join(sorted(permissions or DEFAULT_PERMISSIONS))
    err(f"token for {user_name} ({granted} on {scope}), expires in {expires_days} days; it is not shown again")
