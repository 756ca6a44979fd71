"""`acc registry token revoke`: end an API token for good."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._format import minute
from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("revoke")
@click.argument("reference", metavar="PREFIX_OR_ID")
@data_option
def revoke(reference: str, data_dir: Path | None) -> None:
    """Revoke the API token PREFIX_OR_ID: its id or prefix from `acc registry token list`
    (the start of a prefix will do if only one token's prefix starts so), or the whole
    token text. Revoking a revoked token changes nothing. The user is notified."""
    from registry.operator_credentials import revoke_token

    result = revoke_token(registry_config(data_dir), reference)
    t = result.token
    if result.changed:
        echo(f"revoked token {t.prefix} (id {t.id}) of {t.user}")
    else:
        echo(f"token {t.prefix} (id {t.id}) of {t.user} was already revoked on {minute(t.revoked_at)} UTC")
