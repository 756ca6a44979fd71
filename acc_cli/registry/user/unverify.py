"""`acc registry user unverify`: a publisher loses the verified mark, however it was got."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("unverify")
@click.argument("name")
@click.option("--note", default="", metavar="TEXT", help="Why, for the audit log (not shown publicly).")
@data_option
def unverify(name: str, note: str, data_dir: Path | None) -> None:
    """Remove the verified-publisher mark from the account NAME."""
    from registry.publisher_verification import unverify_user_command

    if unverify_user_command(registry_config(data_dir), name, note):
        echo(f"{name} is no longer marked a verified publisher")
    else:
        echo(f"{name} was not verified: nothing changed")
