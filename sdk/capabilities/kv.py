"""Capability `kv`: a small persistent key-value store of the plugin's own, with a quota.

[capabilities.kv]
quota_bytes = 1048576    # optional; the host caps it at its own ceiling
reason = "Remembers the last run to report regressions."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, amount_change, positive_int

DEFAULT_KV_QUOTA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class KvCapability(Capability):
    quota_bytes: int = DEFAULT_KV_QUOTA_BYTES

    kind: ClassVar[str] = "kv"
    meaning: ClassVar[str] = "Keeps its own small data store"
    risky: ClassVar[bool] = False

    def scope_summary(self) -> str:
        return f"store data (up to {self.quota_bytes} bytes)"

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, KvCapability)
        return amount_change(self.kind, old.quota_bytes, self.quota_bytes, "may store up to {new} bytes (was {old})")

    def scope(self) -> dict[str, Any]:
        return {"quota_bytes": self.quota_bytes}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> KvCapability:
    return KvCapability(reason, quota_bytes=positive_int(table, "quota_bytes", DEFAULT_KV_QUOTA_BYTES, where))


KIND = CapabilityKind(
    scope_type=KvCapability,
    interface="kv",
    functions=("get", "set", "delete", "list-keys"),
    fields=frozenset({"quota_bytes"}),
    parse=_parse,
)
