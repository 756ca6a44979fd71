"""Capability `plugins`: call named installed plugins (each under its own grants) and emit events to them.

[capabilities.plugins]
plugins = ["git"]
reason = "Builds the changelog from the git plugin's log."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, nonempty_list, set_changes
from sdk.names import check_name


@dataclass(frozen=True)
class PluginsCapability(Capability):
    plugins: tuple[str, ...] = ()

    kind: ClassVar[str] = "plugins"
    meaning: ClassVar[str] = "Calls other installed plugins"
    risky: ClassVar[bool] = False

    def scope_summary(self) -> str:
        return "call plugins: " + ", ".join(self.plugins)

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, PluginsCapability)
        return set_changes(self.kind, old.plugins, self.plugins, "may now call plugin", "no longer calls plugin")

    def scope(self) -> dict[str, Any]:
        return {"plugins": list(self.plugins)}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> PluginsCapability:
    plugins = nonempty_list(table, "plugins", where)
    for plugin in plugins:
        check_name(plugin)
    return PluginsCapability(reason, plugins=plugins)


KIND = CapabilityKind(
    scope_type=PluginsCapability,
    interface="plugins",
    functions=("call", "emit"),
    fields=frozenset({"plugins"}),
    parse=_parse,
)
