"""`acc plugin info`: an installed plugin from the local store, or what a marketplace lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from acc_cli._complete import installed_plugins, marketplaces
from acc_cli.plugin._common import offline
from acc_cli.terminal import echo, emit_json, err, human_size, table
from host.paths import host_paths
from sdk.errors import AccError
from sdk.parameters import HEADER, parameter_rows
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from sdk.manifest import Command, Manifest


@click.command()
@click.argument("name", shell_complete=installed_plugins)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@click.option(
    "--available",
    is_flag=True,
    help="Show what the marketplace publishes (versions, yanks, capabilities) even if it is installed.",
)
@click.option(
    "--marketplace",
    "marketplace",
    metavar="NAME",
    shell_complete=marketplaces,
    help="Look it up on this marketplace only.",
)
def info(name: str, as_json: bool, available: bool, marketplace: str | None) -> None:
    """Show a plugin: an installed one from the local store (works offline); otherwise, or with
    --available, what the marketplace's signed index lists for NAME[@MARKETPLACE], with its
    description, commands, license and homepage."""
    from host.marketplace.config import MarketplaceConfig
    from host.store import LocalStore

    paths = host_paths()
    store = LocalStore(paths)
    installed = store.find(name)
    if installed is None and not (available or marketplace or "@" in name or MarketplaceConfig(paths).list()):
        store.get(name)  # no marketplace to ask: "not installed", with the installed names it resembles
    if installed is None or available or marketplace:
        _marketplace_info(name, marketplace=marketplace, as_json=as_json)
        return
    manifest = installed.manifest()
    size = installed.wasm_path.stat().st_size
    if as_json:
        emit_json(
            {
                "installed": True,
                "name": installed.name,
                "version": installed.version,
                "versions": list(installed.versions),
                "enabled": installed.enabled,
                "description": manifest.description,
                "license": manifest.license or None,
                "homepage": manifest.homepage or None,
                "authors": list(manifest.authors),
                "signer": installed.signer,
                "marketplace": installed.marketplace or None,
                "installed_at": installed.installed_at,
                "component_bytes": size,
                "capabilities": {
                    k: {
                        "scope": c.scope_summary(),
                        "reason": c.reason,
                        "granted": k in installed.granted,
                        "read_only": k in installed.read_only,
                    }
                    for k, c in sorted(manifest.capabilities.items())
                },
                "commands": _commands_json(manifest),
            }
        )
        return
    echo(f"{installed.name} {installed.version} — {manifest.description}")
    source = f"   from: {installed.marketplace}" if installed.marketplace else ""
    echo(f"  signed by: {installed.signer}   installed: {installed.installed_at}{source}")
    _echo_about(manifest)
    echo(f"  component: {human_size(size)}")
    if not installed.enabled:
        echo(
            "  DISABLED: it does not run and is not offered as a tool "
            f"(`acc plugin enable {installed.name}` enables it)"
        )
    if len(installed.versions) > 1:
        echo(f"  versions kept: {', '.join(installed.versions)}")
    echo("capabilities:" if manifest.capabilities else "capabilities: none")
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "DENIED"
        narrowed = " (granted for reading only)" if kind in installed.read_only else ""
        echo(f"  [{mark}] {kind}: {capability.scope_summary()}{narrowed}\n      why: {capability.reason}")
    echo("commands:")
    _echo_commands(manifest.commands, indent="  ")


def _echo_about(manifest: Manifest) -> None:
    """The license, homepage and authors line, with what plugin.toml declares of them."""
    about = [
        f"{label}: {value}"
        for label, value in (
            ("license", manifest.license),
            ("homepage", manifest.homepage),
            ("authors", ", ".join(manifest.authors)),
        )
        if value
    ]
    if about:
        echo("  " + "   ".join(about))


def _echo_commands(commands: tuple[Command, ...], *, indent: str) -> None:
    """Each command with its description, then its parameters as a table."""
    for command in commands:
        echo(f"{indent}{command.name}: {command.description}")
        rows = parameter_rows(command.input_schema)
        if rows:
            table([HEADER, *rows], indent=indent + "  ")
        else:
            echo(f"{indent}  (no parameters)")
        if command.verdict:
            echo(f"{indent}  a check: `acc plugin run` exits 1 when the result's {command.verdict} is false")


def _commands_json(manifest: Manifest) -> dict[str, Any]:
    return {
        c.name: {"description": c.description, "input": dict(c.input_schema), "verdict": c.verdict}
        for c in manifest.commands
    }


def _marketplace_info(requirement: str, *, marketplace: str | None, as_json: bool) -> None:
    """A plugin that is not installed (or --available): what the marketplace's TUF-verified index
    lists, and what its plugin.toml says (description, commands, license, homepage)."""
    from host.marketplace.listing import list_plugin, published_manifest, signer_changes

    paths = host_paths()
    try:
        listing = list_plugin(paths, requirement, marketplace=marketplace)
    except AccError as e:
        raise offline(
            e,
            "`acc plugin info NAME` works offline for installed plugins (`acc plugin list`); "
            "others need the marketplace",
            changed=False,
        ) from e
    index, newest, ordered = listing.index, listing.newest, listing.versions
    new_signers = signer_changes(index)
    shown = newest or (ordered[0] if ordered else None)
    manifest = published_manifest(paths, listing, shown) if shown is not None else None
    if as_json:
        emit_json(
            {
                "installed": False,
                "name": index.name,
                "marketplace": listing.marketplace,
                "owner": index.owner,
                "owner_verified": index.owner_verified.to_json() if index.owner_verified else None,
                "deprecated": index.deprecated or None,
                "taken_down": index.taken_down or None,
                "latest": newest.version if newest else None,
                "description": manifest.description if manifest else None,
                "license": (manifest.license or None) if manifest else None,
                "homepage": (manifest.homepage or None) if manifest else None,
                "authors": list(manifest.authors) if manifest else [],
                "commands": _commands_json(manifest) if manifest else None,
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
            }
        )
        return
    owner = f"owner {index.owner}" + (f", {index.owner_verified.text()}" if index.owner_verified else "")
    echo(f"{index.name} on {listing.marketplace} ({owner}), verified by its signed index")
    if manifest is not None:
        echo(f"  {manifest.description}")
        _echo_about(manifest)
    elif shown is not None:
        err(f"note: {listing.marketplace} did not serve {index.name} {shown.version}'s plugin.toml: no description")
    if index.taken_down:  # the moderators' words: one line
        echo(f"  TAKEN DOWN by the marketplace's moderators: {printable(index.taken_down)} (no version installs)")
    if index.deprecated:
        echo(f"  DEPRECATED: {printable(index.deprecated)}")  # the publisher's words: one line
    echo("versions:")
    rows = []
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
        rows.append((entry.version, human_size(entry.length), "; ".join(notes)))
    if rows:
        table(rows, indent="  ")
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
    if manifest is not None:
        echo("  commands:")
        _echo_commands(manifest.commands, indent="    ")
    echo(f"install: acc plugin install {index.name}")
