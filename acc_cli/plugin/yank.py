"""`acc plugin yank`: mark a published version as not to be installed (unless pinned exactly)."""

from __future__ import annotations

from urllib.parse import quote

import click

from acc_cli.plugin._registry_options import base_url, need_token, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.argument("version")
@click.option("--reason", required=True, help="Why users should not install this version.")
@registry_option
@token_option
def yank(name: str, version: str, reason: str, registry_url: str | None, token: str | None) -> None:
    """Yank NAME VERSION: installs skip it unless pinned exactly."""
    from sdk.registry_client import request_json

    request_json(
        "POST",
        f"{base_url(registry_url)}/api/v1/plugins/{quote(name)}/versions/{quote(version)}/yank",
        token=need_token(token),
        body={"reason": reason},
    )
    echo(f"yanked {name} {version}: {reason}")
