"""`acc marketplace update`: refresh the signed metadata of the added marketplaces, say what changed."""

from __future__ import annotations

import sys
from typing import Any

import click

from acc_cli._complete import marketplaces
from acc_cli.terminal import echo, emit_json, err
from host.paths import host_paths


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...", shell_complete=marketplaces)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def update(names: tuple[str, ...], as_json: bool) -> None:
    """Refresh the TUF metadata of all (or the named) marketplaces, verified from the pinned
    root; say what changed and which installed plugins have newer versions. Exits 1 if a
    marketplace could not be refreshed (the others still are)."""
    from host.marketplace.refresh import RefreshFailure, RefreshReport, refresh_marketplaces

    results = refresh_marketplaces(host_paths(), names)
    failed = [r for r in results if isinstance(r, RefreshFailure)]
    reports = [r for r in results if isinstance(r, RefreshReport)]
    if as_json:
        emit_json([_json(r) for r in results])
    else:
        for report in reports:
            _describe(report)
    for failure in failed:
        err(f"error: {failure.error.diagnostics()}")
    if failed:
        sys.exit(1)


def _describe(report: Any) -> None:
    name, after = report.marketplace.name, report.after
    versions = ", ".join(f"{role} {state.version}" for role, state in after.items())
    if not report.before:
        echo(f"{name}: first refresh: {versions}")
    elif report.changed:
        echo(f"{name}: updated: {', '.join(report.changes()) or 'new expiry dates'}{_meaning(report)}")
    else:
        echo(f"{name}: up to date ({versions})")
    for plugin, installed, newer in report.updates:
        echo(f"  {plugin} {installed} -> {newer} is available (`acc plugin update {plugin}`)")


def _meaning(report: Any) -> str:
    """What the roles that moved mean for a user."""
    moved = {change.split()[0] for change in report.changes()}
    if "root" in moved:
        return " (a new root: the marketplace rotated its keys)"
    if moved & {"snapshot", "targets"}:
        return " (plugins were published, updated or yanked)"
    return ""


def _json(result: Any) -> dict[str, Any]:
    from host.marketplace.refresh import RefreshFailure

    market = result.marketplace
    entry: dict[str, Any] = {"name": market.name, "url": market.url}
    if isinstance(result, RefreshFailure):  # the same keys, so scripts need no second shape
        return {
            **entry,
            "status": "failed",
            "error": result.error.message,
            "changes": [],
            "versions": {},
            "expires": {},
            "updates": [],
        }
    return {
        **entry,
        "status": "first" if not result.before else "updated" if result.changed else "current",
        "error": None,
        "changes": result.changes(),
        "versions": {role: state.version for role, state in result.after.items()},
        "expires": {role: state.expires for role, state in result.after.items()},
        "updates": [{"name": p, "installed": i, "available": n} for p, i, n in result.updates],
    }
