"""Capability `process`: run named programs in the project directory.

    [capabilities.process]
    programs = ["git"]
    subcommands = { git = ["status", "log", "diff"] }   # optional: narrow a program
    reason = "Reads the commit history."

A program is a bare name; the host resolves it in system directories only, runs it in
an OS sandbox that sees the project and nothing else of the user's, and applies its own
profile of the program (git, pytest) as a second layer. A manifest may narrow a profile,
never widen it: `subcommands` lists the only subcommands the plugin will run, and the
host refuses any other even when its profile would allow it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, nonempty_list, set_changes
from sdk.errors import ManifestError

_SUBCOMMAND = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class ProcessCapability(Capability):
    programs: tuple[str, ...] = ()
    #: (program, its only allowed subcommands) for each narrowed program, sorted by program.
    subcommands: tuple[tuple[str, tuple[str, ...]], ...] = ()

    kind: ClassVar[str] = "process"
    meaning: ClassVar[str] = "Runs programs on your computer"
    risky: ClassVar[bool] = True

    def subcommands_of(self, program: str) -> tuple[str, ...] | None:
        """The subcommands the manifest narrows `program` to, or None: all its profile allows."""
        return dict(self.subcommands).get(program)

    def scope_summary(self) -> str:
        return "run programs: " + ", ".join(self._program_text(p) for p in self.programs)

    def _program_text(self, program: str) -> str:
        narrowed = self.subcommands_of(program)
        return f"{program} ({', '.join(narrowed)})" if narrowed is not None else program

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, ProcessCapability)
        changes = set_changes(self.kind, old.programs, self.programs, "may now run", "no longer runs")
        for program in (p for p in self.programs if p in old.programs):
            before, after = old.subcommands_of(program), self.subcommands_of(program)
            if before == after:
                continue
            if after is None:
                changes.append(
                    Change(
                        self.kind,
                        f"process: {program} may now run any subcommand acc allows (was {', '.join(before or ())})",
                        widens=True,
                    )
                )
            elif before is None:
                changes.append(Change(self.kind, f"process: {program} now runs only {', '.join(after)}", widens=False))
            else:
                changes += set_changes(self.kind, before, after, f"{program} may now run", f"{program} no longer runs")
        return changes

    def scope(self) -> dict[str, Any]:
        return {"programs": list(self.programs), "subcommands": {p: list(s) for p, s in self.subcommands}}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> ProcessCapability:
    programs = nonempty_list(table, "programs", where)
    for program in programs:
        if "/" in program or program.startswith("-") or not program.strip():
            raise ManifestError(
                f"{where}: program {program!r} must be a bare program name", hint='e.g. programs = ["git"]'
            )
    raw = table.get("subcommands", {})
    if not isinstance(raw, Mapping):
        raise ManifestError(
            f"{where}: subcommands must be a table of program = [subcommands]",
            hint='e.g. subcommands = { git = ["status", "log"] }',
        )
    narrowed: list[tuple[str, tuple[str, ...]]] = []
    for program, subcommands in sorted(raw.items()):
        if program not in programs:
            raise ManifestError(f"{where}: subcommands names {program!r}, which is not in programs")
        listed = nonempty_list({"s": subcommands}, "s", f"{where}: subcommands.{program}")
        for subcommand in listed:
            if not _SUBCOMMAND.fullmatch(subcommand):
                raise ManifestError(f"{where}: subcommand {subcommand!r} of {program} must be a lowercase word")
        narrowed.append((program, tuple(dict.fromkeys(listed))))
    return ProcessCapability(reason, programs=programs, subcommands=tuple(narrowed))


KIND = CapabilityKind(
    scope_type=ProcessCapability,
    interface="process",
    functions=("run",),
    fields=frozenset({"programs", "subcommands"}),
    parse=_parse,
)
