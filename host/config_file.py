"""ACC_HOME/config.toml: one table per part of acc (`[agent]`, `[mcp]`), read here.

Each part checks its own table's keys and values; this module only finds the file,
parses it, and refuses what is not TOML or not a table, with the path in the message.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from host.errors import InputError

CONFIG_FILE = "config.toml"


def config_table(home: Path, table: str) -> dict[str, Any]:
    """The `[table]` of HOME/config.toml: {} when the file or the table is absent."""
    path = home / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path} is not valid TOML ({e})", hint="fix or remove it") from e
    value = data.get(table, {})
    if not isinstance(value, dict):
        raise InputError(f"{path}: [{table}] must be a table")
    return dict(value)
