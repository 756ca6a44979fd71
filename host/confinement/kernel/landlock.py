"""Landlock through direct system calls (ctypes): ABI detection and self-restriction.

Landlock (Linux >= 5.13) lets an unprivileged process give up filesystem access for
itself and every process it later starts, for good: no privilege, capability or
`setuid` program brings it back. A ruleset names the access rights it *handles*; every
handled right is denied except beneath the paths a rule grants it for.

What each ABI version adds, and so what this module asks for when the kernel has it:

    1 (5.13)  files and directories: execute, read, write, make, remove
    2 (5.19)  REFER: rename or link a file into another directory (without it, always denied)
    3 (6.2)   TRUNCATE: truncate(2), O_TRUNC (without it, never restricted)
    4 (6.7)   TCP bind and connect (we deny every socket with seccomp instead, see seccomp.py)
    5 (6.10)  IOCTL_DEV: ioctl on character and block devices
    6 (6.12)  scopes: abstract unix sockets and signals to processes outside the sandbox
    7 (6.15)  audit logging flags (nothing new to deny)

What Landlock cannot do (and where the launcher makes up for it): it does not hide that
a path exists (stat and path walks are not restricted), it cannot make a private /tmp or
a fresh /proc (no mounts), and before ABI 6 a restricted program may still signal the
user's other processes.
"""

from __future__ import annotations

import ctypes
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import per launch; the supervisor avoids it
    from collections.abc import Iterable

SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

# Filesystem access rights (include/uapi/linux/landlock.h).
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

#: The rights that make sense on a file (not a directory); a rule on a file may carry no other.
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_FS_RIGHTS_BY_ABI = {
    1: (1 << 13) - 1,
    2: (1 << 14) - 1,
    3: (1 << 15) - 1,
    4: (1 << 15) - 1,
    5: (1 << 16) - 1,
}
_FS_RIGHTS_LATEST = (1 << 16) - 1


def fs_rights(abi: int) -> int:
    """Every filesystem right the kernel of `abi` can handle."""
    if abi < 1:
        return 0
    return _FS_RIGHTS_BY_ABI.get(abi, _FS_RIGHTS_LATEST)


def net_rights(abi: int) -> int:
    return NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0


def scopes(abi: int) -> int:
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


class LandlockError(OSError):
    """A Landlock system call failed; `errno` says why."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the uapi header: 12 bytes, not 16
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The Landlock ABI of the running kernel; 0 when Landlock is absent or disabled.

    ENOSYS: the kernel was built without it; EOPNOTSUPP: built in but not enabled at boot
    (the `lsm=` kernel parameter must list `landlock`).
    """
    result = _libc().syscall(
        SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)
    )
    return int(result) if result > 0 else 0


def _attr_size(abi: int) -> int:
    # Older kernels refuse a struct larger than the one they know unless the extra bytes
    # are zero; sending exactly what the ABI defines avoids depending on that.
    if abi >= 6:
        return ctypes.sizeof(_RulesetAttr)
    if abi >= 4:
        return 16
    return 8


def restrict_self(abi: int, handled_fs: int, handled_net: int, scoped: int, rules: Iterable[tuple[str, int]]) -> None:
    """Restrict this process (and all it starts) to `rules`: (path, allowed rights) pairs.

    Needs `PR_SET_NO_NEW_PRIVS` set first (or CAP_SYS_ADMIN). A path that does not exist
    is an error, not a silent gap: the caller decided it should be visible.
    """
    libc = _libc()
    attr = _RulesetAttr(handled_fs, handled_net, scoped)
    ruleset = libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(_attr_size(abi)), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, f"landlock_create_ruleset: {os.strerror(errno)}")
    try:
        for path, allowed in rules:
            _add_path_rule(libc, int(ruleset), path, allowed & handled_fs)
        if libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            errno = ctypes.get_errno()
            raise LandlockError(errno, f"landlock_restrict_self: {os.strerror(errno)}")
    finally:
        os.close(ruleset)


def _add_path_rule(libc: ctypes.CDLL, ruleset: int, path: str, allowed: int) -> None:
    # O_PATH follows a symlink to its target (/bin -> usr/bin): the rule lands on the
    # directory the kernel will actually walk through.
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            allowed &= FILE_RIGHTS
        rule = _PathBeneathAttr(allowed, fd)
        if (
            libc.syscall(
                SYS_LANDLOCK_ADD_RULE,
                ctypes.c_int(ruleset),
                ctypes.c_int(RULE_PATH_BENEATH),
                ctypes.byref(rule),
                ctypes.c_uint32(0),
            )
            < 0
        ):
            errno = ctypes.get_errno()
            raise LandlockError(errno, f"landlock_add_rule {path}: {os.strerror(errno)}")
    finally:
        os.close(fd)
