"""The profile acc's cprofile program returns, cut to the top functions. Pure."""

from __future__ import annotations

import json
from typing import Any

SORT_KEYS = {"cumulative": "cumulative_time", "total": "total_time", "calls": "calls"}
MAX_OUTPUT_CHARS = 4000


class ReportError(ValueError):
    """The profile is missing or is not what acc's profiler writes."""


def parse(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise ReportError("the profiler wrote no profile")
    try:
        profile = json.loads(data)
    except ValueError as e:
        raise ReportError(f"the profile is not JSON: {e}") from None
    if not isinstance(profile, dict) or not isinstance(profile.get("functions"), list):
        raise ReportError("the profile has no list of functions")
    return profile


def top(profile: dict[str, Any], *, count: int, sort: str, project_only: bool) -> list[dict[str, Any]]:
    key = SORT_KEYS[sort]
    rows = [row for row in profile["functions"] if isinstance(row, dict) and isinstance(row.get(key), int | float)]
    if project_only:
        rows = [row for row in rows if row.get("in_project")]
    rows.sort(key=lambda row: -float(row[key]))
    chosen = []
    for row in rows[:count]:
        calls = row.get("calls") or 0
        chosen.append(
            {
                "function": str(row.get("function", ""))[:200],
                "file": str(row.get("file", ""))[:500],
                "line": row.get("line"),
                "in_project": bool(row.get("in_project")),
                "calls": calls,
                "primitive_calls": row.get("primitive_calls"),
                "total_time": round(float(row.get("total_time") or 0.0), 6),
                "cumulative_time": round(float(row.get("cumulative_time") or 0.0), 6),
                "cumulative_per_call": round(float(row.get("cumulative_time") or 0.0) / calls, 9) if calls else None,
            }
        )
    return chosen


def output_tail(stderr: bytes) -> str:
    return stderr.decode("utf-8", "replace").strip()[-MAX_OUTPUT_CHARS:]
