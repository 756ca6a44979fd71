"""`acc plugin publish`: upload a signed archive to a registry."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.plugin._registry_options import registry, registry_option, token_option
from acc_cli.terminal import echo, err


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
    from sdk.signing import signature_path

    target = registry(registry_url, token)
    manifest = read_archive(archive).manifest  # refuse locally what the registry would refuse
    if sigstore_bundle is not None and signature is not None:
        raise click.UsageError("pass either --signature or --sigstore-bundle, not both")
    kind = "sigstore" if sigstore_bundle is not None else "ed25519"
    sig_file = sigstore_bundle or signature or signature_path(archive)
    if not sig_file.is_file():
        raise click.UsageError(f"no signature at {sig_file}: sign first with `acc plugin sign {archive} --key KEY`")
    body = target.publish(archive, sig_file, kind)
    if body.get("created"):
        echo(f"published {manifest.name} {manifest.version} (sha256 {body.get('sha256')})")
    else:
        echo(f"{manifest.name} {manifest.version} was already published with these exact bytes; nothing changed")
    echo(f"  page: {target.web_url(manifest.name)}")
    for warning in body.get("warnings") or []:  # the registry's words about the README, to fix next time
        if isinstance(warning, dict):
            err(f"warning: {warning.get('message')}\n  hint: {warning.get('hint')}")
