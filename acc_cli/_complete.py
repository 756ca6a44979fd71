"""Shell completion of the values only this user's state knows: installed plugins, their
commands and capabilities, added marketplaces.

click completes commands and options itself (`_ACC_COMPLETE=bash_source acc`, see the
README); these callbacks, given as `shell_complete=` to arguments and options, read the
store's state.json and a plugin.toml as plain JSON and TOML (no manifest checks, no
wasmtime) and never fail: a damaged or missing home completes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click
    from click.shell_completion import CompletionItem


def installed_plugins(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Installed plugin names starting with `incomplete`, each with its version."""
    from click.shell_completion import CompletionItem

    try:
        from host.paths import host_paths
        from host.store import LocalStore

        plugins = LocalStore(host_paths()).list()
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [
        CompletionItem(p.name, help=p.version + ("" if p.enabled else " (disabled)"))
        for p in plugins
        if p.name.startswith(incomplete.lower())
    ]


def plugin_commands(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The commands of the plugin named earlier on the line (the `name` argument)."""
    from click.shell_completion import CompletionItem

    commands, _ = _declared(ctx)
    return [CompletionItem(c) for c in commands if c.startswith(incomplete)]


def plugin_capabilities(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The capability kinds the plugin named earlier on the line declares."""
    from click.shell_completion import CompletionItem

    _, capabilities = _declared(ctx)
    return [CompletionItem(k) for k in capabilities if k.startswith(incomplete)]


def marketplaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Added marketplace names starting with `incomplete`, each with its URL."""
    from click.shell_completion import CompletionItem

    try:
        from host.marketplace.config import MarketplaceConfig
        from host.paths import host_paths

        markets = MarketplaceConfig(host_paths()).list()
    except Exception:
        return []
    return [CompletionItem(m.name, help=m.url) for m in markets if m.name.startswith(incomplete)]


def _declared(ctx: click.Context) -> tuple[list[str], list[str]]:
    name = ctx.params.get("name")
    if not isinstance(name, str):
        return [], []
    try:
        from host.paths import host_paths
        from host.store import LocalStore

        installed = LocalStore(host_paths()).find(name)
        return installed.declared() if installed is not None else ([], [])
    except Exception:
        return [], []
