"""Capability `process`, bound: run a granted program through the engine with the host's profiles.

`engine.py` launches (in the OS sandbox of `host.confinement`), bounds and collects;
`profiles/` holds the host's knowledge of individual programs (git, pytest and
coverage, python). `bind` hands the engine the profiles of the granted programs,
narrowed as the manifest asks, and says whether the plugin may write the project
anyway (an fs read-write grant), in which case its programs may too.

When no OS sandbox works here, each call is refused (`SandboxUnavailable`, `denied` for
the guest) and the refusal is also handed to the host (`BindContext.fail_run`), so the
user sees it and how to fix it even if the plugin swallows the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import LimitExceeded, SandboxUnavailable
from host.capabilities.process.engine import ProcessOutput, ProcessScope, ProgramProfile, run_program
from host.capabilities.process.profiles import PROFILES, warning_for
from host.deadline import current_deadline
from sdk.capabilities import Capability
from sdk.capabilities.fs import FsCapability
from sdk.capabilities.process import ProcessCapability


def bind(capability: Capability, context: BindContext) -> Binding:
    process = scope_as(capability, ProcessCapability)
    scope = ProcessScope(
        programs=process.programs,
        project_dir=context.project_dir or Path.cwd(),
        user_config_environment=context.user_config_environment,
        profiles=profiles_for(process),
        project_writable=writes_project(context),
        interrupt=context.interrupt,
    )

    def run(program: str, args: list[str], stdin: bytes) -> ProcessOutput:
        try:
            return run_within_deadline(scope, program, list(args), bytes(stdin))
        except SandboxUnavailable as refused:
            context.fail_run(refused.error)
            raise

    return Binding(functions={"run": run})


def writes_project(context: BindContext) -> bool:
    """Whether the plugin holds a granted fs read-write capability on the project (a
    read-write fs the user granted for reading only does not count)."""
    fs = context.manifest.capabilities.get("fs")
    return "fs" in context.granted and "fs" not in context.read_only and isinstance(fs, FsCapability) and fs.writable


def run_within_deadline(scope: ProcessScope, program: str, args: list[str], stdin: bytes) -> ProcessOutput:
    """`run_program`, its timeout capped by the plugin call's deadline (`host.deadline`).

    The grant's timeout bounds one program; the plugin's limit bounds the whole call, so
    a program (or git waiting on a lock) stops at whichever comes first.
    """
    deadline = current_deadline()
    if deadline is None or deadline.remaining() >= scope.timeout_seconds:
        return run_program(scope, program, args, stdin)
    if deadline.expired():
        raise LimitExceeded(f"{program} was not started: {deadline.describe()} has run out")
    try:
        return run_program(replace(scope, timeout_seconds=max(deadline.remaining(), 0.001)), program, args, stdin)
    except LimitExceeded as e:
        if not deadline.expired():
            raise
        raise LimitExceeded(f"program {program} was stopped at {deadline.describe()}") from e


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
