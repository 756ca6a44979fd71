"""What every capability kind provides: the shape of one unit of `sdk/capabilities/`.

A kind is described once, in its own module (`sdk/capabilities/<kind>.py`):

- its **scope** (a `Capability` subclass): the fields a manifest may set and how they
  parse from TOML, the one-line summary, the risk wording, and the widening rules
  (what makes a new version ask again);
- its **kind** (a `CapabilityKind`): the ABI interface that serves it and that
  interface's functions, and what the kind means in plain words.

The CLI's consent prompt, the registry's web page, the update's "asks for more" and the
manifest parser all read these; none of them spells a kind out again. The runtime half
of a kind lives in `host/capabilities/<kind>.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.errors import ManifestError

#: The longest reason a manifest may give for a capability (users read it in a prompt).
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Change:
    """One difference between two versions' capabilities, worded for a consent prompt."""

    kind: str
    text: str
    widens: bool


@dataclass(frozen=True)
class Capability:
    """One declared capability: its kind's scope and the author's reason for it.

    Each kind subclasses this with its own scope fields; the base holds what every kind
    shares. Instances are values: equal scopes compare equal.
    """

    reason: str

    #: The manifest's name of the kind, e.g. "process".
    kind: ClassVar[str] = ""
    #: What the kind lets a plugin do, in plain words (the web page's heading for it).
    meaning: ClassVar[str] = ""
    #: Whether the kind deserves a warning whatever its scope (it reaches beyond the project).
    risky: ClassVar[bool] = True

    def scope_summary(self) -> str:
        """A short description of the scope for prompts and listings, e.g. "run programs: git"."""
        raise NotImplementedError

    def warning(self) -> str:
        """Why this scope deserves care, in a few words ("" when it does not)."""
        return ""

    def may_modify(self) -> bool:
        """Whether this scope lets a plugin change anything that outlives its call: files,
        what a launched program does, a remote service, its own stored data. True unless
        the kind says otherwise (the safe answer for a hint that tells a client "read-only")."""
        return True

    def open_world(self) -> bool:
        """Whether this scope lets a plugin reach services beyond the user's machine
        chosen by the plugin (hosts on the network)."""
        return False

    @property
    def high_risk(self) -> bool:
        """Whether listings should flag this capability: the kind's own risk, or a risky scope."""
        return self.risky or bool(self.warning())

    def changes_since(self, old: Capability) -> list[Change]:
        """What this scope adds to or removes from `old` (a scope of the same kind)."""
        raise NotImplementedError

    def scope(self) -> dict[str, Any]:
        """The scope as plain JSON data (for the signed index and the web pages)."""
        raise NotImplementedError


@dataclass(frozen=True)
class CapabilityKind:
    """A capability kind: its scope type, the ABI interface that serves it, and its parser.

    `parse(table, reason, where)` builds the kind's `Capability` from its manifest table
    (already checked to hold only `fields` and a reason); it raises `ManifestError`.
    """

    scope_type: type[Capability]
    #: The ABI interface (`acc:plugin/<interface>`), or None when WASI serves it (fs).
    interface: str | None
    #: The interface's functions, as named in the WIT.
    functions: tuple[str, ...]
    #: The scope fields a manifest may set (besides `reason`).
    fields: frozenset[str]
    parse: Callable[[Mapping[str, Any], str, str], Capability]

    @property
    def name(self) -> str:
        return self.scope_type.kind

    @property
    def meaning(self) -> str:
        return self.scope_type.meaning


# --- helpers the kinds share --------------------------------------------------------------


def str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def nonempty_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = str_list(table, key, where)
    if not values:
        raise ManifestError(f"{where}: {key} must list at least one entry")
    return values


def positive_int(table: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ManifestError(f"{where}: {key} must be a positive integer")
    return value


def set_changes(kind: str, old: Iterable[str], new: Iterable[str], added: str, removed: str) -> list[Change]:
    """The widening (new entries) and narrowing (dropped entries) of a listed scope."""
    old, new = tuple(old), tuple(new)
    changes = []
    more = [item for item in new if item not in old]
    fewer = [item for item in old if item not in new]
    if more:
        changes.append(Change(kind, f"{kind}: {added}: {', '.join(more)}", widens=True))
    if fewer:
        changes.append(Change(kind, f"{kind}: {removed}: {', '.join(fewer)}", widens=False))
    return changes


def amount_change(kind: str, old: int, new: int, wording: str) -> list[Change]:
    """A larger quota or budget widens; a smaller one narrows."""
    if new == old:
        return []
    return [Change(kind, f"{kind}: " + wording.format(new=new, old=old), widens=new > old)]
