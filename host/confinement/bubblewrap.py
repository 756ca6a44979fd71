"""Confinement with bubblewrap: new namespaces and a root made of only what is shown.

The sandbox's root is an empty tmpfs, remounted read-only once set up. Into it go the
system directories (read-only), a made-up /etc/passwd and /etc/group, a fresh /proc
(of a new PID namespace: only the sandbox's processes), a minimal /dev, a private /tmp,
and the paths the `Confinement` names, each at its own host path. Nothing else of the
host exists inside, which is what makes escaping symlinks harmless: the project's `..`
is a read-only directory holding only mount points, so `up -> ..` followed by
`up/outside/victim.txt` names a file that does not exist and cannot be created.

Namespaces: user (capabilities dropped, no nested user namespaces from bubblewrap 0.8),
mount, PID (`--die-with-parent`: when the launch is killed, so is the namespace's init,
and the kernel then kills every process in it, including ones that called setsid),
network (a new, empty one: no interface up, loopback included, so no socket reaches
anything), IPC, UTS (host name `acc-sandbox`), cgroup. `--new-session` detaches the
program from any terminal (no TIOCSTI injection). The seccomp filter of
`kernel/seccomp.py` refuses every socket on top: a unix socket a host daemon listens on
inside the project would otherwise be reachable through the filesystem.

Resource limits are set by `prlimit` (util-linux) as the first program inside the
sandbox: an RLIMIT_NPROC set before the user namespace exists would count all of the
user's processes, one set inside counts only the sandbox's.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from host.confinement.kernel import seccomp
from host.confinement.launch import Launchable, Mechanism, info_pipe, sandbox_environment
from host.confinement.spec import Confinement, Limits
from host.confinement.system import SystemEntry, system_layout

#: Where bubblewrap and prlimit are looked up: system directories only, never the user's PATH.
SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"
HOSTNAME = "acc-sandbox"
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt install bubblewrap`; Fedora: `sudo dnf install bubblewrap`)"
)


@dataclass(frozen=True)
class Bubblewrap(Mechanism):
    executable: str
    version: tuple[int, ...]
    prlimit: str
    #: The effective uid acc runs as; root changes what the process limit can do.
    euid: int

    name: ClassVar[str] = "bubblewrap"

    def describe(self) -> str:
        version = ".".join(map(str, self.version))
        return (
            f"bubblewrap {version} ({self.executable}): user, mount, PID, network, IPC and UTS "
            "namespaces, read-only system, private /tmp, rlimits"
        )

    def caveats(self) -> tuple[str, ...]:
        notes = []
        if self.euid == 0:
            notes.append(
                "acc runs as root: the kernel never applies the process-count limit (RLIMIT_NPROC) to uid 0, "
                "so a fork bomb is bounded only by the time limit"
            )
        if self.version < (0, 8):
            notes.append("bubblewrap < 0.8: a launched program may create nested user namespaces")
        return tuple(notes)

    def command(
        self, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str], *, report_keeper: bool = False
    ) -> Launchable:
        arch = seccomp.native_architecture()
        if arch is None:  # find_bubblewrap refuses such a machine; this is the backstop
            raise ValueError(f"no seccomp filter for {os.uname().machine}")
        fds = [
            _memory_file("acc-passwd", _passwd(confinement.home)),
            _memory_file("acc-group", _group()),
            _memory_file("acc-seccomp", seccomp.encode(seccomp.build_filter(arch, deny_truncate=False))),
        ]
        info_read, info_write = info_pipe() if report_keeper else (None, None)
        if info_write is not None:
            fds.append(info_write)
        arguments = bwrap_arguments(
            confinement,
            system_layout(),
            argv,
            data_files={"/etc/passwd": fds[0], "/etc/group": fds[1]},
            seccomp_fd=fds[2],
            prlimit=self.prlimit,
            nested_user_namespaces=self.version < (0, 8),
            info_fd=info_write,
        )
        return Launchable(
            [self.executable, *arguments],
            sandbox_environment(env, home=confinement.home, tmpdir="/tmp"),
            cwd=confinement.project_dir,
            pass_fds=fds,
            info_fd=info_read,
            # Its keeper is the PID namespace's init: killing it ends every process inside.
            keeper_stop_signal=signal.SIGKILL,
        )


def bwrap_arguments(
    confinement: Confinement,
    layout: Sequence[SystemEntry],
    argv: Sequence[str],
    *,
    data_files: Mapping[str, int],
    seccomp_fd: int,
    prlimit: str,
    nested_user_namespaces: bool = False,
    info_fd: int | None = None,
) -> list[str]:
    """bubblewrap's arguments for one launch: a pure function of what it is given.

    `info_fd`: where bubblewrap reports the host pid of the PID namespace's init, whose
    exit is the end of every process in the sandbox (`Launchable.keeper`).
    """
    arguments = ["--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"]
    if info_fd is not None:
        arguments += ["--info-fd", str(info_fd)]
    arguments += ["--cap-drop", "ALL", "--hostname", HOSTNAME, "--seccomp", str(seccomp_fd)]
    if not nested_user_namespaces:
        arguments.append("--disable-userns")
    for entry in layout:
        if entry.kind == "symlink":
            arguments += ["--symlink", entry.target, entry.path]
        else:
            arguments += ["--ro-bind", entry.path, entry.path]
    for destination, fd in data_files.items():
        arguments += ["--ro-bind-data", str(fd), destination]
    arguments += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    binds = [
        (confinement.scratch_dir, "--bind"),
        (confinement.project_dir, "--bind" if confinement.project_writable else "--ro-bind"),
        *((path, "--ro-bind") for path in confinement.read_only_paths),
    ]
    # Outer paths first, so a path inside another is mounted over it and keeps its own
    # mode: a read-only venv inside a writable project stays read-only.
    for path, option in sorted(binds, key=lambda bind: len(bind[0].parts)):
        arguments += [option, str(path), str(path)]
    arguments += ["--chdir", str(confinement.project_dir), "--remount-ro", "/", "--"]
    return [*arguments, *prlimit_command(prlimit, confinement.limits), *argv]


def prlimit_command(prlimit: str, limits: Limits) -> list[str]:
    names = {"RLIMIT_CPU": "cpu", "RLIMIT_FSIZE": "fsize", "RLIMIT_CORE": "core", "RLIMIT_AS": "as"}
    options = [f"--{names[name]}={value}" for name, value in limits.rlimits().items()]
    return [prlimit, *options, f"--nproc={limits.processes}", "--"]


def find_bubblewrap(search_path: str = SEARCH_PATH) -> Bubblewrap | str:
    """bubblewrap if it is installed (the probe that it really works is the caller's); else why not."""
    if not sys.platform.startswith("linux"):
        return "bubblewrap: needs Linux"
    if not seccomp.supported():
        return f"bubblewrap: no seccomp filter for {os.uname().machine}, so unix sockets could not be denied"
    executable = shutil.which("bwrap", path=search_path)
    if executable is None:
        return f"bubblewrap: not installed; {INSTALL_HINT}"
    prlimit = shutil.which("prlimit", path=search_path)
    if prlimit is None:
        return "bubblewrap: prlimit is missing (it sets the sandbox's limits); install util-linux"
    try:
        output = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap: {executable} --version failed: {error}"
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", output.stdout)
    if output.returncode != 0 or match is None:
        return f"bubblewrap: {executable} --version said {output.stdout.strip() or output.stderr.strip()!r}"
    version = tuple(int(part) for part in match.groups() if part is not None)
    return Bubblewrap(executable, version, prlimit, os.geteuid())


def _passwd(home: Path) -> bytes:
    uid, gid = os.getuid(), os.getgid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = "user"
    return f"{name}:x:{uid}:{gid}::{home}:/bin/sh\n".encode()


def _group() -> bytes:
    gid = os.getgid()
    try:
        name = grp.getgrgid(gid).gr_name
    except KeyError:
        name = "users"
    return f"{name}:x:{gid}:\n".encode()


def _memory_file(name: str, data: bytes) -> int:
    """An anonymous file holding `data`, positioned at its start (bubblewrap reads it to the end)."""
    fd = os.memfd_create(name)  # close-on-exec: only the launch that passes it inherits it
    try:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd
