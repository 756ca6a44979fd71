"""Run a program confined by Landlock and seccomp, and take every descendant down with it.

Usage (built by `host.confinement.landlock_launch`, never by hand):

    python -I -S exec.py --abi 7 --handled-fs N --handled-net N --scoped N
        [--rule ACCESS PATH]... [--rlimit NAME VALUE]... --processes N
        --deny-truncate 0|1 --guard-metadata 0|1 [--info-fd FD] -- /abs/program arg...

Plain arguments rather than JSON, and only light standard modules: this starts for
every launch, and `json`, `typing` or `dataclasses` would each cost more than the rest.

Three processes, because one cannot both be killed by the caller and clean up after:

    launcher (this process, the one the engine started and may SIGKILL at its deadline)
    └── supervisor: its own process group, so the engine's killpg does not reach it;
        │  PR_SET_PDEATHSIG(SIGTERM) when the launcher dies; PR_SET_CHILD_SUBREAPER, so
        │  every orphan below it (a grandchild that called setsid and daemonized too)
        │  is re-parented to it and not to init
        └── program: user namespace if it can, rlimits, no capabilities, no_new_privs,
            Landlock, seccomp, then execve

When the program exits, or the launcher dies, the supervisor kills every process left
below it, reaps them, and reports the program's wait status to the launcher, which exits
the same way (same code, or the same signal). With `--info-fd`, the launcher first writes
`{"child-pid": SUPERVISOR}` there (bubblewrap's format): the supervisor's exit is the end
of every process of the launch, which the engine waits for after killing the launcher.

Exit statuses of our own: 126 when the sandbox could not be set up (nothing ran; the
reason is on stderr, prefixed "acc sandbox:"), 127 when the program does not exist.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Sequence
    from typing import NoReturn
else:
    # The C module behind `signal`: the same functions and numbers, without the enum
    # wrapper whose import costs more than all the rest of this script.
    import _signal as signal

if __package__:  # imported as host.confinement.kernel.exec (tests, type checking)
    from host.confinement.kernel import landlock, seccomp
else:  # run as a script: load the siblings by path, nothing of the package's __init__
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import landlock  # type: ignore[import-not-found,no-redef]
    import seccomp  # type: ignore[import-not-found,no-redef]

SETUP_FAILED = 126
NOT_FOUND = 127

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_READ = 23
_PR_CAPBSET_DROP = 24
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CLONE_NEWUSER = 0x10000000
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class _Stop(Exception):
    """The supervisor was told to stop (its launcher died): clean up now."""


class Spec:
    """What to apply, parsed from the arguments."""

    def __init__(self) -> None:
        self.abi = 0
        self.handled_fs = 0
        self.handled_net = 0
        self.scoped = 0
        self.rules: list[tuple[str, int]] = []
        self.rlimits: dict[str, int] = {}
        self.processes = 0
        self.deny_truncate = False
        self.guard_metadata = False
        self.info_fd = -1


_INTEGER_OPTIONS = {
    "--abi": "abi",
    "--handled-fs": "handled_fs",
    "--handled-net": "handled_net",
    "--scoped": "scoped",
    "--processes": "processes",
    "--info-fd": "info_fd",
}
_FLAG_OPTIONS = {"--deny-truncate": "deny_truncate", "--guard-metadata": "guard_metadata"}


def parse_arguments(arguments: Sequence[str]) -> tuple[Spec, list[str]]:
    """The spec and the program's argv; ValueError if anything is missing or unknown."""
    spec, index = Spec(), 0
    while index < len(arguments) and arguments[index] != "--":
        option = arguments[index]
        if option in _INTEGER_OPTIONS:
            setattr(spec, _INTEGER_OPTIONS[option], int(arguments[index + 1]))
            index += 2
        elif option in _FLAG_OPTIONS:
            setattr(spec, _FLAG_OPTIONS[option], arguments[index + 1] == "1")
            index += 2
        elif option == "--rule":
            spec.rules.append((arguments[index + 2], int(arguments[index + 1])))
            index += 3
        elif option == "--rlimit":
            spec.rlimits[arguments[index + 1]] = int(arguments[index + 2])
            index += 3
        else:
            raise ValueError(f"unknown option {option!r}")
    program = list(arguments[index + 1 :])
    if not program or spec.abi < 1 or spec.processes < 1:
        raise ValueError("expected --abi, --processes, and -- PROGRAM [ARG...]")
    return spec, program


