"""Text the registry's databases can store, checked where untrusted text comes in.

Two kinds of Python string reach no database: those with a NUL character (PostgreSQL
refuses them in text columns and query parameters) and those with a lone surrogate
(JSON's `"\\ud800"` decodes to one; it has no UTF-8 encoding, so SQLite refuses it too).
The API refuses both at its edge, so a hostile string is a 400 or a 404, never a 500.
"""

from __future__ import annotations

from typing import Any


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def all_storable(value: Any) -> bool:
    """True if every string in a JSON-like value, keys included, is storable.

    Iterative: the value may be nested as deeply as the JSON parser allowed.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
