"""`acc plugin list`: the installed plugins, from the local store (works offline)."""

from __future__ import annotations

import click

from acc_cli.terminal import echo, emit_json
from host.paths import host_paths


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def list_plugins(as_json: bool) -> None:
    """List installed plugins."""
    from host.store import LocalStore

    plugins = LocalStore(host_paths()).list()
    if as_json:
        emit_json(
            [
                {
                    "name": p.name,
                    "version": p.version,
                    "versions": list(p.versions),
                    "enabled": p.enabled,
                    "granted": sorted(p.granted),
                    "read_only": sorted(p.read_only),
                    "signer": p.signer,
                    "installed_at": p.installed_at,
                    "marketplace": p.marketplace or None,
                }
                for p in plugins
            ]
        )
        return
    if not plugins:
        echo("no plugins installed (install one with `acc plugin install ARCHIVE`)")
        return
    width = max(len(p.name) for p in plugins)
    for p in plugins:
        grants = ", ".join(f"{k} (read-only)" if k in p.read_only else k for k in sorted(p.granted))
        disabled = "" if p.enabled else "  (disabled)"
        echo(f"{p.name:<{width}}  {p.version:<10}  granted: {grants or '-'}{disabled}")
