"""The `--registry` and `--token` options that publish, yank, unyank and deprecate share."""

from __future__ import annotations

import click

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


def base_url(url: str | None) -> str:
    """The registry's base URL, without a trailing slash."""
    from sdk.registry_client import DEFAULT_REGISTRY

    return (url or DEFAULT_REGISTRY).rstrip("/")


def need_token(token: str | None) -> str:
    """The API token, or a usage error saying where one comes from."""
    if not token:
        raise click.UsageError(
            "no API token: pass --token or set ACC_REGISTRY_TOKEN "
            "(a registry operator creates one with `acc registry token create`)"
        )
    return token
