"""project-stats: an example acc plugin that reads files (fs) and runs git (process)."""

from __future__ import annotations

import os

import acc_plugin
from acc_plugin import PROJECT, Invalid

# Hidden directories (.git, .venv, caches) and dependency trees are not the project's own files.
_SKIP = {"__pycache__", "node_modules"}


def _inside_project(path: str) -> str:
    # Refuse escapes before touching the file system: the sandbox would refuse them anyway,
    # but a clear message beats a PermissionError.
    full = os.path.normpath(os.path.join(PROJECT, path))
    if full != PROJECT and not full.startswith(PROJECT + "/"):
        raise Invalid(f"path {path!r} is outside the project")
    return full


@acc_plugin.command("summary")
def summary(path: str = ".", max_files: int = 20000) -> dict:
    root = _inside_project(path)
    if not os.path.isdir(root):
        raise Invalid(f"{path!r} is not a directory of the project")
    by_ext: dict[str, dict[str, int]] = {}
    files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith("."))
        for name in sorted(filenames):
            files += 1
            if files > max_files:
                acc_plugin.log.warn(f"stopped after {max_files} files")
                return _result(path, by_ext, files - 1, truncated=True)
            ext = os.path.splitext(name)[1].lower() or "(none)"
            lines = _count_lines(os.path.join(dirpath, name))
            entry = by_ext.setdefault(ext, {"files": 0, "lines": 0})
            entry["files"] += 1
            entry["lines"] += lines
        acc_plugin.log.progress(files, 0, dirpath)
    return _result(path, by_ext, files, truncated=False)


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(65536), b""))
    except OSError:
        return 0  # unreadable (e.g. a link out of the project): count the file, not its lines


def _result(path: str, by_ext: dict[str, dict[str, int]], files: int, *, truncated: bool) -> dict:
    return {
        "path": path,
        "files": files,
        "lines": sum(e["lines"] for e in by_ext.values()),
        "by_extension": dict(sorted(by_ext.items(), key=lambda kv: (-kv[1]["lines"], kv[0]))),
        "truncated": truncated,
    }


@acc_plugin.command("git-info")
def git_info() -> dict:
    version = acc_plugin.process.run("git", ["version"])
    count = acc_plugin.process.run("git", ["rev-list", "--count", "HEAD"])
    commits = int(count.text.strip()) if count.status == 0 and count.text.strip().isdigit() else None
    return {"git": version.text.strip(), "commits": commits}
