"""Apply several file changes all or nothing.

Every new content is first written to a temporary file beside its target and flushed
(`stage`); only when all are staged are they renamed into place, and files to remove
are removed last. A failure while staging leaves the project as it was. A rename
cannot fail for lack of space, so the one failure left (an I/O error in the middle of
the renames) is undone by writing back what was there before.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from dataclasses import dataclass

from acc_files.textfile import write_error


@dataclass
class Change:
    full: str
    shown: str
    #: The new bytes, or None to remove the file.
    data: bytes | None
    #: What was there before (None: nothing), to undo a failed commit.
    before: bytes | None
    make_dirs: bool = True


def commit(changes: list[Change]) -> None:
    """Write and remove as `changes` say, all or nothing (see the module docstring)."""
    staged: list[tuple[Change, str]] = []
    created_dirs: list[str] = []
    try:
        for change in changes:
            if change.data is None:
                continue
            directory = posixpath.dirname(change.full)
            created_dirs += _make_dirs(directory) if change.make_dirs else []
            handle, temporary = tempfile.mkstemp(
                dir=directory, prefix=f".{posixpath.basename(change.full)}.", suffix=".acc-tmp"
            )
            staged.append((change, temporary))
            with os.fdopen(handle, "wb") as file:
                file.write(change.data)
                file.flush()
                os.fsync(file.fileno())
    except OSError as e:
        _discard(staged, created_dirs)
        failed = staged[-1][0].shown if staged else changes[0].shown
        raise write_error(e, failed) from None
    done: list[Change] = []
    try:
        for change, temporary in staged:
            os.replace(temporary, change.full)
            done.append(change)
        for change in changes:
            if change.data is None:
                os.unlink(change.full)
                done.append(change)
    except OSError as e:
        _undo(done)
        _discard([(c, t) for c, t in staged if c not in done], [])
        raise write_error(e, change.shown) from None


def _make_dirs(directory: str) -> list[str]:
    """Create `directory` and missing parents; return the ones created (deepest last)."""
    missing: list[str] = []
    current = directory
    while current and not os.path.isdir(current):
        missing.append(current)
        current = posixpath.dirname(current)
    created = []
    for path in reversed(missing):
        os.mkdir(path)
        created.append(path)
    return created


def _discard(staged: list[tuple[Change, str]], created_dirs: list[str]) -> None:
    for _, temporary in staged:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    for directory in reversed(created_dirs):
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _undo(done: list[Change]) -> None:
    for change in reversed(done):
        try:
            if change.before is None:
                os.unlink(change.full)
            else:
                with open(change.full, "wb") as file:
                    file.write(change.before)
        except OSError:
            pass
