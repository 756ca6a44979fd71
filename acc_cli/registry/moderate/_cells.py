"""How `acc registry moderate` lists show times and other people's text in a table cell."""

from __future__ import annotations

from datetime import datetime

#: Longer text is cut in tables (`--json` has all of it).
MAX_CELL = 60


def when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def short(text: str) -> str:
    """`text` on one line, at most MAX_CELL characters (acc_cli.terminal.table makes it printable)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
