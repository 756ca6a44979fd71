"""code-quality: complexity, lint findings and secrets in a project, with pass/fail thresholds.

Everything runs as pure Python inside the sandbox (ast, re, math) over files read from
the project, which the fs grant shows read-only at /project. The analyses live in
`quality_checks` as plain functions over text; this module is the shell around them:
it checks inputs, walks the project within its limits, reads each file once, and
shapes the JSON results (documented in README.md).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import acc_plugin
from acc_plugin import Denied, Invalid
from quality_checks import complexity as complexity_checks
from quality_checks import files, secrets_scan
from quality_checks import lint as lint_checks
from quality_checks.source import ParseError, parse

DEFAULT_MAX_FILES = 5000
DEFAULT_MAX_FILE_BYTES = 1_000_000
PYTHON_SUFFIXES = (".py",)
_PROGRESS_EVERY = 200

Entry = dict[str, object]


@dataclass(frozen=True)
class Checks:
    """Which analyses to run on each file, with their settings (None: not this one)."""

    max_complexity: int | None = None
    max_function_lines: int | None = None
    ignore: frozenset[str] = frozenset()
    entropy_threshold: float | None = None


@dataclass
class Findings:
    functions: list[Entry] = field(default_factory=list)
    lint: list[Entry] = field(default_factory=list)
    suppressed: int = 0
    secrets: list[Entry] = field(default_factory=list)
    parse_errors: list[Entry] = field(default_factory=list)
    files_read: int = 0
    python_files: int = 0


def _walk(
    path: str, exclude: list[str] | None, max_files: int, wanted: tuple[str, ...] | None
) -> tuple[str, files.Scan]:
    if not os.path.isdir(files.PROJECT):
        raise Denied(
            "code-quality reads the project's files, and the fs capability is not granted; "
            "grant it with `acc plugin grant code-quality fs`"
        )
    try:
        relative = files.resolve(path)
        scan = files.walk(relative, wanted=wanted, exclude=tuple(exclude or ()), max_files=max_files)
    except files.PathProblem as e:
        raise Invalid(str(e)) from None
    return relative, scan


def _analyse(scan: files.Scan, checks: Checks, max_file_bytes: int) -> Findings:
    found = Findings()
    for index, path in enumerate(scan.files):
        if index and index % _PROGRESS_EVERY == 0:
            acc_plugin.log.progress(index, len(scan.files), path)
        data, reason = files.read_bytes(path, max_file_bytes)
        if data is None:
            scan.skip(path, reason or "unreadable")
            continue
        found.files_read += 1
        try:
            _analyse_file(path, data, checks, found, scan)
        except Exception as e:  # one odd file must not cost the whole run its results
            # The type only: a message could quote the file's contents, secrets included.
            acc_plugin.log.warn(f"{path}: analysis failed ({type(e).__name__}); skipped")
            scan.skip(path, "analysis-error")
    return found


def _analyse_file(path: str, data: bytes, checks: Checks, found: Findings, scan: files.Scan) -> None:
    if checks.entropy_threshold is not None:
        found.secrets += _secret_entries(path, files.any_text(data), checks.entropy_threshold)
    if path.endswith(PYTHON_SUFFIXES) and (checks.max_complexity is not None or checks.max_function_lines is not None):
        _analyse_python(path, data, checks, found, scan)


def _analyse_python(path: str, data: bytes, checks: Checks, found: Findings, scan: files.Scan) -> None:
    text = files.python_text(data)
    if text is None:
        scan.skip(path, "undecodable")
        return
    found.python_files += 1
    parsed = parse(path, text)
    if isinstance(parsed, ParseError):
        found.parse_errors.append(
            {"file": path, "line": parsed.line, "column": parsed.column, "message": parsed.message}
        )
        if checks.max_function_lines is not None and "CQ100" not in checks.ignore:
            found.lint.append(
                {
                    "code": "CQ100",
                    "name": "syntax-error",
                    "message": parsed.message,
                    "file": path,
                    "line": parsed.line,
                    "column": parsed.column,
                }
            )
        return
    if checks.max_complexity is not None:
        found.functions += [
            {
                "file": path,
                "name": f.name,
                "kind": f.kind,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "complexity": f.complexity,
                "rank": complexity_checks.rank(f.complexity),
                "over_threshold": f.complexity > checks.max_complexity,
            }
            for f in complexity_checks.functions(parsed.tree)
        ]
    if checks.max_function_lines is not None:
        result = lint_checks.lint(parsed, max_function_lines=checks.max_function_lines, ignore=checks.ignore)
        found.lint += [
            {"code": f.code, "name": f.name, "message": f.message, "file": path, "line": f.line, "column": f.column}
            for f in result.findings
        ]
        found.suppressed += result.suppressed


def _secret_entries(path: str, text: str, entropy_threshold: float) -> list[Entry]:
    entries = []
    for f in secrets_scan.scan(text, path, entropy_threshold=entropy_threshold):
        entry: Entry = {
            "rule": f.rule,
            "description": f.description,
            "file": path,
            "line": f.line,
            "column": f.column,
            "redacted": f.redacted,
        }
        if f.entropy is not None:
            entry["entropy"] = f.entropy
        entries.append(entry)
    return entries


def _ignored_codes(ignore: list[str] | None) -> frozenset[str]:
    codes = set()
    for item in ignore or ():
        rule = lint_checks.rule_for(item)
        if rule is None:
            known = ", ".join(f"{r.code} ({r.name})" for r in lint_checks.RULES)
            raise Invalid(f"unknown lint check {item!r} in ignore; known checks: {known}")
        codes.add(rule.code)
    return frozenset(codes)


def _worst_first(functions: list[Entry]) -> list[Entry]:
    return sorted(functions, key=lambda f: (-_int(f["complexity"]), str(f["file"]), _int(f["line"])))


def _by_position(findings: list[Entry]) -> list[Entry]:
    return sorted(findings, key=lambda f: (str(f["file"]), _int(f["line"]), _int(f["column"])))


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _count(findings: list[Entry], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(f[key]) for f in findings).items()))


# -- commands ---------------------------------------------------------------------------------


@acc_plugin.command("complexity")
def complexity(
    path: str = ".",
    max_complexity: int = 10,
    limit: int = 100,
    exclude: list[str] | None = None,
    max_files: int = DEFAULT_MAX_FILES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Entry:
    relative, scan = _walk(path, exclude, max_files, PYTHON_SUFFIXES)
    found = _analyse(scan, Checks(max_complexity=max_complexity), max_file_bytes)
    values = [_int(f["complexity"]) for f in found.functions]
    over = sum(1 for f in found.functions if f["over_threshold"])
    acc_plugin.log.info(
        f"complexity: {len(values)} functions in {found.python_files} files, {over} over {max_complexity}"
    )
    return {
        "path": relative,
        "max_complexity": max_complexity,
        "functions": _worst_first(found.functions)[:limit],
        "total_functions": len(values),
        "over_threshold": over,
        "average": round(sum(values) / len(values), 2) if values else 0.0,
        "max": max(values, default=0),
        "errors": found.parse_errors[:limit],
        "errors_total": len(found.parse_errors),
        "scan": scan.summary(found.python_files),
    }


@acc_plugin.command("lint")
def lint(
    path: str = ".",
    max_function_lines: int = 80,
    ignore: list[str] | None = None,
    limit: int = 100,
    exclude: list[str] | None = None,
    max_files: int = DEFAULT_MAX_FILES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Entry:
    checks = Checks(max_function_lines=max_function_lines, ignore=_ignored_codes(ignore))
    relative, scan = _walk(path, exclude, max_files, PYTHON_SUFFIXES)
    found = _analyse(scan, checks, max_file_bytes)
    findings = _by_position(found.lint)
    acc_plugin.log.info(
        f"lint: {len(findings)} findings in {found.python_files} files ({found.suppressed} suppressed by noqa)"
    )
    return {
        "path": relative,
        "findings": findings[:limit],
        "total": len(findings),
        "by_code": _count(findings, "code"),
        "suppressed": found.suppressed,
        "scan": scan.summary(found.python_files),
    }


@acc_plugin.command("secrets")
def secrets(
    path: str = ".",
    entropy_threshold: float = secrets_scan.DEFAULT_ENTROPY_THRESHOLD,
    limit: int = 100,
    exclude: list[str] | None = None,
    max_files: int = DEFAULT_MAX_FILES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Entry:
    relative, scan = _walk(path, exclude, max_files, None)
    found = _analyse(scan, Checks(entropy_threshold=entropy_threshold), max_file_bytes)
    findings = _by_position(found.secrets)
    acc_plugin.log.info(f"secrets: {len(findings)} found in {found.files_read} files")
    return {
        "path": relative,
        "findings": findings[:limit],
        "total": len(findings),
        "by_rule": _count(findings, "rule"),
        "scan": scan.summary(found.files_read),
    }


@acc_plugin.command("report")
def report(
    path: str = ".",
    max_complexity: int = 10,
    max_lint_findings: int = 0,
    max_secrets: int = 0,
    max_function_lines: int = 80,
    ignore: list[str] | None = None,
    entropy_threshold: float = secrets_scan.DEFAULT_ENTROPY_THRESHOLD,
    limit: int = 20,
    exclude: list[str] | None = None,
    max_files: int = DEFAULT_MAX_FILES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Entry:
    checks = Checks(
        max_complexity=max_complexity,
        max_function_lines=max_function_lines,
        ignore=_ignored_codes(ignore),
        entropy_threshold=entropy_threshold,
    )
    relative, scan = _walk(path, exclude, max_files, None)
    found = _analyse(scan, checks, max_file_bytes)
    ranked = _worst_first(found.functions)
    over = [f for f in ranked if f["over_threshold"]]
    lint_findings = _by_position(found.lint)
    secret_findings = _by_position(found.secrets)
    results: dict[str, Entry] = {
        "complexity": {
            "passed": not over,
            "max_complexity": max_complexity,
            "functions": len(ranked),
            "over_threshold": len(over),
            "worst": ranked[:limit],
        },
        "lint": {
            "passed": len(lint_findings) <= max_lint_findings,
            "max_findings": max_lint_findings,
            "findings": len(lint_findings),
            "by_code": _count(lint_findings, "code"),
            "suppressed": found.suppressed,
            "first": lint_findings[:limit],
        },
        "secrets": {
            "passed": len(secret_findings) <= max_secrets,
            "max_secrets": max_secrets,
            "found": len(secret_findings),
            "by_rule": _count(secret_findings, "rule"),
            "findings": secret_findings[:limit],
        },
    }
    summary = _summary(results, over)
    acc_plugin.log.info(summary)
    scan_summary = scan.summary(found.files_read)
    scan_summary["python_files"] = found.python_files
    return {
        "path": relative,
        "passed": all(check["passed"] for check in results.values()),
        "summary": summary,
        "checks": results,
        "scan": scan_summary,
    }


def _summary(results: dict[str, Entry], over: list[Entry]) -> str:
    complexity_check, lint_check, secret_check = results["complexity"], results["lint"], results["secrets"]
    if over:
        worst = over[0]
        parts = [
            f"complexity: {len(over)} function(s) over {complexity_check['max_complexity']}, worst "
            f"{worst['name']} ({worst['complexity']}) at {worst['file']}:{worst['line']}"
        ]
    else:
        parts = [f"complexity: no function over {complexity_check['max_complexity']}"]
    parts.append(f"lint: {lint_check['findings']} finding(s), {lint_check['max_findings']} allowed")
    parts.append(f"secrets: {secret_check['found']} found, {secret_check['max_secrets']} allowed")
    failed = [name for name, check in results.items() if not check["passed"]]
    verdict = "FAILED (" + ", ".join(failed) + ")" if failed else "PASSED"
    return f"{verdict}: " + "; ".join(parts)
