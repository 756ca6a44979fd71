"""The engine of the `process` capability: launch a granted program, bound it, collect its output.

A call is bounded on every side:

- **which program**: a bare name from the grant, resolved against a fixed `SAFE_PATH`
  (never the user's `PATH`, which a project's `.envrc` or a hostile tool may have
  prepended to);
- **its arguments**: strings without NUL, count and total size capped, then checked by
  the program's profile, if the host has one (`host.capabilities.process.profiles`:
  git, pytest and coverage, python);
- **what it can reach**: every launch, the program's and the profile's own queries
  alike, runs in the OS sandbox of `host.confinement` (bubblewrap, else Landlock). The
  program sees the project (read-only unless its profile says this call writes, as
  `git commit` does, or the plugin holds an fs read-write grant), a fresh empty HOME,
  a private /tmp, the system's programs and libraries read-only, and the extra
  read-only paths its profile names (the interpreter's venv); nothing else of the
  user's files, no network, and every descendant dies with the call. If no sandbox
  works here, the call is refused (`SandboxUnavailable`), unless the user set
  ACC_UNCONFINED_PROCESSES_DANGEROUS=1;
- **what it inherits**: nothing from `os.environ`; `HOME` is a fresh empty directory per
  call (shared by the call's launches, deleted afterwards);
- **how long and how much**: a deadline after which the whole process group is killed,
  a cap on each of stdout and stderr after which it is killed too, and rlimits (CPU
  time, processes, file size) inside the sandbox;
- **when the call is stopped** (the scope's `Interrupt`, `host.interrupt`): the engine
  waits on it beside the program's pipes and kills the launch at once (its sandbox takes
  every descendant with it); a stopped call launches nothing more.

The engine knows no program by name: the table of profiles is handed to it in the
`ProcessScope` (by `host.capabilities.process.bind`), so a profile is a plug-in of the
host, never an import of the engine.

Errors (all `host.capabilities.errors.CapabilityError`; the guest sees the `kind`):

    Invalid             malformed request: bad program name, NUL in an argument
    Denied              not granted: the program, or what its profile refuses
    SandboxUnavailable  (a Denied) no OS sandbox works on this system
    LimitExceeded       too many or too large arguments or stdin; the program ran past its deadline
    Failed              the project directory is missing, the program is not installed or cannot start

Running out of output space is not an error: the result says `truncated=True` and the
guest decides. POSIX only (process groups, `os.killpg`).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from host.capabilities.errors import Denied, Failed, Invalid, LimitExceeded, SandboxUnavailable

if TYPE_CHECKING:
    import subprocess

    from host.confinement import Confinement, Limits, Mechanism
    from host.interrupt import Interrupt

# subprocess, selectors, signal, shutil, tempfile and host.confinement (which detects the
# OS sandbox) are imported by the functions that launch, not here: binding the process
# capability for a call that runs no program then costs no more than its profiles (about
# 1.4 MB resident and 20 ms of imports less for every host that loads such a plugin).

__all__ = [
    "SAFE_PATH",
    "CallSandbox",
    "Launch",
    "ProcessOutput",
    "ProcessScope",
    "ProgramProfile",
    "inside",
    "run_program",
]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: The only directories programs are looked up in, and the child's `PATH`. System
#: directories are writable only by root, so a name resolves to what the administrator
#: installed, not to something a project or plugin dropped somewhere.
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"

_READ_CHUNK = 64 * KiB
_REAP_SECONDS = 5.0
# Without pidfd (old kernels, some seccomp profiles) exit is noticed by polling this often.
_EXIT_POLL_SECONDS = 0.01


def _detected_mechanism() -> Mechanism:
    """The OS sandbox of this system (detected once per process)."""
    from host.confinement import mechanism_in_force

    return mechanism_in_force()


@dataclass(frozen=True)
class ProcessScope:
    """What the user granted: which programs, in which project, within which limits."""

    programs: tuple[str, ...]
    project_dir: Path
    #: The host's profile of each program that has one (already narrowed by the manifest).
    #: Required, so that no caller can forget git's profile and run git unprofiled.
    profiles: Mapping[str, ProgramProfile]
    timeout_seconds: float = 60.0
    max_output_bytes: int = 4 * MiB
    max_stdin_bytes: int = 4 * MiB
    max_args: int = 1024
    max_arg_bytes: int = 128 * KiB
    #: `HOME` (and `XDG_CONFIG_HOME`) of the user running acc, for one purpose only: acc
    #: reads the commit identity (user.name, user.email) from the user's global git config
    #: when the project's repository sets none. Programs never see these variables. Empty:
    #: only the repository's own identity counts.
    user_config_environment: Mapping[str, str] = field(default_factory=dict)
    #: The plugin may change the project's files itself (an fs read-write grant), so the
    #: programs it runs may too. Otherwise a program sees the project read-only, unless its
    #: profile says this call writes (`git commit`).
    project_writable: bool = False
    #: Processes (threads count) a launch may have at once, and the largest file it may write.
    max_processes: int = 256
    max_file_bytes: int = 1 * GiB
    #: The OS sandbox mechanism, asked before each call: the one detected on this system
    #: (detected once per process). Raises `ConfinementUnavailable` when there is none.
    confinement: Callable[[], Mechanism] = _detected_mechanism
    #: Fired when the call that runs programs is stopped: the program is killed at once.
    interrupt: Interrupt | None = None

    def __post_init__(self) -> None:
        # A zero or negative limit would be a silent "no limit" or "never works"; both are
        # host configuration bugs, so fail loudly where the scope is built.
        if not self.timeout_seconds > 0:
            raise ValueError("timeout_seconds must be positive")
        for name in (
            "max_output_bytes",
            "max_stdin_bytes",
            "max_args",
            "max_arg_bytes",
            "max_processes",
            "max_file_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass
class ProcessOutput:
    """What a program produced.

    `status` is the exit status, or minus the signal number if it was killed (as with
    `subprocess`); it is `-9` when acc killed it for flooding an output stream, in which
    case `truncated` is true and each stream holds at most `max_output_bytes`.
    """

    status: int
    stdout: bytes
    stderr: bytes
    truncated: bool


@dataclass(frozen=True)
class CallSandbox:
    """The OS sandbox every launch of one call runs in (the program's and its preflights')."""

    mechanism: Mechanism
    #: The call's private HOME, shared by its launches and deleted after the call.
    scratch_dir: Path
    project_writable: bool
    #: Host paths shown read-only besides the system's: the profile's (the interpreter's venv).
    read_only_paths: tuple[Path, ...]
    limits: Limits


@dataclass(frozen=True)
class Launch:
    """Everything fixed for one `run_program` call; preflight checks run through it too.

    A preflight (git's repository vetting) runs the same executable with the same
    scrubbed environment, in the same OS sandbox (see `reading`), and shares the call's
    deadline, so it can neither see more nor take longer than the plugin's own command.
    """

    program: str
    executable: str
    project_dir: Path
    environment: Mapping[str, str]
    deadline: float  # a time.monotonic() value
    timeout_seconds: float
    sandbox: CallSandbox
    #: From `ProcessScope.user_config_environment`; for preflights only, never the program.
    user_config_environment: Mapping[str, str] = field(default_factory=dict)
    #: From `ProcessScope.interrupt`: preflights and the program alike are killed when it fires.
    interrupt: Interrupt | None = None

    def run(
        self,
        argv_tail: Sequence[str],
        *,
        max_output: int,
        stdin: bytes = b"",
        show: Sequence[Path] = (),
        home: Path | None = None,
    ) -> ProcessOutput:
        """Run the executable with `argv_tail`, confined; raise `LimitExceeded` past the deadline.

        `show` adds host paths the launch sees read-only, and `home` sets its HOME: for a
        host-run query only (git's identity query shows exactly the user's git config
        files, at their place in the user's home), never for the plugin's program.
        """
        confinement = self._confinement(show, home)
        outcome = _execute(
            self.sandbox.mechanism,
            confinement,
            [self.executable, *argv_tail],
            env=self.environment,
            stdin=stdin,
            deadline=self.deadline,
            max_output=max_output,
            interrupt=self.interrupt,
        )
        if outcome.interrupted:
            reason = self.interrupt.reason if self.interrupt is not None else ""
            raise LimitExceeded(f"program {self.program} was killed: the call was stopped ({reason})")
        if outcome.timed_out:
            raise LimitExceeded(
                f"program {self.program} ran longer than {self.timeout_seconds:g} s "
                "(the process grant's time limit) and was stopped"
            )
        return outcome.output

    def reading(self) -> Launch:
        """This launch with the project read-only: for preflights, which only look."""
        return replace(self, sandbox=replace(self.sandbox, project_writable=False))

    def _confinement(self, show: Sequence[Path], home: Path | None) -> Confinement:
        from host.confinement import Confinement

        try:
            return Confinement(
                project_dir=self.project_dir,
                scratch_dir=self.sandbox.scratch_dir,
                project_writable=self.sandbox.project_writable,
                read_only_paths=(*self.sandbox.read_only_paths, *show),
                limits=self.sandbox.limits,
                home_dir=home,
            )
        except ValueError as error:  # e.g. a project that contains the temporary directory
            raise Failed(f"cannot confine {self.program} here: {error}") from error


def _unrestricted(args: list[str], project_dir: Path) -> list[str]:
    """The check of a program without a profile: the generic checks are all there is."""
    return args


def _no_environment(project_dir: Path) -> dict[str, str]:
    return {}


def _reads_only(args: list[str]) -> bool:
    return False


def _nothing_more(executable: str) -> tuple[Path, ...]:
    return ()


@dataclass(frozen=True)
class ProgramProfile:
    """How acc runs one program beyond the generic checks.

    - `check_args(args, project_dir)` validates the plugin's arguments and returns the
      argv tail to run (it may prepend options); it raises `Invalid`/`Denied`. It does no
      IO beyond resolving paths, so it is easy to test on its own.
    - `environment(project_dir)` adds program-specific variables to the scrubbed base.
    - `preflight(args, launch)` runs before the program and may refuse (git vets the
      repository here); what it returns is added to the program's environment (git's
      commit identity, which the host decides and the plugin cannot).
    - `execute(argv_tail, launch, stdin, max_output)` runs the program in place of the
      single `launch.run(argv_tail)`, for a program whose result takes more than one
      process (coverage: measure, then report).
    - `writes(args)` says whether this call changes the project (`git commit`): only
      then does the program see the project read-write (an fs read-write grant aside).
      The host decides it from the checked arguments; a profile that cannot tell says
      False, and a program that tries to write anyway fails ("read-only file system").
    - `read_only_paths(executable)` names the host paths the program needs to run
      besides the system's, shown read-only (the interpreter's venv and base install).
    - `search_interpreter_dir` looks the program up in the directory of the running
      interpreter first (see `_interpreter_dir`).
    - `warning` is what the consent prompt says about granting the program.
    - `subcommands`: the subcommands the profile allows (the first argument), when the
      program has them; a manifest may narrow them (`narrowed`), never widen them.
    - `executable`: the program file to run when the granted name is not one (`cprofile`
      runs `python`, in the narrow way its profile allows); None: the name itself.
    """

    check_args: Callable[[list[str], Path], list[str]] = _unrestricted
    environment: Callable[[Path], dict[str, str]] = _no_environment
    preflight: Callable[[list[str], Launch], Mapping[str, str] | None] | None = None
    execute: Callable[[list[str], Launch, bytes, int], ProcessOutput] | None = None
    writes: Callable[[list[str]], bool] = _reads_only
    read_only_paths: Callable[[str], tuple[Path, ...]] = _nothing_more
    search_interpreter_dir: bool = False
    warning: str = ""
    subcommands: frozenset[str] | None = None
    executable: str | None = None

    def narrowed(self, program: str, allowed: Sequence[str]) -> ProgramProfile:
        """This profile, allowing only the subcommands `allowed` (a manifest's narrowing).

        Raises ValueError when the profile has no subcommands, or `allowed` names one the
        profile does not allow: a manifest can only ever narrow what the host allows.
        """
        if self.subcommands is None:
            raise ValueError(f"acc's profile of {program} has no subcommands to narrow")
        beyond = [s for s in allowed if s not in self.subcommands]
        if beyond:
            raise ValueError(
                f"acc does not run {program} {beyond[0]}; it runs only: " + ", ".join(sorted(self.subcommands))
            )
        narrow, everything, check = frozenset(allowed), self.subcommands, self.check_args

        def check_narrowed(args: list[str], project_dir: Path) -> list[str]:
            # A subcommand the profile does not know is refused by the profile's own check.
            if args and args[0] in everything and args[0] not in narrow:
                raise Denied(
                    f"{program} {args[0]} is not allowed: this plugin's manifest runs {program} only for "
                    + ", ".join(sorted(narrow))
                )
            return check(args, project_dir)

        return replace(self, check_args=check_narrowed, subcommands=narrow)


def run_program(scope: ProcessScope, program: str, args: Sequence[str], stdin: bytes) -> ProcessOutput:
    """Run `program` with `args` in the project, as the `process` grant in `scope` allows.

    Raises `Invalid`, `Denied` (`SandboxUnavailable` when nothing can confine the program),
    `LimitExceeded` or `Failed` (see the module docstring). A non-zero exit status is not
    an error: it is returned for the guest to judge.
    """
    _check_program_name(scope, program)
    if scope.interrupt is not None and scope.interrupt.is_set():
        raise LimitExceeded(f"program {program} was not started: the call was stopped ({scope.interrupt.reason})")
    arg_list = _check_args(scope, args)
    if not isinstance(stdin, bytes | bytearray | memoryview):
        raise Invalid("stdin must be bytes")
    stdin = bytes(stdin)
    if len(stdin) > scope.max_stdin_bytes:
        raise LimitExceeded(
            f"stdin for {program} is {len(stdin)} bytes; the process grant allows at most {scope.max_stdin_bytes}"
        )
    # No sandbox, no program: refused before anything of the call is looked at further.
    mechanism = _mechanism(scope)
    project_dir = _project_directory(scope)
    profile = scope.profiles.get(program, _NO_PROFILE)
    argv_tail = profile.check_args(arg_list, project_dir)

    import shutil
    import tempfile

    from host.confinement import Limits

    search_path = _search_path(profile)
    file_name = profile.executable or program
    executable = shutil.which(file_name, path=search_path)
    if executable is None:
        raise Failed(f"program not found: {file_name} (looked in {search_path})")

    limits = Limits(
        # Per process, and never before the deadline: a process cannot use more CPU time
        # than the wall time multiplied by the cores. A backstop for the deadline.
        cpu_seconds=math.ceil(scope.timeout_seconds * (os.cpu_count() or 1)) + 1,
        processes=scope.max_processes,
        file_size_bytes=scope.max_file_bytes,
    )
    deadline = time.monotonic() + scope.timeout_seconds
    # A fresh HOME per call, deleted afterwards: nothing of the user's home is visible and
    # nothing one call leaves there (caches, config a tool writes) leaks into the next.
    with tempfile.TemporaryDirectory(prefix="acc-home-", ignore_cleanup_errors=True) as home_text:
        home = Path(home_text).resolve()
        environment = {
            "PATH": search_path,
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
            **profile.environment(project_dir),
        }
        launch = Launch(
            program=program,
            executable=executable,
            project_dir=project_dir,
            environment=environment,
            deadline=deadline,
            timeout_seconds=scope.timeout_seconds,
            sandbox=CallSandbox(
                mechanism=mechanism,
                scratch_dir=home,
                project_writable=scope.project_writable or profile.writes(arg_list),
                read_only_paths=profile.read_only_paths(executable),
                limits=limits,
            ),
            user_config_environment=scope.user_config_environment,
            interrupt=scope.interrupt,
        )
        if profile.preflight is not None:
            added = profile.preflight(arg_list, launch)
            if added:
                launch = replace(launch, environment={**environment, **added})
        if profile.execute is not None:
            return profile.execute(argv_tail, launch, stdin, scope.max_output_bytes)
        return launch.run(argv_tail, stdin=stdin, max_output=scope.max_output_bytes)


def _mechanism(scope: ProcessScope) -> Mechanism:
    """The OS sandbox to launch in, or the refusal of the call when there is none."""
    from host.confinement import ConfinementUnavailable

    try:
        return scope.confinement()
    except ConfinementUnavailable as error:
        raise SandboxUnavailable(error) from error


# --- generic checks ---------------------------------------------------------------------


def _check_program_name(scope: ProcessScope, program: object) -> None:
    if not isinstance(program, str) or not program:
        raise Invalid("program must be a non-empty name such as 'git'")
    if "/" in program or "\0" in program:
        raise Invalid(f"program must be a bare name from the grant, not a path: {program!r}")
    if program.startswith("-"):
        raise Invalid(f"program name must not start with '-': {program!r}")
    if program not in scope.programs:
        allowed = ", ".join(scope.programs) if scope.programs else "(none)"
        raise Denied(f"program {program!r} is not granted; the process grant allows only: {allowed}")


def _check_args(scope: ProcessScope, args: Sequence[str]) -> list[str]:
    # A str is a Sequence[str] too; iterating it would run the program with one
    # argument per character, which is never what the caller meant.
    if isinstance(args, str | bytes):
        raise Invalid("args must be a list of strings, not a single string")
    arg_list = list(args)
    if len(arg_list) > scope.max_args:
        raise LimitExceeded(f"{len(arg_list)} arguments; the process grant allows at most {scope.max_args}")
    total = 0
    for index, arg in enumerate(arg_list):
        if not isinstance(arg, str):
            raise Invalid(f"argument {index} is not a string: {type(arg).__name__}")
        if "\0" in arg:
            # execve would cut the argument at the NUL: the program would see something
            # other than what was checked.
            raise Invalid(f"argument {index} contains a NUL byte")
        total += len(os.fsencode(arg))
    if total > scope.max_arg_bytes:
        raise LimitExceeded(f"arguments total {total} bytes; the process grant allows at most {scope.max_arg_bytes}")
    return arg_list


def _project_directory(scope: ProcessScope) -> Path:
    try:
        resolved = scope.project_dir.resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise Failed(f"the project directory {scope.project_dir} does not exist") from error
    if not resolved.is_dir():
        raise Failed(f"the project directory {scope.project_dir} is not a directory")
    return resolved


def _interpreter_dir() -> Path | None:
    """The bin directory of the Python running acc, unresolved.

    Not resolved on purpose: a venv's `bin/python` is a symlink to the base interpreter,
    and resolving it would lose the venv (its site-packages, its `pytest`). This is how
    `python`/`pytest` mean "the project's venv" when acc itself runs from it.
    """
    return Path(sys.executable).parent if sys.executable else None


def _search_path(profile: ProgramProfile) -> str:
    directory = _interpreter_dir() if profile.search_interpreter_dir else None
    return f"{directory}{os.pathsep}{SAFE_PATH}" if directory else SAFE_PATH


def inside(path_text: str, project_dir: Path) -> bool:
    """Whether `path_text`, taken relative to the project as git would, stays inside it.

    Both the lexical form (`..` collapsed, as git's own path checks do) and the resolved
    form (symlinks followed, as `open()` does) must be inside; either alone can be fooled.
    """
    candidate = project_dir / path_text  # an absolute path_text replaces project_dir
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False
    lexical = Path(os.path.normpath(candidate))
    return lexical.is_relative_to(project_dir) and resolved.is_relative_to(project_dir)


# --- running and supervising ------------------------------------------------------------


@dataclass
class _Outcome:
    output: ProcessOutput
    timed_out: bool
    interrupted: bool = False


@dataclass
class _Collected:
    stdout: bytes = b""
    stderr: bytes = b""
    truncated: bool = False
    timed_out: bool = False
    interrupted: bool = False


def _execute(
    mechanism: Mechanism,
    confinement: Confinement,
    argv: list[str],
    *,
    env: Mapping[str, str],
    stdin: bytes,
    deadline: float,
    max_output: int,
    interrupt: Interrupt | None = None,
) -> _Outcome:
    import signal
    import subprocess

    from host.confinement import confined_command

    try:
        launchable = confined_command(mechanism, confinement, argv, env, report_keeper=True)
    except ValueError as error:  # a program or path the sandbox cannot show
        raise Failed(f"cannot confine {argv[0]}: {error}") from error
    with launchable:
        try:
            process = subprocess.Popen(
                launchable.argv,
                cwd=launchable.cwd,
                env=launchable.env,
                pass_fds=launchable.pass_fds,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                shell=False,
                close_fds=True,
                # Its own process group, so everything it spawns can be killed at once
                # (the sandbox takes every descendant down with its launch).
                start_new_session=True,
            )
        except OSError as error:
            raise Failed(f"could not start {argv[0]}: {error.strerror or error}") from error
        # The sandbox's keeper (bubblewrap's PID namespace init, the Landlock supervisor):
        # when it is gone, so is every process of the launch, setsid or not.
        keeper = launchable.keeper(max(0.0, deadline - time.monotonic()))
        keeper_stop_signal = launchable.keeper_stop_signal
    try:
        collected = _collect(process, stdin, deadline, max_output, interrupt)
    finally:
        # Whatever happened (normal exit, flood, deadline, an exception in this thread),
        # nothing started by this call may outlive it. The leader is still unreaped here,
        # so its pid, which is the group id, cannot have been reused by another process.
        _kill_group(process.pid)
        # The keeper too, through its pidfd (never a reused pid): it left the group when
        # it started its own session, and a launcher killed before the keeper armed its
        # parent-death signal would leave it (and its sandbox) running. Its end is the end
        # of every process in the sandbox (the PID namespace's init; the supervisor, which
        # kills what is left below it on SIGTERM).
        if keeper is not None:
            _signal_pidfd(keeper, keeper_stop_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):  # stuck in the kernel:
            process.wait(timeout=_REAP_SECONDS)  # subprocess reaps it later
        # The launch can exit (or die) a moment before its sandbox's teardown is over.
        _wait_for_exit([keeper] if keeper is not None else [], _REAP_SECONDS)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    status = process.returncode if process.returncode is not None else -signal.SIGKILL
    return _Outcome(
        ProcessOutput(
            status=status,
            stdout=collected.stdout,
            stderr=collected.stderr,
            truncated=collected.truncated,
        ),
        timed_out=collected.timed_out,
        interrupted=collected.interrupted,
    )


def _wait_for_exit(pidfds: list[int], seconds: float) -> None:
    """Wait (at most `seconds`) until each process of `pidfds` has exited; close them."""
    import select

    deadline = time.monotonic() + seconds
    try:
        for fd in pidfds:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                select.select([fd], [], [], remaining)
    finally:
        for fd in pidfds:
            os.close(fd)


def _kill_group(pgid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pgid, signal.SIGKILL)


def _signal_pidfd(pidfd: int, signal_number: int) -> None:
    import signal

    with contextlib.suppress(OSError):  # already gone (ProcessLookupError)
        signal.pidfd_send_signal(pidfd, signal_number)


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _has_exited(pid: int) -> bool:
    # WNOWAIT: look without reaping, so the pid (the group id) stays reserved until the
    # group has been killed.
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _collect(
    process: subprocess.Popen[bytes], stdin: bytes, deadline: float, max_output: int, interrupt: Interrupt | None
) -> _Collected:
    """Feed stdin and drain stdout/stderr together until the program is done.

    One thread and a selector: no reader can block forever on a pipe that a grandchild
    keeps open, and a child that writes before reading its stdin cannot deadlock us.
    """
    import selectors

    assert process.stdout is not None and process.stderr is not None
    collected = _Collected()
    buffers = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    selector = selectors.DefaultSelector()
    pidfd = _open_pidfd(process.pid)
    try:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ, "out")
        pending = memoryview(stdin)
        if process.stdin is not None:
            os.set_blocking(process.stdin.fileno(), False)
            selector.register(process.stdin.fileno(), selectors.EVENT_WRITE, "in")
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, "exit")
        if interrupt is not None:
            selector.register(interrupt.fileno(), selectors.EVENT_READ, "interrupt")
        exited = False
        while True:
            if interrupt is not None and interrupt.is_set():
                collected.interrupted = True  # the caller kills the group in its finally
                break
            draining = any(key.data == "out" for key in selector.get_map().values())
            if exited and not draining:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                collected.timed_out = True
                break
            wait = remaining if pidfd is not None or exited else min(remaining, _EXIT_POLL_SECONDS)
            for key, _ in selector.select(wait):
                if key.data == "interrupt":
                    continue  # seen at the top of the loop
                if key.data == "exit":
                    selector.unregister(key.fd)
                    exited = True
                    # Leftover children (`cmd &`) would keep the pipes open and run on
                    # after the call; the program is done, so they go now.
                    _kill_group(process.pid)
                elif key.data == "in":
                    assert process.stdin is not None
                    try:
                        written = os.write(key.fd, pending[:_READ_CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        written, pending = 0, memoryview(b"")
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(key.fd)
                        process.stdin.close()  # EOF, so the program stops waiting for more
                else:
                    data = os.read(key.fd, _READ_CHUNK)
                    if not data:
                        selector.unregister(key.fd)
                        continue
                    buffer = buffers[key.fd]
                    buffer += data
                    if len(buffer) > max_output:
                        # Keep what fits and stop: the caller kills the group, so a
                        # program flooding its output cannot run on unread.
                        del buffer[max_output:]
                        collected.truncated = True
                        break
            if collected.truncated:
                break
            if pidfd is None and not exited and _has_exited(process.pid):
                exited = True
                _kill_group(process.pid)
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)
    collected.stdout = bytes(buffers[process.stdout.fileno()])
    collected.stderr = bytes(buffers[process.stderr.fileno()])
    return collected


#: How a program without a profile is run: the generic checks only.
_NO_PROFILE = ProgramProfile()
