"""Which mechanism confines launched programs here: detected once, proven by a real launch.

Preference order: bubblewrap (namespaces: the program sees only what is mounted),
then Landlock with seccomp (the program sees the host but may touch only what is
allowed). A mechanism counts only if a probe launch of `true` through it succeeds, so a
bubblewrap that is installed but cannot create namespaces here (user namespaces
disabled, an AppArmor policy) falls through to Landlock rather than failing every call.

If none works, `require_mechanism` refuses with `ConfinementUnavailable`, saying why
each failed and how to get one. Only the variable named by `OVERRIDE_VARIABLE`, set to
exactly "1", lets programs run unconfined, and then with an `UnconfinedWarning`.

`MECHANISMS_VARIABLE` (ACC_CONFINEMENT_MECHANISMS) narrows the choice: "landlock" tries
Landlock alone (to test that path on a machine that has bubblewrap), "" tries nothing (to
see the refusal). It can only take mechanisms away, never add a way to run unconfined.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from host.confinement.bubblewrap import INSTALL_HINT, SEARCH_PATH, find_bubblewrap
from host.confinement.errors import ConfinementUnavailable, UnconfinedWarning
from host.confinement.landlock_launch import find_landlock
from host.confinement.launch import Mechanism, confined_command
from host.confinement.spec import Confinement, Limits
from host.confinement.unconfined import OVERRIDE_VARIABLE, Unconfined

#: A finder returns a mechanism that may work, or the reason it cannot.
Finder = Callable[[], Mechanism | str]

_PROBE_SECONDS = 20.0
_PROBE_OUTPUT = 2000


@dataclass(frozen=True)
class Detection:
    """The mechanism in force (None: none works) and why each one before it was passed over."""

    mechanism: Mechanism | None
    refusals: tuple[str, ...] = ()


def detect_mechanism(finders: Sequence[Finder] = (find_bubblewrap, find_landlock)) -> Detection:
    """The first mechanism of `finders` that is present and passes a probe launch."""
    refusals: list[str] = []
    for find in finders:
        found = find()
        if isinstance(found, str):
            refusals.append(found)
            continue
        failure = probe(found)
        if failure is None:
            return Detection(found, tuple(refusals))
        refusals.append(f"{found.name}: {failure}")
    return Detection(None, tuple(refusals))


#: Narrows the mechanisms detection may choose: a comma-separated list of `FINDERS` names.
MECHANISMS_VARIABLE = "ACC_CONFINEMENT_MECHANISMS"

#: The mechanisms in order of preference, by name.
FINDERS: Mapping[str, Finder] = {"bubblewrap": find_bubblewrap, "landlock": find_landlock}


def system_detection(environ: Mapping[str, str] | None = None) -> Detection:
    """The detection for this process: each choice of mechanisms is probed once, then cached.

    `environ` (default `os.environ`) is read for `MECHANISMS_VARIABLE` only.
    """
    chosen = (os.environ if environ is None else environ).get(MECHANISMS_VARIABLE)
    return _detect_once(chosen)


@cache
def _detect_once(chosen: str | None) -> Detection:
    if chosen is None:
        return detect_mechanism(tuple(FINDERS.values()))
    names = [name.strip() for name in chosen.split(",") if name.strip()]
    unknown = [name for name in names if name not in FINDERS]
    refusals = [f"{MECHANISMS_VARIABLE} names {name!r}, which is not one of: {', '.join(FINDERS)}" for name in unknown]
    detection = detect_mechanism(tuple(FINDERS[name] for name in FINDERS if name in names))
    left_out = [name for name in FINDERS if name not in names]
    if left_out and detection.mechanism is None:
        refusals.append(f"{MECHANISMS_VARIABLE}={chosen!r} leaves out {', '.join(left_out)}")
    return Detection(detection.mechanism, (*detection.refusals, *refusals))


def mechanism_in_force(environ: Mapping[str, str] | None = None) -> Mechanism:
    """The mechanism launched programs run under here, or `ConfinementUnavailable`.

    `require_mechanism(system_detection(environ), environ)`, with `os.environ` by default:
    what the process engine asks before every launch (cheap after the first call).
    """
    environment = os.environ if environ is None else environ
    return require_mechanism(system_detection(environment), environment)


def require_mechanism(detection: Detection, environ: Mapping[str, str]) -> Mechanism:
    """The mechanism to launch programs with, or `ConfinementUnavailable`.

    `environ` is read for `OVERRIDE_VARIABLE` only, and only when nothing works: the
    override never replaces a mechanism that does.
    """
    if detection.mechanism is not None:
        return detection.mechanism
    override = environ.get(OVERRIDE_VARIABLE)
    if override == "1":
        warnings.warn(
            UnconfinedWarning(
                f"no OS sandbox is available and {OVERRIDE_VARIABLE}=1: programs that plugins run are NOT confined "
                "and can do anything you can"
            ),
            stacklevel=2,
        )
        return Unconfined()
    reasons = "; ".join(detection.refusals) or "no mechanism was tried"
    ignored = f" ({OVERRIDE_VARIABLE}={override!r} is ignored: only 1 turns it on)" if override is not None else ""
    raise ConfinementUnavailable(
        "no OS sandbox is available to confine the programs plugins run, so the process capability is refused"
        f"{ignored}: {reasons}",
        hint=(
            f"{INSTALL_HINT}, and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
            "on Ubuntu 24.04 an AppArmor profile for bwrap); or use Linux 5.13 or later with Landlock enabled. "
            f"To run programs unconfined at your own risk, set {OVERRIDE_VARIABLE}=1"
        ),
    )


def probe(mechanism: Mechanism) -> str | None:
    """Launch `true` through `mechanism` in throwaway directories; None if it worked, else why not."""
    true = shutil.which("true", path=SEARCH_PATH)
    if true is None:
        return "cannot probe: the `true` program is missing"
    with tempfile.TemporaryDirectory(prefix="acc-probe-") as base:
        project, scratch = Path(base, "project"), Path(base, "scratch")
        project.mkdir()
        scratch.mkdir()
        confinement = Confinement(
            project_dir=project.resolve(),
            scratch_dir=scratch.resolve(),
            limits=Limits(cpu_seconds=10, processes=64),
        )
        try:
            with confined_command(mechanism, confinement, [true], {"PATH": SEARCH_PATH}) as launch:
                result = subprocess.run(
                    launch.argv,
                    env=launch.env,
                    cwd=launch.cwd,
                    pass_fds=launch.pass_fds,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=_PROBE_SECONDS,
                    start_new_session=True,
                    check=False,
                )
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            return f"the probe launch failed: {error}"
    if result.returncode != 0:
        said = (result.stderr or result.stdout).decode(errors="replace").strip()[-_PROBE_OUTPUT:]
        return f"the probe launch exited with {result.returncode}: {said or '(no output)'}"
    return None
