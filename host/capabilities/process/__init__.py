"""Capability `process`, bound: run a granted program through the engine with the host's profiles.

`engine.py` launches, bounds and collects; `profiles/` holds the host's knowledge of
individual programs (git, pytest and coverage, python). `bind` hands the engine the
profiles of the granted programs, narrowed as the manifest asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.process.engine import ProcessOutput, ProcessScope, ProgramProfile, run_program
from host.capabilities.process.profiles import PROFILES, warning_for
from sdk.capabilities import Capability
from sdk.capabilities.process import ProcessCapability


def bind(capability: Capability, context: BindContext) -> Binding:
    process = scope_as(capability, ProcessCapability)
    scope = ProcessScope(
        programs=process.programs,
        project_dir=context.project_dir or Path.cwd(),
        user_config_environment=context.user_config_environment,
        profiles=profiles_for(process),
        interrupt=context.interrupt,
    )

    def run(program: str, args: list[str], stdin: bytes) -> ProcessOutput:
        return run_program(scope, program, list(args), bytes(stdin))

    return Binding(functions={"run": run})


def profiles_for(process: ProcessCapability) -> Mapping[str, ProgramProfile]:
    """The profiles of the granted programs, narrowed by the manifest's `subcommands`.

    Raises ValueError when a narrowing cannot apply (no such subcommands in the host's
    profile): installs check this first (`check`), so it never surprises a run.
    """
    table = {program: PROFILES[program] for program in process.programs if program in PROFILES}
    for program, subcommands in process.subcommands:
        profile = table.get(program)
        if profile is None:
            raise ValueError(f"acc has no profile of {program} to narrow to {', '.join(subcommands)}")
        table[program] = profile.narrowed(program, subcommands)
    return table


def check(capability: Capability) -> str:
    """Why this host cannot honour the declared scope ("" when it can): checked at install."""
    try:
        profiles_for(scope_as(capability, ProcessCapability))
    except ValueError as e:
        return str(e)
    return ""


def warnings(capability: Capability) -> list[str]:
    """The consent warning of each granted program, from the host's profile of it."""
    programs = scope_as(capability, ProcessCapability).programs
    return [f"{program}: {warning_for(program)}" for program in programs if warning_for(program)]
