"""An OS sandbox around every program the `process` capability launches (Linux).

The process engine describes what one launch may see in a `Confinement` (the project,
read-only unless the profile or grant needs writing; a fresh scratch directory for HOME;
host-chosen read-only paths such as the interpreter's venv; `Limits`), asks for the
`Mechanism` in force, and starts what `confined_command` returns:

    mechanism = mechanism_in_force()  # require_mechanism(system_detection(), os.environ)
    with confined_command(mechanism, confinement, [executable, *args], env) as launch:
        process = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                                   pass_fds=launch.pass_fds, start_new_session=True, ...)

Mechanisms, in order of preference (`host.confinement.detect`):

- `Bubblewrap` (`bubblewrap.py`): namespaces; the program's root holds only what is
  shown, there is no network namespace to reach anything, and the PID namespace dies
  with the launch;
- `Landlock` (`landlock_launch.py`, `kernel/`): Landlock filesystem rules, a seccomp
  filter without sockets, rlimits and a subreaper supervisor;
- `Unconfined`: only when neither works and ACC_UNCONFINED_PROCESSES_DANGEROUS=1.

ACC_CONFINEMENT_MECHANISMS (`MECHANISMS_VARIABLE`) narrows the choice, e.g. to test the
Landlock path, or to see the refusal ("").

Each mechanism's `describe()` and `caveats()` say what is in force and what it does not
guarantee on this system (for `acc doctor`).

Errors: `ConfinementUnavailable` (an `AccError`) when nothing can confine and the user
did not override; `ValueError` for a malformed `Confinement` or argv (host bugs).
"""

from __future__ import annotations

from host.confinement.bubblewrap import Bubblewrap, find_bubblewrap
from host.confinement.detect import (
    FINDERS,
    MECHANISMS_VARIABLE,
    Detection,
    detect_mechanism,
    mechanism_in_force,
    probe,
    require_mechanism,
    system_detection,
)
from host.confinement.errors import ConfinementUnavailable, UnconfinedWarning
from host.confinement.landlock_launch import Landlock, find_landlock
from host.confinement.launch import Launchable, Mechanism, confined_command
from host.confinement.spec import Confinement, Limits
from host.confinement.system import python_runtime_paths
from host.confinement.unconfined import OVERRIDE_VARIABLE, Unconfined

__all__ = [
    "FINDERS",
    "MECHANISMS_VARIABLE",
    "OVERRIDE_VARIABLE",
    "Bubblewrap",
    "Confinement",
    "ConfinementUnavailable",
    "Detection",
    "Landlock",
    "Launchable",
    "Limits",
    "Mechanism",
    "Unconfined",
    "UnconfinedWarning",
    "confined_command",
    "detect_mechanism",
    "find_bubblewrap",
    "find_landlock",
    "mechanism_in_force",
    "probe",
    "python_runtime_paths",
    "require_mechanism",
    "system_detection",
]