def main(argv: Sequence[str]) -> NoReturn:
    try:
        spec, program = parse_arguments(argv[1:])
    except (IndexError, ValueError) as error:
        _fail(SETUP_FAILED, f"bad launcher arguments: {error}")
    launcher = os.getpid()
    report_read, report_write = os.pipe()
    supervisor = os.fork()
    if supervisor == 0:
        os.close(report_read)
        if spec.info_fd >= 0:
            os.close(spec.info_fd)  # the program must not inherit it
        _supervise(spec, program, report_write, launcher)
    os.close(report_write)
    if spec.info_fd >= 0:
        try:  # noqa: SIM105 - contextlib would cost an import in every launch
            os.write(spec.info_fd, b'{"child-pid": %d}' % supervisor)
        except OSError:
            pass  # the engine stopped listening: it waits for nothing then
        os.close(spec.info_fd)
    _detach_standard_streams(keep_stderr=True)  # for our own errors
    report = _read_all(report_read)
    os.waitpid(supervisor, 0)
    _exit_as(int(report) if report else None)


# --- launcher -----------------------------------------------------------------------------


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 64):
        chunks.append(chunk)
    return b"".join(chunks).strip()


def _exit_as(wait_status: int | None) -> NoReturn:
    """Exit the way the program did: the same exit code, or death by the same signal."""
    if wait_status is None:  # the supervisor was stopped before the program ended
        os._exit(128 + signal.SIGKILL)
    code = os.waitstatus_to_exitcode(wait_status)
    if code >= 0:
        os._exit(code)
    signal_number = -code
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if signal_number not in (signal.SIGKILL, signal.SIGSTOP):  # these two cannot be caught anyway
        signal.signal(signal_number, signal.SIG_DFL)
    os.kill(os.getpid(), signal_number)
    os._exit(128 + signal_number)  # a signal whose default is to carry on (SIGCHLD, ...)


def _detach_standard_streams(*, keep_stderr: bool = False) -> None:
    # Only the program should hold the engine's pipes: a program that closes its stdin
    # makes the engine's writes fail at once, not fill a pipe nobody reads.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1) if keep_stderr else (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


# --- supervisor ---------------------------------------------------------------------------


def _supervise(spec: Spec, program: list[str], report_fd: int, launcher: int) -> NoReturn:
    try:
        wait_status: int | None = _start_and_wait(spec, program, launcher)
    except _Stop:
        wait_status = None
    while True:
        try:
            # Once ignored, no further stop can interrupt the cleanup; one that arrived
            # just before is caught here and the cleanup starts over.
            for signal_number in _STOP_SIGNALS:
                signal.signal(signal_number, signal.SIG_IGN)
            _kill_descendants()
            break
        except _Stop:
            continue
    if wait_status is not None:
        os.write(report_fd, str(wait_status).encode())
    os._exit(0)


