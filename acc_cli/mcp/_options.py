"""What the `acc mcp` commands share: the --plugins and --project options, and how a
client should start acc."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click


def plugins_option(f: Any) -> Any:
    return click.option(
        "--plugins",
        "plugins",
        metavar="NAME,...",
        help="The installed plugins to serve (default: `plugins` in [mcp] of ACC_HOME/config.toml, else all "
        "installed, including ones installed while the server runs).",
    )(f)


def split(option: str | None) -> list[str] | None:
    """`--plugins a, b,` as ["a", "b"]; None when not given."""
    if option is None:
        return None
    return [name.strip() for name in option.split(",") if name.strip()]


def acc_command() -> tuple[str, tuple[str, ...]]:
    """(executable, leading arguments) that start this acc, by absolute path."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "acc" and script.exists():
        return str(script.absolute()), ()
    return sys.executable, ("-m", "acc_cli")


def acc_home_setting() -> Path | None:
    """ACC_HOME as this shell has it (absolute), for a client whose environment lacks it."""
    value = os.environ.get("ACC_HOME")
    return Path(value).expanduser().absolute() if value else None
