"""What changes between two versions' capabilities, in plain words (pure, no IO).

An update or a rollback that widens what a plugin may do asks again; one that narrows
or keeps it applies without asking. "Wider" is judged per capability kind and scope:

    a new kind                              wider   ("new capability kv: ...")
    process: a new program                  wider   ("may now run: make")
    http: a new host (pattern)              wider   ("may now connect to: api.example.com")
    fs: read -> read-write                  wider   ("may now change and delete files ...")
    kv / llm: a larger quota or budget      wider
    plugins: a new plugin to call           wider
    secrets: a new secret                   wider
    anything removed or made smaller        narrower (its grant is kept, or dropped with the kind)

Host patterns are compared as strings: a new pattern is reported even when an old
wildcard already covers it (asking once too often is cheaper than once too few).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sdk.manifest import Capability


@dataclass(frozen=True)
class Change:
    """One difference, worded for a consent prompt."""

    kind: str
    text: str
    widens: bool


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
        changes.extend(_scope_changes(old[kind], new[kind]))
    for kind in sorted(old.keys() - new.keys()):
        changes.append(Change(kind, f"no longer uses {kind} ({old[kind].scope_summary()})", widens=False))
    return CapabilityDiff(tuple(changes))


def _scope_changes(old: Capability, new: Capability) -> list[Change]:
    kind = old.kind
    match kind:
        case "process":
            return _set_changes(kind, old.programs, new.programs, "may now run", "no longer runs")
        case "http":
            return _set_changes(kind, old.hosts, new.hosts, "may now connect to", "no longer connects to")
        case "plugins":
            return _set_changes(kind, old.plugins, new.plugins, "may now call plugin", "no longer calls plugin")
        case "secrets":
            return _set_changes(kind, old.secrets, new.secrets, "may now read secret", "no longer reads secret")
        case "fs":
            if new.writable and not old.writable:
                return [Change(kind, "fs: may now change and delete files in the project (was read-only)", True)]
            if old.writable and not new.writable:
                return [Change(kind, "fs: now only reads the project (was read-write)", False)]
            return []
        case "kv":
            return _amount_change(kind, old.quota_bytes, new.quota_bytes, "may store up to {new} bytes (was {old})")
        case "llm":
            return _amount_change(
                kind, old.max_tokens, new.max_tokens, "may ask Claude for up to {new} tokens per call (was {old})"
            )
    return []


def _set_changes(kind: str, old: tuple[str, ...], new: tuple[str, ...], added: str, removed: str) -> list[Change]:
    changes = []
    more = [item for item in new if item not in old]
    fewer = [item for item in old if item not in new]
    if more:
        changes.append(Change(kind, f"{kind}: {added}: {', '.join(more)}", widens=True))
    if fewer:
        changes.append(Change(kind, f"{kind}: {removed}: {', '.join(fewer)}", widens=False))
    return changes


def _amount_change(kind: str, old: int, new: int, wording: str) -> list[Change]:
    if new == old:
        return []
    return [Change(kind, f"{kind}: " + wording.format(new=new, old=old), widens=new > old)]


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

    granted: set[str] = set()
    for kind, capability in new.items():
        if kind not in old:
            if ok(kind):
                granted.add(kind)
            continue
        if kind not in old_granted:
            continue
        widened = any(c.widens for c in _scope_changes(old[kind], capability))
        if not widened or ok(kind):
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
