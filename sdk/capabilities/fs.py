"""Capability `fs`: the project directory, mounted in the sandbox at /project.

    [capabilities.fs]
    access = "read"          # or "read-write"
    reason = "Reads the source files it reports on."

Served by WASI preopens, not by an interface of the ABI: the plugin uses ordinary file
calls, and nothing outside the project exists for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change
from sdk.errors import ManifestError

#: Where the plugin sees the project directory.
GUEST_PROJECT_DIR = "/project"


@dataclass(frozen=True)
class FsCapability(Capability):
    writable: bool = False

    kind: ClassVar[str] = "fs"
    meaning: ClassVar[str] = "Accesses your project's files"
    risky: ClassVar[bool] = False

    def may_modify(self) -> bool:
        return self.writable

    def scope_summary(self) -> str:
        return "read and write the project" if self.writable else "read the project"

    def warning(self) -> str:
        return "can change and delete files in the project" if self.writable else ""

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, FsCapability)
        if self.writable and not old.writable:
            return [Change(self.kind, "fs: may now change and delete files in the project (was read-only)", True)]
        if old.writable and not self.writable:
            return [Change(self.kind, "fs: now only reads the project (was read-write)", False)]
        return []

    def scope(self) -> dict[str, Any]:
        return {"access": "read-write" if self.writable else "read"}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> FsCapability:
    access = table.get("access", "read")
    if access not in ("read", "read-write"):
        raise ManifestError(f'{where}: access must be "read" or "read-write", not {access!r}')
    return FsCapability(reason, writable=access == "read-write")


KIND = CapabilityKind(scope_type=FsCapability, interface=None, functions=(), fields=frozenset({"access"}), parse=_parse)
