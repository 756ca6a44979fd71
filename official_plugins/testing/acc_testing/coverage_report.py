"""Summarise coverage.py's JSON report per file and in total. Pure: bytes in, data out.

Only the project's own files are reported: coverage names them relative to the working
directory (the project); anything it measured elsewhere has an absolute path.
"""

from __future__ import annotations

import json

from acc_testing.layout import is_test_file

MAX_REPORT_BYTES = 16 * 1024 * 1024


class CoverageReportError(Exception):
    """The report is too large or not coverage.py's JSON."""


def summarise(data: bytes, *, include_tests: bool, max_files: int) -> dict:
    if len(data) > MAX_REPORT_BYTES:
        raise CoverageReportError(f"coverage's report is larger than {MAX_REPORT_BYTES} bytes")
    try:
        report = json.loads(data)
    except ValueError as e:
        raise CoverageReportError(f"coverage's report is not JSON: {e}") from None
    files = report.get("files") if isinstance(report, dict) else None
    if not isinstance(files, dict):
        raise CoverageReportError("coverage's report has no files table")
    rows = []
    for path, entry in files.items():
        if not isinstance(path, str) or path.startswith("/") or path.startswith(".."):
            continue
        if not include_tests and is_test_file(path):
            continue
        summary = entry.get("summary", {}) if isinstance(entry, dict) else {}
        statements = int(summary.get("num_statements", 0))
        covered = int(summary.get("covered_lines", 0))
        missing_lines = [n for n in entry.get("missing_lines", []) if isinstance(n, int)]
        rows.append(
            {
                "path": path,
                "statements": statements,
                "covered": covered,
                "missing": statements - covered,
                "percent": _percent(covered, statements),
                "missing_lines": line_ranges(missing_lines),
            }
        )
    statements = sum(r["statements"] for r in rows)
    covered = sum(r["covered"] for r in rows)
    rows.sort(key=lambda r: (r["percent"], r["path"]))
    return {
        "totals": {
            "files": len(rows),
            "statements": statements,
            "covered": covered,
            "missing": statements - covered,
            "percent": _percent(covered, statements),
        },
        "files": rows[:max_files],
        "files_truncated": len(rows) > max_files,
    }


def line_ranges(lines: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5, 9", as coverage's own Missing column."""
    spans: list[list[int]] = []
    for number in sorted(set(lines)):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _percent(covered: int, statements: int) -> float:
    return 100.0 if statements == 0 else round(100.0 * covered / statements, 2)
