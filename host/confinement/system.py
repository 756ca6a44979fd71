"""The part of the host system a confined program sees: its programs and libraries, read-only.

An allow-list, and a short one. Shown:

- `/usr` and the top-level program and library directories (`/bin`, `/sbin`, `/lib*`),
  which on a merged-/usr system are symlinks into `/usr` and are reproduced as such.
  Only the administrator can write there, and nothing of a user lives there;
- from `/etc`, only what the dynamic linker and Debian's `alternatives` symlinks need
  (`ETC_ENTRIES`). Not `/etc/gitconfig` (system git config can name programs to run),
  not `/etc/ssl`, `/etc/hosts` or `/etc/resolv.conf` (there is no network anyway), not
  the rest (host names, mounts, service configuration). `/etc/passwd` and `/etc/group`
  are made up for the sandbox with bubblewrap (one entry: the user, HOME the scratch
  directory); Landlock cannot make files, so there the host's own are readable
  (world-readable account names, no password hashes);
- the harmless devices (`DEVICES`). Bubblewrap mounts a fresh minimal `/dev` and a
  fresh `/proc` that shows only the sandbox's processes; Landlock shows these devices
  and no `/proc` at all.

Not shown, whatever the mechanism: `/home`, `/root`, `/tmp` (a private one instead),
`/var`, `/run` (the user's D-Bus, ssh-agent and Docker sockets live there), `/srv`,
`/mnt`, `/media`, `/opt`, `/boot`, `/sys`, and every other project.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Directories of programs and libraries, shown read-only if they exist.
SYSTEM_DIRECTORIES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

#: From /etc, only these (each: why).
ETC_ENTRIES = (
    "/etc/ld.so.cache",  # where the dynamic linker finds shared libraries
    "/etc/ld.so.conf",  # its configuration, read when the cache misses
    "/etc/ld.so.conf.d",
    "/etc/alternatives",  # Debian's symlinks behind awk, editor, pager and friends
)

#: Devices a program may open (read and write; they reach no hardware of note).
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


@dataclass(frozen=True)
class SystemEntry:
    """One system path as it is on this host: a directory, a file, or a symlink to `target`."""

    path: str
    kind: str  # "directory" | "file" | "symlink"
    target: str = ""


@cache
def system_layout() -> tuple[SystemEntry, ...]:
    """The system directories and /etc entries that exist on this host (read once)."""
    return read_layout((*SYSTEM_DIRECTORIES, *ETC_ENTRIES))


def read_layout(paths: Sequence[str]) -> tuple[SystemEntry, ...]:
    entries = []
    for path in paths:
        if not os.path.exists(path):  # absent, or a symlink to nothing
            continue
        if os.path.islink(path):
            entries.append(SystemEntry(path, "symlink", os.readlink(path)))
        elif os.path.isdir(path):
            entries.append(SystemEntry(path, "directory"))
        elif os.path.isfile(path):
            entries.append(SystemEntry(path, "file"))
    return tuple(entries)


def is_visible(program: Path, layout: Sequence[SystemEntry], extra: Sequence[Path]) -> bool:
    """Whether `program` (an absolute path) lies in a system directory or one of `extra`."""
    roots = [Path(entry.path) for entry in layout if entry.path in SYSTEM_DIRECTORIES]
    return any(program.is_relative_to(root) for root in (*roots, *extra))


def python_runtime_paths(executable: str, prefixes: Sequence[str]) -> tuple[Path, ...]:
    """The read-only paths a profile needs to run this Python and its packages.

    `prefixes` are the interpreter's `sys.prefix`, `sys.base_prefix` (and exec
    variants): the virtual environment and the installation it was made from (pyenv,
    /opt/python, ...). The venv's `bin/python` is a symlink into the base installation,
    so both are needed. Prefixes inside a system directory are already visible and left
    out, and each is resolved, since the sandbox shows paths as they really are.
    """
    paths: list[Path] = []
    for text in (*prefixes, os.path.dirname(executable)):
        path = Path(text).resolve()
        if any(path.is_relative_to(root) for root in SYSTEM_DIRECTORIES) or path in paths:
            continue
        if any(path.is_relative_to(known) for known in paths):
            continue
        paths = [known for known in paths if not known.is_relative_to(path)]
        paths.append(path)
    return tuple(paths)
