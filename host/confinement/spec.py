"""What one confined launch may see and use: a pure description, checked where it is built."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Resource limits of a launched program and everything it starts.

    Each is an rlimit applied inside the sandbox, so it holds for every descendant:

    - `cpu_seconds`: CPU time of each process; at the limit it is killed (SIGKILL);
    - `file_size_bytes`: the largest file it may write; past it, SIGXFSZ stops it;
    - `processes`: how many processes (threads count) it may have at once; set inside a
      new user namespace, it counts only the sandbox's own (see the mechanisms' caveats
      for root, which the kernel exempts);
    - `memory_bytes`: address space (RLIMIT_AS) of each process, or None for no limit.
      None by default: runtimes that reserve large address ranges up front (wasmtime,
      the JVM, Go) fail under any useful RLIMIT_AS, and it does not bound the total.
    """

    cpu_seconds: int = 300
    file_size_bytes: int = 1 * GiB
    processes: int = 256
    memory_bytes: int | None = None

    def __post_init__(self) -> None:
        # Zero would mean "never works", not "no limit"; a host configuration bug either way.
        for name in ("cpu_seconds", "file_size_bytes", "processes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.memory_bytes is not None and self.memory_bytes <= 0:
            raise ValueError("memory_bytes must be positive or None")

    def rlimits(self) -> dict[str, int]:
        """The rlimits to set (besides RLIMIT_NPROC, which each mechanism sets itself)."""
        limits = {
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_bytes,
            "RLIMIT_CORE": 0,  # no core dumps: they would land in the project
        }
        if self.memory_bytes is not None:
            limits["RLIMIT_AS"] = self.memory_bytes
        return limits


@dataclass(frozen=True)
class Confinement:
    """The sandbox of one launch. Deny by default: only what is named here is visible.

    - `project_dir`: the project, read-only unless `project_writable`;
    - `scratch_dir`: a fresh private directory for this launch, read-write; it is the
      program's HOME (and its TMPDIR where the mechanism cannot make a private /tmp).
      The caller creates it and deletes it afterwards; it can read what the program left
      there (coverage data, for instance);
    - `read_only_paths`: more host paths to show read-only, chosen by the host (never by a
      plugin): the interpreter and virtual environment a profile runs, for instance, or
      single files (the user's git config files, for the host's own identity query). A
      path may be reached through a symlink, which is followed: the program sees the
      target's contents at the path named here;
    - `home_dir`: the program's HOME when it is not the scratch directory. Only a
      host-run query sets it (git's commit identity: the user's home path, so that git
      finds the user's config files there); it shows nothing by itself: what is visible
      of it is what `read_only_paths` names.

    Besides these, a program sees the system's programs and libraries read-only (see
    `host.confinement.system`), nothing else of the host's files. All paths must be
    absolute and without `.` or `..`; the project and scratch directories also resolved
    (no symlink along them). Each is shown at the same path inside the sandbox, so what
    the host checked is what the program sees.
    """

    project_dir: Path
    scratch_dir: Path
    project_writable: bool = False
    read_only_paths: tuple[Path, ...] = ()
    limits: Limits = field(default_factory=Limits)
    home_dir: Path | None = None

    def __post_init__(self) -> None:
        for name, path in (("project_dir", self.project_dir), ("scratch_dir", self.scratch_dir)):
            _check_path(name, path)
        if self.home_dir is not None:
            _check_path("home_dir", self.home_dir)
        for path in self.read_only_paths:
            _check_path("read_only_paths", path)
        if self.project_dir == Path("/"):
            raise ValueError("project_dir must not be the root directory")
        if _overlaps(self.scratch_dir, self.project_dir):
            raise ValueError(
                f"scratch_dir {self.scratch_dir} and project_dir {self.project_dir} must not contain each other"
            )
        for path in self.read_only_paths:
            # Showing an ancestor of the project would show its siblings: other projects.
            for name, private in (("project_dir", self.project_dir), ("scratch_dir", self.scratch_dir)):
                if private.is_relative_to(path):
                    raise ValueError(f"read-only path {path} contains the {name} {private}; name a narrower path")

    @property
    def home(self) -> Path:
        """HOME as the program sees it: `home_dir`, else the scratch directory."""
        return self.home_dir if self.home_dir is not None else self.scratch_dir

    def visible_paths(self) -> tuple[Path, ...]:
        """The host paths this launch shows besides the system's (in no particular order)."""
        return (self.project_dir, self.scratch_dir, *self.read_only_paths)


def _check_path(name: str, path: Path) -> None:
    if not isinstance(path, Path):
        raise TypeError(f"{name} must be a Path, got {type(path).__name__}")
    text = str(path)
    if not path.is_absolute() or os.path.normpath(text) != text or "\0" in text:
        raise ValueError(f"{name} must be an absolute, normalized path: {text!r}")


def _overlaps(first: Path, second: Path) -> bool:
    return first.is_relative_to(second) or second.is_relative_to(first)
