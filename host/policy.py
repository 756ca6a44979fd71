"""Host policy: the ceilings that apply whatever a manifest asks for.

`HostPolicy` holds every per-plugin limit the host enforces; a manifest's `[limits]`
(memory_mb, timeout_seconds, fuel) can ask for less, never more. The user sets the
ceilings in the `[limits]` table of `ACC_HOME/config.toml` (`load_policy`). Where each
limit applies, and the few that live elsewhere, is listed in docs/limits.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sdk.errors import AccError


@dataclass(frozen=True)
class HostPolicy:
    """Limits the host enforces on every plugin; a manifest can ask for less, never more."""

    max_memory_mb: int = 1024
    max_timeout_seconds: float = 600.0
    max_input_bytes: int = 4 * 1024 * 1024
    max_result_bytes: int = 8 * 1024 * 1024
    max_log_bytes: int = 1024 * 1024
    #: Log records (lines, progress updates) kept per plugin: an empty line costs no bytes.
    max_log_records: int = 10_000
    max_call_depth: int = 4
    max_kv_quota_bytes: int = 64 * 1024 * 1024
    #: The most instructions (wasmtime fuel) one call may execute: deterministic, unlike the
    #: wall clock. None: no ceiling. Fuel is metered for a plugin when this or its
    #: manifest's `[limits] fuel` is set (the smaller one applies).
    fuel_per_call: int | None = None
    #: Sandboxes a long-lived host (MCP server, agent run) keeps open at once; the least
    #: recently used beyond this is closed and reopened on its next call (about 10 ms from
    #: the compiled cache). Each open Python plugin holds about 5-6 MB of private memory.
    max_live_sandboxes: int = 8

    def memory_bytes(self, requested_mb: int) -> int:
        return min(requested_mb, self.max_memory_mb) * 1024 * 1024

    def timeout_seconds(self, requested: float) -> float:
        return min(requested, self.max_timeout_seconds)

    def fuel(self, requested: int | None) -> int | None:
        """The fuel per call for a manifest asking `requested` (None: not metered)."""
        asks = [f for f in (requested, self.fuel_per_call) if f is not None]
        return min(asks) if asks else None


class PolicyError(AccError):
    """The `[limits]` table of config.toml is not valid."""


def load_policy(home: Path) -> HostPolicy:
    """The host policy from the `[limits]` table of `home/config.toml` (defaults without one)."""
    path = home / "config.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return HostPolicy()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PolicyError(f"cannot read {path}: {e}", hint="fix or remove the file") from e
    table = data.get("limits", {})
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: [limits] must be a table")
    known = {f.name: f for f in fields(HostPolicy)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise PolicyError(f"{path}: [limits] has no setting {key!r}", hint="settings: " + ", ".join(sorted(known)))
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise PolicyError(f"{path}: [limits] {key} must be a positive number")
        if known[key].type != "float" and not isinstance(value, int):
            raise PolicyError(f"{path}: [limits] {key} must be a whole number")
        values[key] = value
    return HostPolicy(**values)
