"""What a mechanism hands the process engine: one launch, ready for `subprocess.Popen`."""

from __future__ import annotations

import os
import re
import select
import signal
import time
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
            keeper = launch.keeper(timeout)

    The descriptors in `pass_fds` (data bubblewrap copies into the sandbox, the pipe it
    reports on) belong to it and are closed on exit; the child has its own copies by
    then. `close()` is idempotent.

    `keeper()`, right after `Popen` (asked for with `report_keeper`), returns a pidfd of
    the sandbox's keeper: the process
    whose exit means every process of the sandbox is gone (bubblewrap's PID namespace
    init, the Landlock supervisor). The launched process itself can exit, or be killed,
    a moment before the sandbox's teardown is over; waiting for the keeper closes that
    gap, so a caller can promise that nothing outlives the call. The caller also sends it
    `keeper_stop_signal`: a keeper that set up its own session is out of the launch's
    process group, and one whose launcher died before it armed its parent-death signal
    would otherwise live on.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        pass_fds: Sequence[int] = (),
        info_fd: int | None = None,
        keeper_stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.env: dict[str, str] = dict(env)
        self.cwd = cwd
        self.pass_fds: tuple[int, ...] = tuple(pass_fds)
        #: Read end of the pipe the launch writes {"child-pid": N} to, N its keeper.
        self._info_fd = info_fd
        #: What ends the keeper, and with it the sandbox, once the launch is killed: SIGKILL
        #: for a PID namespace's init (every process of the namespace dies with it),
        #: SIGTERM for a supervisor that then kills what is left below it.
        self.keeper_stop_signal = keeper_stop_signal
        self._closed = False

    def keeper(self, timeout: float) -> int | None:
        """A pidfd of the sandbox's keeper (the caller closes it), or None if there is none.

        Call it after the launch started: it waits (at most `timeout` seconds) for the
        launch to report its keeper, which it does before the program starts.
        """
        self._close_passed()  # our copy of the pipe's write end: EOF if the launch dies first
        if self._info_fd is None:
            return None
        fd, self._info_fd = self._info_fd, None
        try:
            pid = _read_child_pid(fd, timeout)
        except OSError:  # the report is an aid to waiting; without it there is nothing to wait for
            pid = None
        finally:
            os.close(fd)
        if pid is None:
            return None
        try:
            return os.pidfd_open(pid)
        except OSError:  # gone already: nothing left to wait for
            return None

    def close(self) -> None:
        self._close_passed()
        if self._info_fd is not None:
            os.close(self._info_fd)
            self._info_fd = None

    def _close_passed(self) -> None:
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


_CHILD_PID = re.compile(rb'"child-pid"\s*:\s*(\d+)')
_INFO_LIMIT = 4096


def _read_child_pid(fd: int, timeout: float) -> int | None:
    """The pid in `{"child-pid": N}` read from `fd` (bubblewrap's --info-fd format)."""
    deadline = time.monotonic() + timeout
    data = b""
    while len(data) < _INFO_LIMIT:
        match = _CHILD_PID.search(data)
        if match and b"}" in data[match.end() :]:
            return int(match.group(1))
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, _INFO_LIMIT)
        if not chunk:
            match = _CHILD_PID.search(data)
            return int(match.group(1)) if match else None
        data += chunk
    return None


def info_pipe() -> tuple[int, int]:
    """(read end, write end) of a pipe for a launch's keeper report; both close-on-exec."""
    return os.pipe()


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
    def command(
        self, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str], *, report_keeper: bool = False
    ) -> Launchable:
        """The launch of `argv` (argv[0] an absolute path) with `env`, confined as described.

        `report_keeper`: the launch reports its keeper (see `Launchable.keeper`), which the
        caller must then read with `keeper()` right after starting it.
        """


def sandbox_environment(env: Mapping[str, str], *, home: Path, tmpdir: str) -> dict[str, str]:
    """`env` with HOME (the scratch directory, unless the host chose another) and TMPDIR (temporary files)."""
    return {**env, "HOME": str(home), "TMPDIR": tmpdir}


def confined_command(
    mechanism: Mechanism,
    confinement: Confinement,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    report_keeper: bool = False,
) -> Launchable:
    """The launch of `argv` under `mechanism`; see `Launchable` for how to start it.

    With `report_keeper`, the launch reports the process whose exit ends the sandbox, and
    the caller must call `Launchable.keeper()` right after `Popen` (the launch writes the
    report as it starts; unread, it would fail).

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
    return mechanism.command(confinement, argv, env, report_keeper=report_keeper)
