"""`acc plugin verify`: check an archive's Ed25519 signature or Sigstore bundle, offline.

sigstore is imported (inside `sdk.signing`) only when a bundle is verified.
"""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("archive", type=_FILE)
@click.option("--signature", "signature_file", type=_FILE, metavar="SIG", help="The .sig file (default: ARCHIVE.sig).")
@click.option(
    "--key",
    "key_files",
    multiple=True,
    type=_FILE,
    metavar="PUBKEY_FILE",
    help="Trust only this public key (repeatable). Default: your trusted keys.",
)
@click.option(
    "--sigstore-bundle",
    "bundle_file",
    type=_FILE,
    metavar="BUNDLE",
    help="Verify a Sigstore bundle instead of an Ed25519 signature.",
)
@click.option("--identity", help="With --sigstore-bundle: the signer's identity (e.g. an email).")
@click.option("--issuer", help="With --sigstore-bundle: the OIDC issuer URL of that identity.")
@click.option("--staging", is_flag=True, help="With --sigstore-bundle: use Sigstore's staging instance.")
def verify(
    archive: Path,
    signature_file: Path | None,
    key_files: tuple[Path, ...],
    bundle_file: Path | None,
    identity: str | None,
    issuer: str | None,
    staging: bool,
) -> None:
    """Verify ARCHIVE's Ed25519 signature, or a Sigstore bundle for it (offline)."""
    from sdk.signing import (
        archive_digest,
        load_public_key,
        read_signature,
        signature_path,
        verify_archive_signature,
        verify_sigstore_files,
    )

    if bundle_file is not None:
        if signature_file is not None or key_files:
            raise click.UsageError("--sigstore-bundle cannot be combined with --signature or --key")
        if not identity or not issuer:
            raise click.UsageError("--sigstore-bundle needs both --identity and --issuer")
        verify_sigstore_files(archive, bundle_file, identity=identity, issuer=issuer, staging=staging)
        echo(f"OK: signed by {identity} ({issuer})")
        return
    if identity or issuer or staging:
        raise click.UsageError("--identity, --issuer and --staging only apply to --sigstore-bundle")
    signature = read_signature(signature_file or signature_path(archive))
    if key_files:
        trusted = [load_public_key(path) for path in key_files]
    else:
        from host.paths import host_paths
        from host.trust import TrustStore

        entries = TrustStore(host_paths()).entries()
        trusted = [entry.public_key for entry in entries]
    key = verify_archive_signature(archive_digest(archive), signature, trusted)
    echo(f"OK: signed by {key.key_id}")
