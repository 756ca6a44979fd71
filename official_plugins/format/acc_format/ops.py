"""The format commands over `run` (ruff through the process capability) and `apply`
(a unified diff applied by the files plugin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from acc_plugin import Failed, Invalid, LimitExceeded

from acc_format import reports

MAX_DIFF_CHARS = 512 * 1024
MAX_FINDINGS = 5000


class Completed(Protocol):
    status: int
    stdout: bytes
    stderr: bytes
    truncated: bool


Run = Callable[[list[str]], Completed]
Apply = Callable[[str], dict[str, Any]]


def format_code(
    run: Run,
    apply: Apply,
    paths: list[str] | None = None,
    line_length: int | None = None,
    target_version: str | None = None,
    preview: bool = False,
    apply_changes: bool = False,
) -> dict[str, Any]:
    args = ["format", "--diff", *_common(line_length, target_version, preview), *_paths(paths)]
    return _diff_result(run(args), apply, apply_changes, "format")


def fix(
    run: Run,
    apply: Apply,
    paths: list[str] | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    unsafe_fixes: bool = False,
    apply_changes: bool = False,
) -> dict[str, Any]:
    args = ["check", "--fix", "--diff", *_rules(select, ignore)]
    if unsafe_fixes:
        args.append("--unsafe-fixes")
    result = _diff_result(run([*args, *_paths(paths)]), apply, apply_changes, "check --fix")
    return result


def lint(
    run: Run,
    root: str,
    paths: list[str] | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_findings: int = 500,
) -> dict[str, Any]:
    completed = run(["check", "--output-format=json", "--exit-zero", *_rules(select, ignore), *_paths(paths)])
    _raise_if_cut(completed, "check")
    try:
        found = reports.findings(completed.stdout, root)
    except ValueError as e:
        raise Failed(f"{e}; ruff said: {completed.stderr.decode('utf-8', 'replace')[-500:]}") from None
    by_code: dict[str, int] = {}
    for finding in found:
        by_code[str(finding["code"])] = by_code.get(str(finding["code"]), 0) + 1
    return {
        "passed": not found,
        "count": len(found),
        "by_code": dict(sorted(by_code.items())),
        "fixable": sum(f["fixable"] for f in found),
        "findings": found[:max_findings],
        "truncated": len(found) > max_findings,
        "errors": reports.errors(completed.stderr.decode("utf-8", "replace")),
    }


def _diff_result(completed: Completed, apply: Apply, apply_changes: bool, what: str) -> dict[str, Any]:
    _raise_if_cut(completed, what)
    stderr = completed.stderr.decode("utf-8", "replace")
    diff, summary = reports.diff_and_summary(completed.stdout.decode("utf-8", "replace"))
    problems = reports.errors(stderr)
    if completed.status not in (0, 1) and not diff.strip() and not problems:
        raise Failed(f"ruff {what} failed (exit status {completed.status}): {stderr.strip()[-1000:]}")
    files = reports.split_diff(diff)
    result: dict[str, Any] = {
        "changed": len(files),
        "files": files,
        "diff": diff[:MAX_DIFF_CHARS],
        "diff_truncated": len(diff) > MAX_DIFF_CHARS,
        "errors": problems,
        "applied": False,
    }
    if what == "check --fix":
        result["fixes"] = reports.would_fix(summary + stderr)
    if apply_changes and files:
        if len(diff) > MAX_DIFF_CHARS:
            raise LimitExceeded(f"ruff's changes are larger than {MAX_DIFF_CHARS} characters: apply them in parts")
        applied = apply(diff)
        result["applied"] = True
        result["applied_files"] = applied.get("files", [])
    result["passed"] = not problems and (not files or result["applied"])
    return result


def _raise_if_cut(completed: Completed, what: str) -> None:
    if completed.truncated:
        raise LimitExceeded(f"ruff {what}'s output was larger than the host's limit: run it on fewer paths")


def _common(line_length: int | None, target_version: str | None, preview: bool) -> list[str]:
    args = []
    if line_length is not None:
        args.append(f"--line-length={line_length}")
    if target_version is not None:
        args.append(f"--target-version={target_version}")
    if preview:
        args.append("--preview")
    return args


def _rules(select: list[str] | None, ignore: list[str] | None) -> list[str]:
    args = []
    if select:
        args.append("--select=" + ",".join(select))
    if ignore:
        args.append("--ignore=" + ",".join(ignore))
    return args


def _paths(paths: list[str] | None) -> list[str]:
    for path in paths or []:
        if path.startswith(("-", "@", "/")) or "\0" in path:
            raise Invalid(f"path {path!r} must be relative to the project root and not start with '-' or '@'")
        parts = path.split("/")
        if ".." in parts:
            raise Invalid(f"path {path!r} leads outside the project")
    return list(paths or [])
