"""The `--registry` and `--token` options that publish, yank, unyank and deprecate share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sdk.registry_client import Registry

registry_option = click.option(
    "--registry",
    "registry_url",
    envvar="ACC_REGISTRY_URL",
    default=None,
    help="Registry URL (default: $ACC_REGISTRY_URL or http://127.0.0.1:8080).",
)
token_option = click.option(
    "--token", envvar="ACC_REGISTRY_TOKEN", default=None, help="API token (default: $ACC_REGISTRY_TOKEN)."
)


def registry(url: str | None, token: str | None) -> Registry:
    """The registry the options name, or a usage error saying where an API token comes from."""
    from sdk.registry_client import Registry

    if not token:
        raise click.UsageError(
            "no API token: pass --token or set ACC_REGISTRY_TOKEN "
            "(a registry operator creates one with `acc registry token create`)"
        )
    return Registry.at(url, token)
