"""`acc registry user verify`: the operator vouches for who a publisher is (the verified mark)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("verify")
@click.argument("name")
@click.option("--note", default="", metavar="TEXT", help="How you checked, for the audit log (not shown publicly).")
@data_option
def verify(name: str, note: str, data_dir: Path | None) -> None:
    """Mark the account NAME a verified publisher (on the web and in `acc plugin search/info`)."""
    from registry.publisher_verification import verify_user_command

    if verify_user_command(registry_config(data_dir), name, note):
        echo(f"{name} is now a verified publisher (checked by the operator)")
    else:
        echo(f"{name} was already verified by the operator: nothing changed")
