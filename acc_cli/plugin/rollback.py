"""`acc plugin rollback`: switch a plugin back to a kept version the marketplace still vouches for."""

from __future__ import annotations

import click

from acc_cli.plugin._common import ask_on_terminal, offline
from acc_cli.terminal import confirm, echo, interactive, progress
from host.paths import host_paths
from sdk.errors import AccError


@click.command()
@click.argument("name")
@click.option(
    "--to",
    "to",
    metavar="VERSION",
    help="The kept version to switch to (default: the newest earlier one "
    "the marketplace still lists and has not yanked).",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Accept a version that asks for more capabilities; confirm a yanked or unlisted --to VERSION.",
)
def rollback(name: str, to: str | None, yes: bool) -> None:
    """Switch NAME back to an earlier installed version the marketplace still vouches for."""
    from host.consent import Answers
    from host.marketplace.update import rollback as rollback_plugin
    from host.marketplace.update import session

    asking = interactive() and not yes
    consent = Answers(yes=yes, ask=ask_on_terminal if asking else None, announce=echo)

    def confirm_or_yes(question: str) -> bool:
        if yes:
            echo(f"{question} yes (--yes)")
            return True
        return confirm(question)

    with session(host_paths(), progress()) as current:
        try:
            result = rollback_plugin(current, name, to, consent, confirm_or_yes if yes or asking else None)
        except AccError as e:
            raise offline(e) from e
    echo(f"rolled back {name} {result.previous.version} -> {result.current.version}")
