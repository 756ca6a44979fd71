"""The `--registry` and `--token` options that publish, yank, unyank and deprecate share.

`--registry` is a registry's URL or the name of a marketplace added with `acc marketplace
add` (its URL is used): the registry you publish to is usually one you install from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from acc_cli._complete import marketplaces

if TYPE_CHECKING:
    from sdk.registry_client import Registry

registry_option = click.option(
    "--registry",
    "registry_url",
    envvar="ACC_REGISTRY_URL",
    default=None,
    metavar="URL|MARKETPLACE",
    shell_complete=marketplaces,
    help="The registry's URL, or the name of an added marketplace "
    "(default: $ACC_REGISTRY_URL or http://127.0.0.1:8080).",
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
    return Registry.at(registry_url(url), token)


def registry_url(value: str | None) -> str | None:
    """A URL as given; a marketplace's name as its URL; anything else refused, saying which
    names there are."""
    if value is None or "://" in value:
        return value
    from host.marketplace.config import MarketplaceConfig, check_name
    from host.paths import host_paths
    from sdk.errors import AccError
    from sdk.registry_client import RegistryError

    config = MarketplaceConfig(host_paths())
    try:
        return config.get(check_name(value.lower())).url
    except AccError:
        added = ", ".join(m.name for m in config.list()) or "none"
        raise RegistryError(
            f"--registry {value!r} is neither a registry URL nor the name of an added marketplace (added: {added})",
            hint="give the registry's URL, e.g. https://plugins.example.com, or a name from `acc marketplace list`",
        ) from None
