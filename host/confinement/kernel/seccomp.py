"""A seccomp filter for both mechanisms: no sockets, no io_uring, no terminal injection.

Landlock's network rules (ABI >= 4) cover only TCP bind and connect: UDP, unix sockets
(a pathname one such as the Docker or D-Bus socket, or an abstract one before ABI 6),
raw and netlink sockets stay open. Rather than list families, this filter refuses
`socket(2)` itself, whatever the family, so no socket reaches anything: loopback, the
LAN or the user's own daemons. `socketpair(2)` stays allowed: it makes a connected pair
inside the process (asyncio and multiprocessing use it) and reaches nothing.

Also refused:

- `io_uring_setup`: io_uring can create sockets (IORING_OP_SOCKET) and do file IO
  without going through the system calls this filter sees;
- `ioctl` TIOCSTI and TIOCLINUX: pushing keystrokes into a terminal the program may
  still hold (the classic sandbox escape through the parent's shell);
- `truncate` on kernels whose Landlock cannot restrict truncation (ABI < 3), since it
  would otherwise empty any file the user can write, outside the project too;
- for Landlock, which guards a file's contents but not its metadata: changing owners,
  extended attributes or ACLs by path, and chmod to a setuid, setgid or sticky mode
  (`chmod 4777 ~/tool` would let other local users run it as this user). Plain chmod by
  path stays allowed, because git needs it in the project (`git init` probes
  core.filemode with it, config writes keep the file's mode): so under Landlock a
  program CAN still change the ordinary permission bits of the user's files outside
  the project (not read or write them). Bubblewrap has no such gap: what is outside
  the sandbox is not there;
- any system call of another ABI than the native one (x32 on x86-64, 32-bit compat):
  the numbers above would not match there, so such a call kills the process.

Bubblewrap loads the same filter (`--seccomp`): its empty network namespace already
cuts the network, but a unix socket that a host daemon listens on inside the project
directory would still be reachable through the filesystem.

Only x86-64 and aarch64 are supported; `supported()` says whether this machine is one.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

# struct seccomp_data offsets
_NR = 0
_ARCH = 4
_ARGS = 16
_ARG1_LOW = 24  # args[1], low 32 bits (little-endian); ioctl's cmd is an unsigned int

# BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

TIOCSTI = 0x5412
TIOCLINUX = 0x541C

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_X32_SYSCALL_BIT = 0x40000000


class Architecture:
    """System call numbers of one architecture (a plain class: dataclasses cost an import per launch)."""

    def __init__(
        self,
        audit_arch: int,
        *,
        socket: int,
        ioctl: int,
        truncate: int,
        io_uring_setup: int,
        chmod_by_path: tuple[tuple[int, int], ...],
        owner_and_xattr_by_path: tuple[int, ...],
        has_x32: bool,
    ) -> None:
        self.audit_arch = audit_arch
        self.socket = socket
        self.ioctl = ioctl
        self.truncate = truncate
        self.io_uring_setup = io_uring_setup
        #: (number, index of the mode argument) of chmod and fchmodat(2).
        self.chmod_by_path = chmod_by_path
        #: chown and extended-attribute calls that take a path (ACLs are extended attributes).
        self.owner_and_xattr_by_path = owner_and_xattr_by_path
        self.has_x32 = has_x32


ARCHITECTURES = {
    "x86_64": Architecture(
        0xC000003E,
        socket=41,
        ioctl=16,
        truncate=76,
        io_uring_setup=425,
        chmod_by_path=((90, 1), (268, 2), (452, 2)),  # chmod fchmodat fchmodat2
        # chown lchown fchownat setxattr lsetxattr removexattr lremovexattr setxattrat removexattrat
        owner_and_xattr_by_path=(92, 94, 260, 188, 189, 197, 198, 463, 466),
        has_x32=True,
    ),
    "aarch64": Architecture(
        0xC00000B7,
        socket=198,
        ioctl=29,
        truncate=45,
        io_uring_setup=425,
        chmod_by_path=((53, 2), (452, 2)),  # fchmodat fchmodat2
        # fchownat setxattr lsetxattr removexattr lremovexattr setxattrat removexattrat
        owner_and_xattr_by_path=(54, 5, 6, 14, 15, 463, 466),
        has_x32=False,
    ),
}

#: setuid, setgid and sticky: the mode bits refused to chmod by path.
SPECIAL_MODE_BITS = 0o7000


def native_architecture() -> Architecture | None:
    return ARCHITECTURES.get(os.uname().machine)


def supported() -> bool:
    return native_architecture() is not None


Instruction = tuple[int, int, int, int]  # code, jt, jf, k


def build_filter(arch: Architecture, *, deny_truncate: bool, guard_metadata: bool = False) -> list[Instruction]:
    """The BPF program, as (code, jt, jf, k) instructions; a pure function, testable alone.

    `guard_metadata` (for Landlock, which guards contents but not metadata) refuses, by
    path: changing owners, extended attributes and ACLs, and chmod to a mode with the
    setuid, setgid or sticky bit. The descriptor-based calls (fchmod, fchown, fsetxattr)
    stay: they need a descriptor that open(2), which Landlock checks, handed out.
    """
    # A jump target is a relative offset or the name of a label placed further down.
    draft: list[tuple[int, int | str, int | str, int]] = []
    labels: dict[str, int] = {}

    def emit(code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> None:
        draft.append((code, jt, jf, k))

    def deny(number: int, error: int) -> None:
        emit(_JEQ_K, number, 0, 1)
        emit(_RET_K, RET_ERRNO | error)

    emit(_LD_W_ABS, _ARCH)
    emit(_JEQ_K, arch.audit_arch, 0, "kill")
    emit(_LD_W_ABS, _NR)
    if arch.has_x32:
        emit(_JGE_K, _X32_SYSCALL_BIT, "kill", 0)
    deny(arch.socket, errno.EACCES)
    deny(arch.io_uring_setup, errno.ENOSYS)
    if deny_truncate:
        deny(arch.truncate, errno.EACCES)
    if guard_metadata:
        for number in arch.owner_and_xattr_by_path:
            deny(number, errno.EPERM)
        for number, mode_argument in arch.chmod_by_path:
            # The number matches: load the mode and decide for good (the accumulator no
            # longer holds the number). It does not: skip the two instructions.
            emit(_JEQ_K, number, 0, 2)
            emit(_LD_W_ABS, _args_low(mode_argument))
            emit(_JSET_K, SPECIAL_MODE_BITS, "refuse mode", "allow")
    emit(_JEQ_K, arch.ioctl, 0, "allow")
    emit(_LD_W_ABS, _ARG1_LOW)
    for request in (TIOCSTI, TIOCLINUX):
        deny(request, errno.EPERM)
    labels["allow"] = len(draft)
    emit(_RET_K, RET_ALLOW)
    labels["kill"] = len(draft)
    emit(_RET_K, RET_KILL_PROCESS)
    labels["refuse mode"] = len(draft)
    emit(_RET_K, RET_ERRNO | errno.EPERM)

    def offset(index: int, target: int | str) -> int:
        return target if isinstance(target, int) else labels[target] - index - 1

    return [(code, offset(i, jt), offset(i, jf), k) for i, (code, jt, jf, k) in enumerate(draft)]


def _args_low(index: int) -> int:
    return _ARGS + 8 * index  # the low 32 bits of args[index] (little-endian)


def encode(program: list[Instruction]) -> bytes:
    """The program as the kernel (and bubblewrap's --seccomp) reads it: struct sock_filter[]."""
    return b"".join(struct.pack("=HBBI", code, jt, jf, k) for code, jt, jf, k in program)


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(program: list[Instruction]) -> None:
    """Load `program` for this process and everything it starts. Needs PR_SET_NO_NEW_PRIVS."""
    packed = encode(program)
    buffer = ctypes.create_string_buffer(packed, len(packed))
    fprog = _SockFprog(len(program), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"seccomp filter: {os.strerror(error)}")
