"""The profile commands over `run(args)`: the host's cprofile program through the process capability."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from acc_plugin import Failed, Invalid, LimitExceeded

from acc_profile import report

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Completed(Protocol):
    status: int
    stdout: bytes
    stderr: bytes
    truncated: bool


Run = Callable[[list[str]], Completed]


def profile_test(
    run: Run,
    paths: list[str] | None = None,
    keyword: str | None = None,
    top: int = 30,
    sort: str = "cumulative",
    project_only: bool = True,
) -> dict[str, Any]:
    args = ["test"]
    for path in paths or []:
        if path.startswith(("-", "@", "/")) or ".." in path.split("::")[0].split("/"):
            raise Invalid(f"test path {path!r} must be a file or node id relative to the project root")
        args.append(path)
    if keyword is not None:
        if keyword.lstrip().startswith(("-", "@")):
            raise Invalid(f"keyword {keyword!r} must not start with '-' or '@'")
        args += ["-k", keyword]
    target = {"kind": "test", "paths": list(paths or []), "keyword": keyword}
    return _result(run(args), target, top, sort, project_only)


def profile_module(
    run: Run,
    module: str,
    args: list[str] | None = None,
    top: int = 30,
    sort: str = "cumulative",
    project_only: bool = True,
) -> dict[str, Any]:
    if not _MODULE.fullmatch(module):
        raise Invalid(f"{module!r} is not a module name such as 'mypkg.cli'")
    target = {"kind": "module", "module": module, "args": list(args or [])}
    return _result(run(["module", module, *(args or [])]), target, top, sort, project_only)


def _result(completed: Completed, target: dict[str, Any], top: int, sort: str, project_only: bool) -> dict[str, Any]:
    if completed.truncated:
        raise LimitExceeded("the profile or the program's output was larger than the host's limit")
    try:
        profile = report.parse(completed.stdout)
    except report.ReportError as e:
        raise Failed(
            f"{e} (exit status {completed.status}); the program said:\n{report.output_tail(completed.stderr)}"
        ) from None
    functions = report.top(profile, count=top, sort=sort, project_only=project_only)
    return {
        "target": target,
        "exit_status": completed.status,
        "total_time": round(float(profile.get("total_time") or 0.0), 6),
        "function_count": profile.get("function_count"),
        "sort": sort,
        "project_only": project_only,
        "functions": functions,
        "output": report.output_tail(completed.stderr),
    }
