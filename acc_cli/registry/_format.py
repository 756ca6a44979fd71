"""How the operator commands' tables show times and flags (their `--json` has ISO 8601)."""

from __future__ import annotations

from datetime import datetime


def day(moment: datetime | None) -> str:
    """A date for a table cell: YYYY-MM-DD (UTC), or "-" for none."""
    return moment.strftime("%Y-%m-%d") if moment is not None else "-"


def minute(moment: datetime | None) -> str:
    """A time for a table cell: YYYY-MM-DD HH:MM (UTC), or "-" for none."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
