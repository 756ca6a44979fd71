"""The `acc` command: a small root that loads each command group only when it is invoked.

Start-up matters (`acc --help` and `acc plugin list` have budgets), so nothing here
imports wasmtime, sigstore or the modules that do; each command imports what it needs.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import click

from sdk.errors import AccError
from sdk.terminal_text import printable


class LazyGroup(click.Group):
    """A group whose commands are `(module:attribute, short help)`, imported on first use.

    The short help lives here so that `--help` lists commands without importing them.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


class RootGroup(LazyGroup):
    """Prints every `AccError` as `error: ...` plus its hint, exit status 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccError as e:
            # Errors carry text from plugins, manifests and marketplaces: never let it drive the terminal.
            click.echo(f"error: {printable(e.diagnostics(), multiline=True)}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            # Every change to the store, the trust list and the marketplaces is one atomic
            # rename, so an interrupt leaves each as it was or as it was going to be.
            click.echo("interrupted: nothing was left half done", err=True)
            sys.exit(130)
        except OSError as e:
            if e.errno not in _DISK_FULL:
                raise
            where = f" to {e.filename}" if e.filename else ""
            click.echo(
                f"error: the disk is full: could not write{where} ({e.strerror})\n"
                "  hint: free some space and run the command again; installed plugins were left as they "
                "were (every change to them is all or nothing)",
                err=True,
            )
            sys.exit(1)


# No space, over quota, or over the file size limit: the same advice for all three.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@click.group(
    cls=RootGroup,
    lazy={
        "plugin": ("host.main:plugin", "Find, install and run plugins; build, sign and publish your own."),
        "trust": ("host.trust_cli:trust", "Manage the publisher keys you trust."),
        "marketplace": ("host.marketplace_cli:marketplace", "Add, list and remove the marketplaces you install from."),
        "registry": ("registry.cli:registry", "Run a marketplace registry: init, serve, users, tokens, keys."),
        "agent": ("host.agent_cli:agent", "Let Claude work on a project through installed plugins."),
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="acc-plugins", prog_name="acc")
def cli() -> None:
    """acc: install, run and publish sandboxed WebAssembly plugins."""


@click.group(
    cls=LazyGroup,
    lazy={
        # plugin users (host/)
        "search": ("host.marketplace_cli:search", "Search the added marketplaces for plugins."),
        "install": ("host.cli:install", "Install NAME[SPEC] from a marketplace, or a signed archive file."),
        "update": ("host.marketplace_cli:update", "Update marketplace plugins (--check only reports)."),
        "rollback": ("host.marketplace_cli:rollback", "Switch a plugin back to an earlier installed version."),
        "lock": ("host.marketplace_cli:lock", "Write installed marketplace plugins to acc.lock."),
        "list": ("host.cli:list_plugins", "List installed plugins."),
        "info": ("host.cli:info", "Show a plugin's capabilities, grants and commands."),
        "remove": ("host.cli:remove", "Remove an installed plugin."),
        "grant": ("host.cli:grant", "Grant a plugin a capability it declares."),
        "revoke": ("host.cli:revoke", "Revoke a capability from a plugin."),
        "run": ("host.cli:run", "Run a command of an installed plugin."),
        # plugin authors (sdk/)
        "new": ("sdk.cli:new", "Scaffold a new Python plugin."),
        "build": ("sdk.cli:build", "Build a plugin into NAME-VERSION.plugin."),
        "keygen": ("sdk.signing_cli:keygen", "Create an Ed25519 signing key pair."),
        "sign": ("sdk.signing_cli:sign", "Sign a plugin archive."),
        "verify": ("sdk.signing_cli:verify", "Verify an archive's Ed25519 signature or Sigstore bundle."),
        "publish": ("sdk.publish_cli:publish", "Upload a signed archive to a registry."),
        "yank": ("sdk.publish_cli:yank", "Yank a published version (with a reason)."),
        "unyank": ("sdk.publish_cli:unyank", "Undo a yank."),
        "deprecate": ("sdk.publish_cli:deprecate", "Deprecate a published plugin with a message."),
    },
)
def plugin() -> None:
    """Find, install and run plugins; build, sign, verify and publish your own."""
