"""Confinement with Landlock and seccomp, where bubblewrap cannot run.

The program runs on the host's own filesystem, but Landlock lets it read only what a
rule names (the system directories, the `Confinement`'s paths) and write only the
project (when writable) and the scratch directory. An escaping symlink (`up -> ..`)
still resolves to the host's directory, but everything there is denied: reading,
listing, writing, creating, removing. A seccomp filter refuses every socket (see
`kernel/seccomp.py`), so there is no network, loopback included.

The launch goes through a small supervisor (`kernel/exec.py`, started with the acc
interpreter in isolated mode) which also sets the rlimits, drops capabilities and
no_new_privs, and kills every descendant when the program ends or the launch is killed.

Compared with bubblewrap (see `caveats`): files outside remain detectable (a path's
existence and metadata are not hidden), there is no private /tmp (TMPDIR points into
the scratch directory; a program that insists on /tmp gets "permission denied") and no
/proc at all. Each launch starts a Python interpreter, which costs milliseconds more.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from host.confinement.kernel import landlock, seccomp
from host.confinement.launch import Launchable, Mechanism, info_pipe, sandbox_environment
from host.confinement.spec import Confinement
from host.confinement.system import DEVICES, SystemEntry, system_layout

SUPERVISOR = Path(__file__).resolve().parent / "kernel" / "exec.py"

#: Read and run, as the system directories and read-only paths allow.
READ = landlock.READ_FILE | landlock.READ_DIR | landlock.EXECUTE
#: Everything a program writing files needs; not device nodes, sockets or FIFOs.
WRITE = (
    READ
    | landlock.WRITE_FILE
    | landlock.REMOVE_DIR
    | landlock.REMOVE_FILE
    | landlock.MAKE_DIR
    | landlock.MAKE_REG
    | landlock.MAKE_SYM
    | landlock.REFER
    | landlock.TRUNCATE
)
DEVICE = landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE | landlock.IOCTL_DEV
#: The account files: the host's own, readable (Landlock cannot make up files).
ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


@dataclass(frozen=True)
class Landlock(Mechanism):
    abi: int
    #: The interpreter that runs the supervisor (the one running acc).
    python: str
    euid: int

    name: ClassVar[str] = "landlock"

    def describe(self) -> str:
        return f"Landlock ABI {self.abi} with seccomp (no sockets), rlimits and a subreaper supervisor ({self.python})"

    def caveats(self) -> tuple[str, ...]:
        notes = [
            "files outside the sandbox cannot be read or written, but their existence and metadata can be seen",
            "no private /tmp (TMPDIR is the scratch directory) and no /proc",
            "Landlock does not guard metadata: a program can change the ordinary permission bits and times "
            "of the user's files outside the project (not their contents; owners, ACLs, extended attributes "
            "and setuid/setgid bits are refused by seccomp)",
        ]
        if self.abi < 2:
            notes.append(f"Landlock ABI {self.abi}: moving or linking a file into another directory is refused")
        if self.abi < 3:
            notes.append(f"Landlock ABI {self.abi}: truncate(2) by path is refused everywhere")
        if self.abi < 6:
            notes.append(
                f"Landlock ABI {self.abi}: a launched program can still send signals to the user's other processes"
            )
        if self.euid == 0:
            notes.append(
                "acc runs as root: the kernel never applies the process-count limit (RLIMIT_NPROC) to uid 0, "
                "so a fork bomb is bounded only by the time limit"
            )
        else:
            notes.append(
                "where user namespaces are disabled, the process-count limit counts all of the user's processes"
            )
        return tuple(notes)

    def command(
        self, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str], *, report_keeper: bool = False
    ) -> Launchable:
        spec = landlock_spec(confinement, system_layout(), self.abi)
        info_read, info_write = info_pipe() if report_keeper else (None, None)
        report = ["--info-fd", str(info_write)] if info_write is not None else []
        return Launchable(
            [self.python, "-I", "-S", str(SUPERVISOR), *supervisor_arguments(spec), *report, "--", *argv],
            sandbox_environment(env, home=confinement.home, tmpdir=str(confinement.scratch_dir)),
            cwd=confinement.project_dir,
            pass_fds=(info_write,) if info_write is not None else (),
            info_fd=info_read,
        )


def landlock_spec(confinement: Confinement, layout: Sequence[SystemEntry], abi: int) -> dict[str, Any]:
    """What the supervisor applies: a pure function of the confinement and the kernel's ABI."""
    rules: list[tuple[str, int]] = [(entry.path, READ) for entry in layout]
    rules += [(path, landlock.READ_FILE) for path in ACCOUNT_FILES if os.path.exists(path)]
    rules += [(path, DEVICE) for path in DEVICES if os.path.exists(path)]
    rules.append((str(confinement.project_dir), WRITE if confinement.project_writable else READ))
    rules.append((str(confinement.scratch_dir), WRITE))
    rules += [(str(path), READ) for path in confinement.read_only_paths]
    handled = landlock.fs_rights(abi)
    return {
        "landlock": {
            "abi": abi,
            "handled_fs": handled,
            # No TCP rule: every port is denied. Redundant with the seccomp filter, which
            # refuses all sockets; kept so that either alone suffices for TCP.
            "handled_net": landlock.net_rights(abi),
            "scoped": landlock.scopes(abi),
            "rules": [(path, access & handled) for path, access in rules],
        },
        "seccomp": {"deny_truncate": abi < 3, "guard_metadata": True},
        "rlimits": confinement.limits.rlimits(),
        "processes": confinement.limits.processes,
    }


def supervisor_arguments(spec: dict[str, Any]) -> list[str]:
    """`spec` as the supervisor's options (see `kernel/exec.py`)."""
    rules = spec["landlock"]
    arguments = [
        "--abi", str(rules["abi"]),
        "--handled-fs", str(rules["handled_fs"]),
        "--handled-net", str(rules["handled_net"]),
        "--scoped", str(rules["scoped"]),
    ]  # fmt: skip
    for path, access in rules["rules"]:
        arguments += ["--rule", str(access), path]
    for name, value in spec["rlimits"].items():
        arguments += ["--rlimit", name, str(value)]
    arguments += ["--processes", str(spec["processes"])]
    arguments += ["--deny-truncate", "1" if spec["seccomp"]["deny_truncate"] else "0"]
    arguments += ["--guard-metadata", "1" if spec["seccomp"]["guard_metadata"] else "0"]
    return arguments


def find_landlock(python: str | None = None) -> Landlock | str:
    """Landlock if this kernel has it and seccomp can back it; else why not."""
    if not sys.platform.startswith("linux"):
        return "Landlock: needs Linux"
    abi = landlock.abi_version()
    if abi < 1:
        return "Landlock: not available in this kernel (needs Linux 5.13 or later, with landlock in the lsm= list)"
    if not seccomp.supported():
        return f"Landlock: no seccomp filter for {os.uname().machine}, so network access could not be denied"
    interpreter = python or sys.executable
    if not interpreter:
        return "Landlock: the Python interpreter running acc is unknown (sys.executable is empty)"
    return Landlock(abi, interpreter, os.geteuid())