def _start_and_wait(spec: Spec, program: list[str], launcher: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    os.setpgid(0, 0)
    for signal_number in _STOP_SIGNALS:
        signal.signal(signal_number, _raise_stop)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != launcher:  # it died before the death signal was armed
        raise _Stop
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        _fail(SETUP_FAILED, "cannot become a subreaper (PR_SET_CHILD_SUBREAPER)")
    child = os.fork()
    if child == 0:
        _confine_and_exec(spec, program)
    _detach_standard_streams()
    return os.waitpid(child, 0)[1]


def _raise_stop(signal_number: int, frame: object) -> None:
    raise _Stop


def _kill_descendants() -> None:
    """SIGKILL everything below this process until nothing is left to reap.

    As a subreaper, every orphan below comes to us: killing our children re-parents
    their children to us, so each round sees the next generation. A pid read from our
    children list cannot be reused before we reap it, so we never kill a stranger.
    """
    while True:
        for pid in _children():
            try:  # noqa: SIM105 - contextlib would cost an import in every launch
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _children() -> list[int]:
    pid = os.getpid()
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.extend(int(child) for child in listing.read().split())
        return found
    except FileNotFoundError:  # a kernel without CONFIG_PROC_CHILDREN: scan every process
        return [other for other in _all_pids() if _parent_of(other) == pid]


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


# --- the program's process, before execve ------------------------------------------------


def _confine_and_exec(spec: Spec, program: list[str]) -> NoReturn:
    try:
        # Python ignores SIGPIPE and SIGXFSZ; a program expects the defaults (and the file
        # size limit should stop it, not just fail its write).
        for signal_number in (*_STOP_SIGNALS, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(signal_number, signal.SIG_DFL)
        libc = ctypes.CDLL(None, use_errno=True)
        own_namespace = _enter_user_namespace(libc)
        _set_limits(spec.rlimits, spec.processes, counted_alone=own_namespace)
        _drop_capabilities(libc)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        landlock.restrict_self(spec.abi, spec.handled_fs, spec.handled_net, spec.scoped, spec.rules)
        arch = seccomp.native_architecture()
        if arch is None:
            raise OSError(errno.ENOSYS, "no seccomp filter for this architecture")
        seccomp.install(
            seccomp.build_filter(arch, deny_truncate=spec.deny_truncate, guard_metadata=spec.guard_metadata)
        )
    except Exception as error:
        _fail(SETUP_FAILED, f"could not confine {program[0]}: {error}")
    try:
        os.execve(program[0], program, os.environ)
    except OSError as error:
        _fail(NOT_FOUND if error.errno == errno.ENOENT else SETUP_FAILED, f"cannot run {program[0]}: {error.strerror}")


def _enter_user_namespace(libc: ctypes.CDLL) -> bool:
    """A user namespace of our own, if the system allows one; whether we got it.

    Its point is the process limit: RLIMIT_NPROC set inside a fresh user namespace counts
    only the processes in it, not all of the user's. The identity map keeps our uid and
    gid (files keep their owners); if writing it is refused, ids show as the overflow id
    but access is still checked against the real ones.
    """
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER) != 0:
        return False
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as control:
                control.write(text)
        except OSError:
            pass
    return True


def _set_limits(rlimits: dict[str, int], processes: int, *, counted_alone: bool) -> None:
    for name, value in rlimits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    # Without a namespace of our own, RLIMIT_NPROC counts every process of the user: allow
    # what they run now plus our budget (a race with their other work, but never less).
    limit = processes if counted_alone else _tasks_of_user(os.getuid()) + processes
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def _tasks_of_user(uid: int) -> int:
    total = 0
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return total


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32))


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """No capabilities now, none after execve (even for root), none to regain.

    Root that execs gets the bounding set as its capabilities, so the bounding set is
    emptied first; then the current sets, then the ambient ones.
    """
    try:
        with open("/proc/sys/kernel/cap_last_cap") as last:
            last_cap = int(last.read())
    except (OSError, ValueError):
        last_cap = 63
    for capability in range(last_cap + 1):
        libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)  # EPERM without CAP_SETPCAP: nothing to drop
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    if os.geteuid() == 0 and any(libc.prctl(_PR_CAPBSET_READ, cap, 0, 0, 0) == 1 for cap in range(last_cap + 1)):
        # Root would get these back at execve; without CAP_SETPCAP we could not drop them.
        raise OSError(errno.EPERM, "the capability bounding set could not be emptied")


def _fail(status: int, message: str) -> NoReturn:
    try:
        os.write(2, f"acc sandbox: {message}\n".encode(errors="replace"))
    finally:
        os._exit(status)


if __name__ == "__main__":
    main(sys.argv)
