"""The `acc` command: a small root that loads each command group only when it is invoked.

Nothing here imports wasmtime, sigstore or the modules that do; each command imports what
it needs. Every `AccError` a command raises is printed here, once, as `error: ...` with its
hint and exit status 1, so commands never catch errors just to print them.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from acc_cli import __version__
from acc_cli.lazy import LazyGroup
from acc_cli.terminal import err
from sdk.errors import AccError


class RootGroup(LazyGroup):
    """Prints every `AccError` as `error: ...` plus its hint, exit status 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccError as e:
            err(f"error: {e.diagnostics()}")
            sys.exit(1)
        except KeyboardInterrupt:
            # Every change to the store, the trust list and the marketplaces is one atomic
            # rename, so an interrupt leaves each as it was or as it was going to be.
            err("interrupted: nothing was left half done")
            sys.exit(130)
        except OSError as e:
            if e.errno not in _DISK_FULL:
                raise
            where = f" to {e.filename}" if e.filename else ""
            err(
                f"error: the disk is full: could not write{where} ({e.strerror})\n"
                "  hint: free some space and run the command again; installed plugins were left as they "
                "were (every change to them is all or nothing)"
            )
            sys.exit(1)


# No space, over quota, or over the file size limit: the same advice for all three.
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@click.group(
    cls=RootGroup,
    lazy={
        "plugin": ("acc_cli.plugin:plugin", "Find, install and run plugins; build, sign and publish your own."),
        "trust": ("acc_cli.trust:trust", "Manage the publisher keys you trust."),
        "marketplace": (
            "acc_cli.marketplace:marketplace",
            "Add, list, update and remove the marketplaces you install from.",
        ),
        "registry": ("acc_cli.registry:registry", "Run a marketplace registry: init, serve, users, tokens, keys."),
        "agent": ("acc_cli.agent:agent", "Let Claude work on a project through installed plugins."),
        "doctor": ("acc_cli.doctor:doctor", "Say which OS sandbox confines launched programs; versions, paths."),
        "mcp": ("acc_cli.mcp:mcp", "Serve installed plugins as sandboxed MCP tools (Claude Code, Cursor, ...)."),
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(version=__version__, prog_name="acc")
def cli() -> None:
    """acc: install, run and publish sandboxed WebAssembly plugins."""
