"""`acc plugin unyank`: make a yanked version installable again."""

from __future__ import annotations

from urllib.parse import quote

import click

from acc_cli.plugin._registry_options import base_url, need_token, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.argument("version")
@registry_option
@token_option
def unyank(name: str, version: str, registry_url: str | None, token: str | None) -> None:
    """Undo a yank of NAME VERSION."""
    from sdk.registry_client import request_json

    request_json(
        "DELETE",
        f"{base_url(registry_url)}/api/v1/plugins/{quote(name)}/versions/{quote(version)}/yank",
        token=need_token(token),
    )
    echo(f"{name} {version} is installable again")
