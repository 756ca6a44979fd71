"""The host's program profiles: the table the process engine is handed.

git, pytest and coverage, python, ruff (report only), cprofile (the project's code under
Python's profiler, through the interpreter with acc's own script).

A profile is the host's knowledge of one program (its allowed arguments, environment,
preflight and consent warning). Profiles belong to the host, never to a manifest: a
manifest may narrow a profile (`subcommands`), never widen it. A program without a
profile runs with the generic checks only, and the consent prompt says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from host.capabilities.process.engine import ProgramProfile
from host.capabilities.process.profiles import cprofile, git, pytest, python, ruff

PROFILES: Mapping[str, ProgramProfile] = {
    "git": git.PROFILE,
    "pytest": pytest.PYTEST,
    "coverage": pytest.COVERAGE,
    "python": python.PROFILE,
    "python3": python.PROFILE,
    "ruff": ruff.PROFILE,
    "cprofile": cprofile.PROFILE,
}

#: What the consent prompt says about a program acc has no profile for.
UNPROFILED_WARNING = "acc has no profile of {program}: it runs with any arguments the plugin chooses"


def warning_for(program: str) -> str:
    """The consent warning for granting `program`."""
    profile = PROFILES.get(program)
    return profile.warning if profile is not None else UNPROFILED_WARNING.format(program=program)
