"""Capability `llm`: ask Claude through the host, which holds the key and the budget.

[capabilities.llm]
max_tokens = 4096        # the most a single call may ask for
reason = "Summarises the changes in plain words."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, amount_change, positive_int

DEFAULT_MAX_TOKENS = 4096


@dataclass(frozen=True)
class LlmCapability(Capability):
    max_tokens: int = DEFAULT_MAX_TOKENS

    kind: ClassVar[str] = "llm"
    meaning: ClassVar[str] = "Sends prompts to Claude over the network"
    risky: ClassVar[bool] = True

    def may_modify(self) -> bool:
        return False  # a completion changes nothing; the token budget is the host's

    def scope_summary(self) -> str:
        return f"ask Claude (up to {self.max_tokens} tokens per call)"

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, LlmCapability)
        return amount_change(
            self.kind, old.max_tokens, self.max_tokens, "may ask Claude for up to {new} tokens per call (was {old})"
        )

    def scope(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> LlmCapability:
    return LlmCapability(reason, max_tokens=positive_int(table, "max_tokens", DEFAULT_MAX_TOKENS, where))


KIND = CapabilityKind(
    scope_type=LlmCapability, interface="llm", functions=("complete",), fields=frozenset({"max_tokens"}), parse=_parse
)
