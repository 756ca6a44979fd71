"""format: the plugin's commands (the manifest's `module`): ruff through the process
capability, changes applied by the files plugin through the plugins capability."""

from __future__ import annotations

from typing import Any

import acc_plugin
from acc_format import ops
from acc_plugin import Denied, Failed
from acc_plugin._capabilities import Completed

_NOT_FOUND = "program not found"


def _run(args: list[str]) -> Completed:
    try:
        return acc_plugin.process.run("ruff", args)
    except Failed as e:
        if _NOT_FOUND in str(e):
            raise Failed(
                "ruff is not installed in the Python environment acc runs from (nor as a `ruff` program in "
                "/usr/local/bin, /usr/bin or /bin): install it there (pip install ruff)"
            ) from None
        raise


def _apply(diff: str) -> dict[str, Any]:
    try:
        result = acc_plugin.plugins.call("files", "apply-patch", {"patch": diff})
    except Denied as e:
        raise Denied(
            f"applying ruff's changes needs the files plugin, with write access: {e} "
            "(install it with `acc plugin install files`, grant format the plugins capability)"
        ) from None
    return result if isinstance(result, dict) else {}


def _root() -> str:
    # Only for reading ruff's absolute paths back as project paths; without an fs grant
    # the paths stay as ruff wrote them.
    return acc_plugin.PROJECT


@acc_plugin.command("format")
def format_(
    paths: list[str] | None = None,
    line_length: int | None = None,
    target_version: str | None = None,
    preview: bool = False,
    apply: bool = False,
) -> dict[str, Any]:
    return ops.format_code(_run, _apply, paths, line_length, target_version, preview, apply)


@acc_plugin.command("fix")
def fix(
    paths: list[str] | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    unsafe_fixes: bool = False,
    apply: bool = False,
) -> dict[str, Any]:
    return ops.fix(_run, _apply, paths, select, ignore, unsafe_fixes, apply)


@acc_plugin.command("lint")
def lint(
    paths: list[str] | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_findings: int = 500,
) -> dict[str, Any]:
    return ops.lint(_run, _root(), paths, select, ignore, max_findings)
