"""Sizes as people read them, the same in the CLI and on the registry's pages."""

from __future__ import annotations


def human_size(size: int) -> str:
    """A byte count as people read it: 512 B, 18.2 KB, 3.4 MB (powers of 1000, like `ls --si`)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.95 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
