"""What changes between two versions' capabilities, in plain words (pure, no IO).

An update or a rollback that widens what a plugin may do asks again; one that narrows
or keeps it applies without asking. "Wider" is judged per kind by the kind itself
(`Capability.changes_since`): a new kind is always wider; a kind removed is narrower
(its grant goes with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sdk.capabilities.kind import Capability, Change


@dataclass(frozen=True)
class CapabilityDiff:
    changes: tuple[Change, ...]

    @property
    def widens(self) -> bool:
        return any(c.widens for c in self.changes)

    @property
    def wider(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.widens)

    @property
    def narrower(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.widens)

    def summary(self) -> str:
        """One line for a table: the widening changes first."""
        if not self.changes:
            return "same capabilities"
        return "; ".join(c.text for c in (*self.wider, *self.narrower))


def diff_capabilities(old: Mapping[str, Capability], new: Mapping[str, Capability]) -> CapabilityDiff:
    changes: list[Change] = []
    for kind in sorted(new.keys() - old.keys()):
        capability = new[kind]
        changes.append(
            Change(kind, f"new capability {kind}: {capability.scope_summary()} (why: {capability.reason})", widens=True)
        )
    for kind in sorted(old.keys() & new.keys()):
        changes.extend(new[kind].changes_since(old[kind]))
    for kind in sorted(old.keys() - new.keys()):
        changes.append(Change(kind, f"no longer uses {kind} ({old[kind].scope_summary()})", widens=False))
    return CapabilityDiff(tuple(changes))


def widened_kinds(old: Mapping[str, Capability], new: Mapping[str, Capability]) -> frozenset[str]:
    """The kinds of `new` that are new, or wider than in `old`."""
    return frozenset(c.kind for c in diff_capabilities(old, new).wider)


def carried_grants(
    old_granted: frozenset[str],
    old: Mapping[str, Capability],
    new: Mapping[str, Capability],
    *,
    approved: bool | frozenset[str],
) -> frozenset[str]:
    """The grants of the new version.

    A kind the new version no longer declares loses its grant. A kind whose scope did not
    widen keeps its answer (granted or denied). A new kind, or a granted kind whose scope
    widened, is granted only when the user approved its widening (`approved`: every kind,
    none, or the kinds named); a denied kind stays denied.
    """

    def ok(kind: str) -> bool:
        return approved if isinstance(approved, bool) else kind in approved

    widened = widened_kinds(old, new)
    granted: set[str] = set()
    for kind in new:
        if kind not in old:
            if ok(kind):
                granted.add(kind)
            continue
        if kind not in old_granted:
            continue
        if kind not in widened or ok(kind):
            granted.add(kind)
    return frozenset(granted)


def diff_summaries(old: Mapping[str, str], new: Mapping[str, str]) -> CapabilityDiff:
    """A coarser diff from scope summaries only ({kind: "run programs: git"}), as a signed
    index lists them: enough for `update --check`; the update itself diffs the manifests."""
    changes: list[Change] = []
    for kind in sorted(new.keys() - old.keys()):
        changes.append(Change(kind, f"new capability {kind}: {new[kind]}", widens=True))
    for kind in sorted(old.keys() & new.keys()):
        if old[kind] != new[kind]:
            # Without the scope itself a changed summary cannot be judged narrower: assume wider.
            changes.append(Change(kind, f"{kind}: {new[kind]} (was: {old[kind]})", widens=True))
    for kind in sorted(old.keys() - new.keys()):
        changes.append(Change(kind, f"no longer uses {kind}", widens=False))
    return CapabilityDiff(tuple(changes))
