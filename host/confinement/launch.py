"""What a mechanism hands the process engine: one launch, ready for `subprocess.Popen`."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from host.confinement.spec import Confinement
from host.confinement.system import is_visible, system_layout


class Launchable:
    """The command, environment and descriptors that start one confined program.

    Use it as a context manager around `Popen`, which is all it is for:

        with confined_command(mechanism, confinement, argv, env) as launch:
            process = subprocess.Popen(launch.argv, env=launch.env, cwd=launch.cwd,
                                       pass_fds=launch.pass_fds, start_new_session=True, ...)

    The descriptors in `pass_fds` (data bubblewrap copies into the sandbox) belong to
    it and are closed on exit; the child has its own copies by then. `close()` is
    idempotent.
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, pass_fds: Sequence[int] = ()) -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.env: dict[str, str] = dict(env)
        self.cwd = cwd
        self.pass_fds: tuple[int, ...] = tuple(pass_fds)
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for fd in self.pass_fds:
            os.close(fd)

    def __enter__(self) -> Launchable:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class Mechanism(ABC):
    """A way to confine a launched program (bubblewrap, Landlock), or the refusal to."""

    #: Short name, for `acc doctor` and error messages.
    name: ClassVar[str]
    #: False only for the unconfined mechanism the user asked for by name.
    confined: ClassVar[bool] = True

    @abstractmethod
    def describe(self) -> str:
        """One line: what is in force, with its version."""

    @abstractmethod
    def caveats(self) -> tuple[str, ...]:
        """What this mechanism does not guarantee on this system, one sentence each."""

    @abstractmethod
    def command(self, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str]) -> Launchable:
        """The launch of `argv` (argv[0] an absolute path) with `env`, confined as described."""


def sandbox_environment(env: Mapping[str, str], *, home: Path, tmpdir: str) -> dict[str, str]:
    """`env` with HOME (the scratch directory, unless the host chose another) and TMPDIR (temporary files)."""
    return {**env, "HOME": str(home), "TMPDIR": tmpdir}


def confined_command(
    mechanism: Mechanism, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str]
) -> Launchable:
    """The launch of `argv` under `mechanism`; see `Launchable` for how to start it.

    argv[0] must be an absolute path the sandbox shows (a system directory or one of the
    confinement's paths): a program outside them could not start, and a clear error here
    beats bubblewrap's "No such file or directory" from inside.
    """
    if not argv:
        raise ValueError("argv must name a program")
    if any(not isinstance(arg, str) or "\0" in arg for arg in argv):
        raise ValueError("every argument must be a string without NUL")
    program = Path(argv[0])
    if not program.is_absolute() or os.path.normpath(argv[0]) != argv[0]:
        raise ValueError(f"the program must be an absolute, normalized path: {argv[0]!r}")
    for path in confinement.visible_paths():
        if not path.exists():
            raise ValueError(f"{path} does not exist, so it cannot be shown in the sandbox")
    if mechanism.confined and not is_visible(program, system_layout(), confinement.visible_paths()):
        raise ValueError(
            f"{program} is outside what the sandbox shows; add its directory to the confinement's read_only_paths"
        )
    return mechanism.command(confinement, argv, env)
