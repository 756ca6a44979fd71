"""The capability kinds: one module per kind, found here by name.

A kind is one unit in two layers: its format in `sdk/capabilities/<kind>.py` (scope
fields and how they parse, summary, meaning and risk wording, widening rules; see
`sdk.capabilities.kind`) and its runtime binding in `host/capabilities/<kind>.py`.
Adding a kind means adding those two modules (and, for a kind served by an interface,
that interface in `sdk/wit/plugin.wit`); the table below finds the first, the host
finds the second by the same name, and a test checks that every kind has both.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from sdk.capabilities.kind import MAX_REASON_LENGTH, Capability, CapabilityKind, Change
from sdk.errors import ManifestError
from sdk.terminal_text import refuse_unsafe_text

__all__ = ["KINDS", "Capability", "CapabilityKind", "Change", "parse_capability"]

#: Modules of this package that are not kinds.
_NOT_KINDS = frozenset({"kind", "diff"})


def _discover() -> dict[str, CapabilityKind]:
    kinds: dict[str, CapabilityKind] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name in _NOT_KINDS or module_info.name.startswith("_"):
            continue
        kind = importlib.import_module(f"{__name__}.{module_info.name}").KIND
        if not isinstance(kind, CapabilityKind) or kind.name != module_info.name:
            raise TypeError(f"sdk.capabilities.{module_info.name}.KIND must be the CapabilityKind of that name")
        kinds[kind.name] = kind
    return kinds


#: Every capability kind a manifest may declare, by name.
KINDS: Mapping[str, CapabilityKind] = _discover()


def parse_capability(kind: str, table: Any, source: str) -> Capability:
    """Parse `[capabilities.<kind>]` of a manifest; raise `ManifestError` naming the problem."""
    where = f"{source}: [capabilities.{kind}]"
    spec = KINDS.get(kind)
    if spec is None:
        raise ManifestError(f"{source}: unknown capability {kind!r}", hint="known capabilities: " + ", ".join(KINDS))
    if not isinstance(table, Mapping):
        raise ManifestError(f"{where} must be a table with a reason")
    refuse_unsafe_text(dict(table), where)
    known = spec.fields | {"reason"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown field {unknown[0]!r}", hint="known fields: " + ", ".join(sorted(known)))
    reason = table.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ManifestError(
            f"{where} has no reason",
            hint='say why the plugin needs it, e.g. reason = "Reads the commit history with git."',
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ManifestError(f"{where}: reason is longer than {MAX_REASON_LENGTH} characters")
    return spec.parse(table, reason.strip(), where)
