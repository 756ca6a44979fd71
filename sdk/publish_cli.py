"""`acc plugin publish`, `yank`, `unyank`, `deprecate`: the author's side of the registry."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

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


def _base(url: str | None) -> str:
    from sdk.registry_client import DEFAULT_REGISTRY

    return (url or DEFAULT_REGISTRY).rstrip("/")


def _need_token(token: str | None) -> str:
    if not token:
        raise click.UsageError(
            "no API token: pass --token or set ACC_REGISTRY_TOKEN "
            "(a registry operator creates one with `acc registry token create`)"
        )
    return token


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--signature", type=click.Path(dir_okay=False, path_type=Path), help="The Ed25519 signature (default: ARCHIVE.sig)."
)
@click.option(
    "--sigstore-bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Publish with a Sigstore bundle instead of an Ed25519 signature.",
)
@registry_option
@token_option
def publish(
    archive: Path, signature: Path | None, sigstore_bundle: Path | None, registry_url: str | None, token: str | None
) -> None:
    """Upload a signed ARCHIVE to the registry."""
    from sdk.archive import read_archive
    from sdk.registry_client import request_json
    from sdk.signing import signature_path

    token = _need_token(token)
    manifest = read_archive(archive).manifest  # refuse locally what the registry would refuse
    if sigstore_bundle is not None and signature is not None:
        raise click.UsageError("pass either --signature or --sigstore-bundle, not both")
    kind = "sigstore" if sigstore_bundle is not None else "ed25519"
    sig_file = sigstore_bundle or signature or signature_path(archive)
    if not sig_file.is_file():
        raise click.UsageError(f"no signature at {sig_file}: sign first with `acc plugin sign {archive} --key KEY`")
    files = {"archive": (archive.name, archive.read_bytes()), "signature": (sig_file.name, sig_file.read_bytes())}
    _, body = request_json(
        "POST", f"{_base(registry_url)}/api/v1/plugins", token=token, multipart=files, fields={"signature_kind": kind}
    )
    if body.get("created"):
        click.echo(f"published {manifest.name} {manifest.version} (sha256 {body.get('sha256')})")
    else:
        click.echo(f"{manifest.name} {manifest.version} was already published with these exact bytes; nothing changed")


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
        f"{_base(registry_url)}/api/v1/plugins/{quote(name)}/versions/{quote(version)}/yank",
        token=_need_token(token),
        body={"reason": reason},
    )
    click.echo(f"yanked {name} {version}: {reason}")


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
        f"{_base(registry_url)}/api/v1/plugins/{quote(name)}/versions/{quote(version)}/yank",
        token=_need_token(token),
    )
    click.echo(f"{name} {version} is installable again")


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
    url = f"{_base(registry_url)}/api/v1/plugins/{quote(name)}/deprecate"
    if undo:
        request_json("DELETE", url, token=_need_token(token))
        click.echo(f"{name} is no longer deprecated")
    else:
        request_json("POST", url, token=_need_token(token), body={"message": message})
        click.echo(f"deprecated {name}: {message}")
