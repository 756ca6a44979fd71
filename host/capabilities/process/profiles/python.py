"""The host's profile of `python` / `python3`: the interpreter of the venv running acc.

Python's arguments are not restricted: granting python already grants running any code
(`python -c` of the plugin's choosing), with the project as working directory. The
consent prompt says exactly that. What acc still guarantees is the OS sandbox, no shell,
a scrubbed environment, and the time and output caps.
"""

from __future__ import annotations

from host.capabilities.process.engine import ProgramProfile

PROFILE = ProgramProfile(
    search_interpreter_dir=True,
    warning="runs an interpreter: this is arbitrary code execution in the project",
)
