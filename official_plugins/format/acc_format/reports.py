"""Ruff's output, read. Pure.

- `split_diff`: ruff's `--diff` output (`--- path` / `+++ path` per file, paths relative
  to the project) into one entry per file with its added and removed line counts;
- `errors`: the files ruff could not handle, from its stderr (`error: Failed to parse
  calc/x.py:3:5: ...`);
- `findings`: `ruff check --output-format json`, with each file's path made relative to
  the project (ruff writes absolute paths; all of them start with the project's own).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from typing import Any

_FILE_HEADER = re.compile(r"^--- (.+)$")
_ERROR = re.compile(
    r"^error: (?:Failed to (?:parse|format) )?(?P<path>[^:\n]+?)(?::(?P<line>\d+):(?P<column>\d+))?: (?P<message>.+)$"
)
_WOULD_FIX = re.compile(r"Would fix (\d+) error")
#: The summary ruff check --fix --diff prints after the diff, on the same stream.
_SUMMARY = re.compile(r"^(Would fix \d+ errors?.*|No errors would be fixed.*|Found \d+ errors?.*)$")
MAX_MESSAGE = 500


def diff_and_summary(output: str) -> tuple[str, str]:
    """ruff's --diff output without the summary lines it ends with, and those lines."""
    kept, summary = [], []
    for line in output.splitlines(keepends=True):
        (summary if _SUMMARY.match(line.strip()) else kept).append(line)
    return "".join(kept).rstrip("\n") + "\n" if "".join(kept).strip() else "", "".join(summary)


def split_diff(diff: str) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    lines = diff.splitlines()
    for index, line in enumerate(lines):
        header = _FILE_HEADER.match(line)
        if header and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            current = {"path": header[1].split("\t")[0].strip(), "additions": 0, "deletions": 0}
            files.append(current)
            continue
        if current is None or line.startswith("+++ "):
            continue
        if line.startswith("+"):
            current["additions"] += 1
        elif line.startswith("-"):
            current["deletions"] += 1
    return files


def errors(stderr: str) -> list[dict[str, Any]]:
    found = []
    for line in stderr.splitlines():
        match = _ERROR.match(line.strip())
        if match:
            found.append(
                {
                    "path": match["path"],
                    "line": int(match["line"]) if match["line"] else None,
                    "message": match["message"][:MAX_MESSAGE],
                }
            )
        elif line.startswith("error:"):
            found.append({"path": None, "line": None, "message": line[len("error:") :].strip()[:MAX_MESSAGE]})
    return found


def would_fix(stderr: str) -> int:
    match = _WOULD_FIX.search(stderr)
    return int(match[1]) if match else 0


def findings(output: bytes, root: str) -> list[dict[str, Any]]:
    """ruff's JSON diagnostics, each with its path relative to the project."""
    try:
        items = json.loads(output or b"[]")
    except ValueError as e:
        raise ValueError(f"ruff's JSON output could not be read: {e}") from None
    if not isinstance(items, list):
        raise ValueError("ruff's JSON output is not a list")
    prefix: str | None = None
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        filename = str(item.get("filename") or "")
        if prefix is None:
            prefix = _project_prefix(filename, root)
        location = item.get("location") or {}
        end = item.get("end_location") or {}
        fix = item.get("fix")
        found.append(
            {
                "code": item.get("code"),
                "message": str(item.get("message") or "")[:MAX_MESSAGE],
                "path": filename[len(prefix) :] if prefix and filename.startswith(prefix) else filename,
                "line": location.get("row"),
                "column": location.get("column"),
                "end_line": end.get("row"),
                "end_column": end.get("column"),
                "fixable": isinstance(fix, dict),
                "fix_safety": fix.get("applicability") if isinstance(fix, dict) else None,
                "url": item.get("url"),
            }
        )
    return found


def _project_prefix(filename: str, root: str) -> str | None:
    """The part of ruff's absolute path that is the project directory on the host: the one
    whose remainder is the longest path that exists inside `root`."""
    if not filename.startswith("/"):
        return ""
    parts = filename.split("/")
    for start in range(1, len(parts)):
        relative = "/".join(parts[start:])
        if relative and os.path.isfile(posixpath.join(root, relative)):
            return "/".join(parts[:start]) + "/"
    return None
