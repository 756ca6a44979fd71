"""files: the plugin's commands, the project at /project handed to `acc_files.ops`.

This module registers the commands (it is the manifest's `module`); `acc_files` is the
plugin's logic, importable on a normal CPython without registering anything.
"""

from __future__ import annotations

from typing import Any

import acc_plugin
from acc_files import ops
from acc_files.textfile import READ_ONLY_MESSAGE
from acc_plugin import Denied


def _root() -> str:
    if acc_plugin.config.get("project") is None:
        raise Denied(
            "files works on the project through its fs capability, and no project is mounted: grant it with "
            "`acc plugin grant files fs` (or `--read-only` to allow only read, list and search), "
            "and run with --project DIR"
        )
    return acc_plugin.PROJECT


def _writable_root() -> str:
    root = _root()
    if acc_plugin.config.get("project_writable") is False:
        raise Denied(READ_ONLY_MESSAGE)
    return root


@acc_plugin.command("read")
def read(path: str, offset: int = 1, limit: int = 2000) -> dict[str, Any]:
    return ops.read(_root(), path, offset, limit)


@acc_plugin.command("list")
def list_(
    path: str = ".",
    globs: list[str] | None = None,
    type: str = "file",
    include_ignored: bool = False,
    include_hidden: bool = True,
    max_results: int = 1000,
) -> dict[str, Any]:
    return ops.list_entries(_root(), path, globs, type, include_ignored, include_hidden, max_results)


@acc_plugin.command("search")
def search(
    pattern: str,
    path: str = ".",
    globs: list[str] | None = None,
    ignore_case: bool = False,
    literal: bool = False,
    context: int = 2,
    max_matches: int = 200,
    include_ignored: bool = False,
    time_budget_seconds: float = 10.0,
) -> dict[str, Any]:
    return ops.search_project(
        _root(), pattern, path, globs, ignore_case, literal, context, max_matches, include_ignored, time_budget_seconds
    )


@acc_plugin.command("edit")
def edit(path: str, old_string: str, new_string: str, replace_all: bool = False) -> dict[str, Any]:
    return ops.edit(_writable_root(), path, old_string, new_string, replace_all)


@acc_plugin.command("write")
def write(path: str, content: str, overwrite: bool = True, create_dirs: bool = True) -> dict[str, Any]:
    return ops.write(_writable_root(), path, content, overwrite, create_dirs)


@acc_plugin.command("apply-patch")
def apply_patch(patch: str, strip: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    return ops.apply_patch(_root() if dry_run else _writable_root(), patch, strip, dry_run)


@acc_plugin.command("move")
def move(source: str, destination: str, overwrite: bool = False) -> dict[str, Any]:
    return ops.move(_writable_root(), source, destination, overwrite)


@acc_plugin.command("delete")
def delete(path: str, recursive: bool = False) -> dict[str, Any]:
    return ops.delete(_writable_root(), path, recursive)
