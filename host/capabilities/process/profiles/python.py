"""The host's profile of `python` / `python3`: the interpreter of the venv running acc.

Python's arguments are not restricted: granting python already grants running any code
(`python -c` of the plugin's choosing), with the project as working directory. The
consent prompt says exactly that. What acc still guarantees is the OS sandbox, no shell,
a scrubbed environment, and the time and output caps. The sandbox shows the interpreter
what it needs to start (`interpreter_paths`), read-only, and the project read-only unless
the plugin may write it anyway (an fs read-write grant).
"""

from __future__ import annotations

import sys
from pathlib import Path

from host.capabilities.process.engine import ProgramProfile


def interpreter_paths(executable: str) -> tuple[Path, ...]:
    """What a program of the running interpreter's environment needs to see, read-only.

    The virtual environment acc runs from (its site-packages: pytest, coverage), the
    installation it was made from (the standard library), and the directory the program
    was found in. Nothing else: packages installed with `pip install --user` (in the
    user's home) are not visible.
    """
    from host.confinement import python_runtime_paths  # at launch: see the engine's imports

    prefixes = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    return python_runtime_paths(executable, prefixes)


PROFILE = ProgramProfile(
    read_only_paths=interpreter_paths,
    search_interpreter_dir=True,
    warning="runs an interpreter: this is arbitrary code execution in the project",
)
