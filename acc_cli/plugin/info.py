"""`acc plugin info`: an installed plugin from the local store, or what a marketplace lists."""

from __future__ import annotations

import json

import click

from acc_cli.plugin._common import offline
from acc_cli.terminal import echo
from host.paths import host_paths
from sdk.errors import AccError
from sdk.terminal_text import printable


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--available",
    is_flag=True,
    help="Show what the marketplace publishes (versions, yanks, capabilities) even if it is installed.",
)
@click.option("--marketplace", "marketplace", metavar="NAME", help="Look it up on this marketplace only.")
def info(name: str, as_json: bool, available: bool, marketplace: str | None) -> None:
    """Show a plugin: an installed one from the local store (works offline); otherwise, or with
    --available, what the marketplace's signed index lists for NAME[@MARKETPLACE]."""
    from host.store import LocalStore

    installed = LocalStore(host_paths()).find(name)
    if installed is None or available or marketplace:
        _marketplace_info(name, marketplace=marketplace, as_json=as_json)
        return
    manifest = installed.manifest()
    if as_json:
        echo(
            json.dumps(
                {
                    "name": installed.name,
                    "version": installed.version,
                    "versions": list(installed.versions),
                    "description": manifest.description,
                    "signer": installed.signer,
                    "marketplace": installed.marketplace or None,
                    "capabilities": {
                        k: {
                            "scope": c.scope_summary(),
                            "reason": c.reason,
                            "granted": k in installed.granted,
                            "read_only": k in installed.read_only,
                        }
                        for k, c in sorted(manifest.capabilities.items())
                    },
                    "commands": {
                        c.name: {"description": c.description, "input": dict(c.input_schema), "verdict": c.verdict}
                        for c in manifest.commands
                    },
                },
                indent=2,
            )
        )
        return
    echo(f"{installed.name} {installed.version} — {manifest.description}")
    source = f"   from: {installed.marketplace}" if installed.marketplace else ""
    echo(f"  signed by: {installed.signer}   installed: {installed.installed_at}{source}")
    if len(installed.versions) > 1:
        echo(f"  versions kept: {', '.join(installed.versions)}")
    echo("capabilities:" if manifest.capabilities else "capabilities: none")
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "DENIED"
        narrowed = " (granted for reading only)" if kind in installed.read_only else ""
        echo(f"  [{mark}] {kind}: {capability.scope_summary()}{narrowed}\n      why: {capability.reason}")
    echo("commands:")
    for command in manifest.commands:
        echo(f"  {command.name}: {command.description}")
        echo(f"      input: {json.dumps(dict(command.input_schema), sort_keys=True)}")
        if command.verdict:
            echo(f"      a check: `acc plugin run` exits 1 when the result's {command.verdict} is false")


def _marketplace_info(requirement: str, *, marketplace: str | None, as_json: bool) -> None:
    """A plugin that is not installed (or --available): what the marketplace's TUF-verified index lists."""
    from host.marketplace.listing import list_plugin

    try:
        listing = list_plugin(host_paths(), requirement, marketplace=marketplace)
    except AccError as e:
        raise offline(
            e,
            "`acc plugin info NAME` works offline for installed plugins (`acc plugin list`); "
            "others need the marketplace",
            changed=False,
        ) from e
    from host.marketplace.listing import signer_changes

    index, newest, ordered = listing.index, listing.newest, listing.versions
    new_signers = signer_changes(index)
    if as_json:
        echo(
            json.dumps(
                {
                    "name": index.name,
                    "marketplace": listing.marketplace,
                    "owner": index.owner,
                    "deprecated": index.deprecated or None,
                    "latest": newest.version if newest else None,
                    "versions": [
                        {
                            "version": e.version,
                            "yanked": e.yanked,
                            "yank_reason": e.yank_reason or None,
                            "abi": e.abi,
                            "runs_here": listing.runs_here(e),
                            "signer": e.signer.describe(),
                            "signer_changed_from": new_signers.get(e.version),
                            "publisher": e.publisher or index.owner,
                            "capabilities": e.capabilities,
                            "dependencies": e.dependencies,
                            "sha256": e.sha256,
                            "length": e.length,
                        }
                        for e in ordered
                    ],
                },
                indent=2,
            )
        )
        return
    echo(f"{index.name} on {listing.marketplace} (owner {index.owner}), verified by its signed index")
    if index.deprecated:
        echo(f"  DEPRECATED: {printable(index.deprecated)}")  # the publisher's words: one line
    echo("versions:")
    for entry in ordered:
        notes = []
        if newest is not None and entry.version == newest.version:
            notes.append("newest for this host")
        if entry.yanked:
            notes.append(f"YANKED: {printable(entry.yank_reason or 'no reason given')}")
        if not listing.runs_here(entry):
            notes.append(f"needs plugin ABI {entry.abi}")
        if entry.version in new_signers:
            notes.append(f"NEW SIGNER {entry.signer.describe()} (before: {new_signers[entry.version]})")
        echo(f"  {entry.version:<12} {'; '.join(notes)}".rstrip())
    shown = newest or (ordered[0] if ordered else None)
    if shown is None:
        return
    echo(f"{shown.version}: signed by {shown.signer.describe()}, published by {shown.publisher or index.owner}")
    echo("  capabilities:" if shown.capabilities else "  capabilities: none")
    for kind, summary in sorted(shown.capabilities.items()):
        scope = summary.get("scope", "") if isinstance(summary, dict) else ""
        reason = summary.get("reason", "") if isinstance(summary, dict) else ""
        echo(f"    {printable(kind)}: {printable(str(scope))}\n        why: {printable(str(reason))}")
    if shown.dependencies:
        echo("  needs: " + ", ".join(f"{dep}{spec}" for dep, spec in sorted(shown.dependencies.items())))
    echo(f"install: acc plugin install {index.name}")
