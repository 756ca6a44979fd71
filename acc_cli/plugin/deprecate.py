"""`acc plugin deprecate`: tell users of a published plugin what to use instead (or --undo)."""

from __future__ import annotations

import click

from acc_cli.plugin._registry_options import registry, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.option("--message", help="What users should use instead.")
@click.option("--undo", is_flag=True, help="Remove the deprecation.")
@registry_option
@token_option
def deprecate(name: str, message: str | None, undo: bool, registry_url: str | None, token: str | None) -> None:
    """Mark NAME as deprecated with a message (or --undo)."""
    if not undo and not message:
        raise click.UsageError("pass --message saying what to use instead, or --undo")
    target = registry(registry_url, token)
    if undo:
        target.undeprecate(name)
        echo(f"{name} is no longer deprecated")
    else:
        assert message is not None
        target.deprecate(name, message)
        echo(f"deprecated {name}: {message}")
