"""profile: the plugin's commands (the manifest's `module`): the host's cprofile program
through the process capability."""

from __future__ import annotations

from typing import Any

import acc_plugin
from acc_plugin import Failed
from acc_plugin._capabilities import Completed
from acc_profile import ops

_NOT_FOUND = "program not found"


def _run(args: list[str]) -> Completed:
    try:
        return acc_plugin.process.run("cprofile", args)
    except Failed as e:
        if _NOT_FOUND in str(e):
            raise Failed("the Python acc runs from was not found, so nothing can be profiled") from None
        raise


@acc_plugin.command("test")
def test(
    paths: list[str] | None = None,
    keyword: str | None = None,
    top: int = 30,
    sort: str = "cumulative",
    project_only: bool = True,
) -> dict[str, Any]:
    return ops.profile_test(_run, paths, keyword, top, sort, project_only)


@acc_plugin.command("module")
def module(
    module: str,
    args: list[str] | None = None,
    top: int = 30,
    sort: str = "cumulative",
    project_only: bool = True,
) -> dict[str, Any]:
    return ops.profile_module(_run, module, args, top, sort, project_only)
