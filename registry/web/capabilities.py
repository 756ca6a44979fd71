"""How the pages present a plugin's capabilities: what each means, and which deserve a warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: kind -> (what it lets the plugin do, in plain words; whether to warn about it)
_MEANINGS: dict[str, tuple[str, bool]] = {
    "process": ("Runs programs on your computer", True),
    "http": ("Connects to hosts on the network", True),
    "llm": ("Sends prompts to Claude over the network", True),
    "secrets": ("Reads secrets from your environment", True),
    "fs": ("Accesses your project's files", False),
    "plugins": ("Calls other installed plugins", False),
    "kv": ("Keeps its own small data store", False),
}


@dataclass(frozen=True)
class CapabilityView:
    kind: str
    meaning: str
    scope: str
    reason: str
    high_risk: bool


def capability_views(capabilities: dict[str, Any]) -> list[CapabilityView]:
    """The capabilities of a version (`{kind: {"scope", "reason"}}`), riskiest first."""
    views = []
    for kind, detail in capabilities.items():
        meaning, risky = _MEANINGS.get(kind, (f"Uses the {kind} capability", True))
        detail = detail if isinstance(detail, dict) else {}
        scope = str(detail.get("scope", ""))
        if kind == "fs" and "write" in scope:
            risky = True
        views.append(
            CapabilityView(
                kind=kind, meaning=meaning, scope=scope, reason=str(detail.get("reason", "")), high_risk=risky
            )
        )
    return sorted(views, key=lambda v: (not v.high_risk, v.kind))
