"""`acc doctor`: what this installation runs with, and whether launched programs are confined.

`diagnose()` gathers it (the confinement mechanism in force with its caveats, or why
there is none; the versions of the runtime pieces; where acc keeps its state), and
`render()` turns it into the lines the command prints (`acc_cli/doctor.py`). Both are
plain functions over the environment, so they are tested without a terminal.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata

from host.confinement import (
    MECHANISMS_VARIABLE,
    ConfinementUnavailable,
    UnconfinedWarning,
    require_mechanism,
    system_detection,
)
from host.paths import HostPaths

#: The distributions whose versions matter when reporting a problem.
DISTRIBUTIONS = ("acc-plugins", "wasmtime", "componentize-py")


@dataclass(frozen=True)
class Diagnosis:
    """What `acc doctor` reports."""

    #: The mechanism's name ("bubblewrap", "landlock", "unconfined"), or "none".
    mechanism: str
    #: One line on what confines launched programs (or the refusal's message).
    confinement: str
    #: Whether programs that plugins run are confined by an OS sandbox.
    confined: bool
    caveats: tuple[str, ...]
    #: Why each mechanism before the one in force (or every one) was passed over.
    passed_over: tuple[str, ...]
    #: What to do when nothing confines programs.
    hint: str | None
    #: ACC_CONFINEMENT_MECHANISMS, when set.
    narrowed_to: str | None
    versions: Mapping[str, str]
    paths: Mapping[str, str]


def diagnose(paths: HostPaths, environ: Mapping[str, str]) -> Diagnosis:
    """The state of this installation, as `environ` (the acc process's) configures it."""
    detection = system_detection(environ)
    hint: str | None = None
    caveats: tuple[str, ...] = ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnconfinedWarning)  # said below, louder
            mechanism = require_mechanism(detection, environ)
    except ConfinementUnavailable as refused:
        name, line, confined, hint = "none", refused.message, False, refused.hint
    else:
        name, line, confined, caveats = mechanism.name, mechanism.describe(), mechanism.confined, mechanism.caveats()
    return Diagnosis(
        mechanism=name,
        confinement=line,
        confined=confined,
        caveats=caveats,
        passed_over=detection.refusals,
        hint=hint,
        narrowed_to=environ.get(MECHANISMS_VARIABLE),
        versions={"python": f"{sys.version.split()[0]} ({sys.executable})", **_versions()},
        paths={
            "ACC_HOME": str(paths.home),
            "trusted keys": str(paths.trust_file),
            "cache (ACC_CACHE_DIR)": str(paths.cache),
            "compiled components": str(paths.compiled),
        },
    )


def render(diagnosis: Diagnosis) -> list[str]:
    """The lines `acc doctor` prints."""
    lines = ["OS sandbox for programs that plugins run (the process capability):"]
    if not diagnosis.confined:  # refused, or unconfined by the override: each line says which
        lines.append(f"  NONE: {diagnosis.confinement}")
        if diagnosis.hint:
            lines.append(f"  hint: {diagnosis.hint}")
    else:
        lines.append(f"  in force: {diagnosis.confinement}")
    lines += [f"  caveat: {caveat}" for caveat in diagnosis.caveats]
    if diagnosis.confined or diagnosis.mechanism == "unconfined":
        lines += [f"  passed over: {reason}" for reason in diagnosis.passed_over]
    if diagnosis.narrowed_to is not None:
        lines.append(f"  {MECHANISMS_VARIABLE}={diagnosis.narrowed_to!r} narrows the choice")
    lines.append("Versions:")
    lines += [f"  {name}: {version}" for name, version in diagnosis.versions.items()]
    lines.append("State:")
    lines += [f"  {name}: {path}" for name, path in diagnosis.paths.items()]
    return lines


def _versions() -> dict[str, str]:
    found = {}
    for distribution in DISTRIBUTIONS:
        try:
            found[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            found[distribution] = "not installed"
    return found
