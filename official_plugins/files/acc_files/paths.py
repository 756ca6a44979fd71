"""Project paths: turn a caller's path into a place inside the project, or refuse.

Pure over a `root` directory (the sandbox's /project in the component, a temporary
directory in tests): no module state, only `os.lstat` and `os.readlink`.

A path is refused when it is absolute, leads out through `..`, or reaches a symbolic
link whose target lies outside the project. Links are resolved one component at a
time with `readlink`, never with `realpath`: inside the sandbox `readlink` of a link
that leaves the project fails (WASI refuses it), and `realpath` would then quietly keep
the link's own name, so an outside link would look like an ordinary file. A link that
stays inside the project is followed, as an editor would follow it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass

from acc_plugin import Denied, Invalid

#: The most links followed while resolving one path (Linux's own limit is 40).
MAX_LINK_HOPS = 40
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class ProjectPath:
    """A checked path: `relative` to the project (`""` for the project itself) and `full`."""

    relative: str
    full: str

    @property
    def shown(self) -> str:
        return self.relative or "."


def lexical(path: str, what: str = "path") -> str:
    """The normalised relative form of `path` (`""` for the project itself), or Invalid."""
    if not isinstance(path, str) or path == "":
        raise Invalid(f"{what} must be a non-empty path relative to the project, such as 'src/app.py'")
    if "\0" in path:
        raise Invalid(f"{what} {path!r} contains a NUL character")
    if path.startswith(("/", "\\")) or _WINDOWS_ABSOLUTE.match(path):
        raise Invalid(f"{what} {path!r} is absolute: give it relative to the project root, such as 'src/app.py'")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise Invalid(f"{what} {path!r} leads outside the project (through '..'): give a path inside it")
    return "" if normal == "." else normal


def resolve(root: str, path: str, *, what: str = "path", follow_last: bool = True) -> ProjectPath:
    """Resolve `path` inside `root`, following links that stay inside; refuse the others.

    Components that do not exist yet are taken as they are (a file to be created).
    With `follow_last=False` a link in the last component is not followed: the link
    itself is meant (deleting or moving a link, not what it points to).
    """
    relative = lexical(path, what)
    pending = list(reversed(relative.split("/"))) if relative else []
    resolved: list[str] = []
    hops = 0
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            if not resolved:
                raise Denied(f"{what} {path!r} leads outside the project (through a symbolic link and '..')")
            resolved.pop()
            continue
        candidate = posixpath.join(root, *resolved, name)
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            resolved.append(name)
            continue
        except NotADirectoryError:
            raise Invalid(f"{what} {path!r}: {posixpath.join(*resolved)} is a file, not a directory") from None
        if not stat.S_ISLNK(mode) or (not pending and not follow_last):
            resolved.append(name)
            continue
        hops += 1
        if hops > MAX_LINK_HOPS:
            raise Invalid(f"{what} {path!r}: more than {MAX_LINK_HOPS} symbolic links (a loop?)")
        target = _link_target(root, candidate, path, what)
        if target.startswith("/"):
            # Only a link whose absolute target is inside the project is followed.
            inside = posixpath.relpath(target, root)
            if inside == ".." or inside.startswith("../"):
                raise _outside_link(path, what, candidate, root)
            resolved = []
            target = inside
        pending.extend(reversed(target.split("/")))
    relative = "/".join(resolved)
    return ProjectPath(relative, posixpath.join(root, relative) if relative else root)


def _link_target(root: str, link: str, path: str, what: str) -> str:
    try:
        return os.readlink(link)
    except PermissionError:
        # In the sandbox: the link's target is outside the preopened project.
        raise _outside_link(path, what, link, root) from None
    except OSError as e:
        raise Invalid(f"{what} {path!r}: cannot read the symbolic link {_rel(link, root)}: {e.strerror}") from None


def _outside_link(path: str, what: str, link: str, root: str) -> Denied:
    return Denied(
        f"{what} {path!r} goes through the symbolic link {_rel(link, root)}, which points outside the project: "
        "files reads and writes only inside the project"
    )


def _rel(full: str, root: str) -> str:
    return posixpath.relpath(full, root)


def is_git_internal(relative: str) -> bool:
    """Whether `relative` is inside a `.git` directory (any letter case), which only git may change."""
    return any(part.lower() == ".git" for part in relative.split("/"))
