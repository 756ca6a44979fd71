"""`acc plugin deprecate`: tell users of a published plugin what to use instead (or --undo)."""

from __future__ import annotations

from urllib.parse import quote

import click

from acc_cli.plugin._registry_options import base_url, need_token, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.option("--message", help="What users should use instead.")
@click.option("--undo", is_flag=True, help="Remove the deprecation.")
@registry_option
@token_option
def deprecate(name: str, message: str | None, undo: bool, registry_url: str | None, token: str | None) -> None:
    """Mark NAME as deprecated with a message (or --undo)."""
    from sdk.registry_client import request_json

    if not undo and not message:
        raise click.UsageError("pass --message saying what to use instead, or --undo")
    url = f"{base_url(registry_url)}/api/v1/plugins/{quote(name)}/deprecate"
    if undo:
        request_json("DELETE", url, token=need_token(token))
        echo(f"{name} is no longer deprecated")
    else:
        request_json("POST", url, token=need_token(token), body={"message": message})
        echo(f"deprecated {name}: {message}")
