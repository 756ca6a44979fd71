"""Capability `secrets`: read the named secrets (from the environment that runs acc), and no others.

[capabilities.secrets]
names = ["GITHUB_TOKEN"]
reason = "Authenticates to the GitHub API."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, nonempty_list, set_changes
from sdk.errors import ManifestError


@dataclass(frozen=True)
class SecretsCapability(Capability):
    secrets: tuple[str, ...] = ()

    kind: ClassVar[str] = "secrets"
    meaning: ClassVar[str] = "Reads secrets from your environment"
    risky: ClassVar[bool] = True

    def may_modify(self) -> bool:
        return False

    def scope_summary(self) -> str:
        return "read secrets: " + ", ".join(self.secrets)

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, SecretsCapability)
        return set_changes(self.kind, old.secrets, self.secrets, "may now read secret", "no longer reads secret")

    def scope(self) -> dict[str, Any]:
        return {"names": list(self.secrets)}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> SecretsCapability:
    names = nonempty_list(table, "names", where)
    for name in names:
        if not name.replace("_", "").isalnum():
            raise ManifestError(f"{where}: secret name {name!r} must be letters, digits and _")
    return SecretsCapability(reason, secrets=names)


KIND = CapabilityKind(
    scope_type=SecretsCapability, interface="secrets", functions=("get",), fields=frozenset({"names"}), parse=_parse
)
