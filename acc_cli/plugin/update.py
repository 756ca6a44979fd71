"""`acc plugin update`: newer versions of marketplace plugins, verified like an install."""

from __future__ import annotations

import sys

import click

from acc_cli._complete import installed_plugins
from acc_cli.plugin._common import ask_on_terminal, offline
from acc_cli.terminal import echo, emit_json, err, interactive, progress, table
from host.paths import host_paths
from sdk.errors import AccError


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...", shell_complete=installed_plugins)
@click.option("--check", is_flag=True, help="Only report what an update would change.")
@click.option("--json", "as_json", is_flag=True, help="With --check: machine-readable output (see docs/cli.md).")
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Accept updates that ask for more capabilities or are signed by another key (for scripts).",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="CAP",
    help="Grant what a new version newly asks of this capability kind (repeatable).",
)
@click.option(
    "--deny",
    "denies",
    multiple=True,
    metavar="CAP",
    help="Apply an update without granting what it newly asks of this capability kind (repeatable).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    envvar="ACC_KEEP_VERSIONS",
    help="How many previous versions to keep for rollback (env ACC_KEEP_VERSIONS).",
)
def update(
    names: tuple[str, ...],
    check: bool,
    as_json: bool,
    yes: bool,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    keep: int,
) -> None:
    """Update marketplace-installed plugins (all of them when no NAME is given)."""
    from host.consent import Answers
    from host.marketplace.update import (
        apply_updates,
        check_update,
        dependents_first,
        marketplace_plugins,
        session,
    )

    if as_json and not check:
        raise click.UsageError("--json reports what --check finds: pass --check --json")
    consent = Answers(
        yes=yes,
        ask=ask_on_terminal if interactive() and not yes else None,
        announce=echo,
        grant=frozenset(grants),
        deny=frozenset(denies),
    )
    paths = host_paths()
    plugins = dependents_first(marketplace_plugins(paths, names))
    if not plugins:
        if as_json:
            emit_json([])
        else:
            echo("no plugins installed from a marketplace")
        return
    failed = False
    with session(paths, progress()) as current:
        try:
            checks = [check_update(current, p) for p in plugins]
        except AccError as e:
            raise offline(e) from e
        if check and as_json:
            emit_json(
                [
                    {
                        "name": c.name,
                        "installed": c.installed.version,
                        "status": c.choice.status,
                        "available": c.choice.target.version if c.choice.target is not None else None,
                        "changes": c.describe_changes() or None if c.choice.status == "update" else None,
                        "note": c.choice.note or None,
                    }
                    for c in checks
                ]
            )
            return
        if check:
            rows: list[tuple[str, ...]] = [("NAME", "INSTALLED", "AVAILABLE", "CHANGES")]
            for c in checks:
                target = c.choice.target
                if c.choice.status == "update":
                    assert target is not None
                    rows.append((c.name, c.installed.version, target.version, c.describe_changes()))
                elif c.choice.status == "current":
                    rows.append(
                        (
                            c.name,
                            c.installed.version,
                            "-",
                            "up to date" + (f" ({c.choice.note})" if c.choice.note else ""),
                        )
                    )
                else:
                    rows.append((c.name, c.installed.version, "-", c.choice.note))
            table(rows)
            return
        for outcome in apply_updates(current, checks, consent, keep=keep):
            if outcome.error is not None:
                err(f"error: {outcome.error.diagnostics()}")
                failed = True
                continue
            c, updated = outcome.check, outcome.result
            name, version, target = c.name, c.installed.version, c.choice.target
            if updated is not None:
                for dependency, needed_by in updated.dependencies:
                    echo(
                        f"installed {dependency.name} {dependency.version} from {dependency.marketplace} "
                        f"(needed by {' and '.join(needed_by)})"
                    )
                echo(f"updated {name} {version} -> {updated.current.version}")
            elif c.choice.status == "current":
                echo(f"{name} {version} is up to date" + (f" ({c.choice.note})" if c.choice.note else ""))
            elif c.choice.status == "held" and target is not None:
                err(f"{c.choice.note}: not replacing {version} with an older version by itself")
                how = (
                    f"acc plugin rollback {name} --to {target.version}"
                    if target.version in c.installed.versions
                    else f"acc plugin install {name}=={target.version}"
                )
                err(f"  to switch to {target.version}: `{how}`")
            else:
                err(f"{name} {version}: {c.choice.note}")
                if c.index.taken_down:
                    err(
                        f"  {name} {version} is still installed and runs: `acc plugin remove {name}` removes it, "
                        f"`acc plugin disable {name}` stops it"
                    )
    if failed:
        sys.exit(1)
