"""`acc registry user reset-password`: a password reset link, mailed or printed."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err


@click.command("reset-password")
@click.argument("name")
@click.option(
    "--print-link",
    is_flag=True,
    help="Print the link instead of mailing it, for a registry without a mail server: hand it to the "
    "user yourself, over a channel you trust (whoever holds it sets the password).",
)
@data_option
def reset_password(name: str, print_link: bool, data_dir: Path | None) -> None:
    """Send NAME a one-time link to choose a new password, through the registry's mailer
    (SMTP, or the mail log in development). The current password keeps working until the
    link is used; using it ends every web session of the account."""
    from registry.operator_accounts import reset_password_link

    result = reset_password_link(registry_config(data_dir), name, print_link=print_link)
    if result.link is None:
        echo(f"mailed a password reset link for {name} to {result.email} through {result.delivered_by}")
        echo(f"it works once, within {result.valid_for}")
        return
    echo(result.link)
    if result.link.startswith("/"):
        err("note: the registry has no public_url: put its address in front of this path")
    err(f"note: the link sets {name}'s password: it works once, within {result.valid_for}; {name} was notified")
