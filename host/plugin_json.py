"""JSON from a plugin, decoded so that it cannot hurt whoever reads it next.

A command's result, an inter-plugin call's input and an llm request are JSON text a
plugin chose. Python's `json` accepts more than JSON: `NaN` and `Infinity` (which no
other parser, the Messages API included, accepts back), `1e999` (infinity again),
escaped lone surrogates (`"\\ud800"`, a `str` that cannot be encoded as UTF-8, so the
next `print` or transcript write raises), and nesting as deep as the parser's recursion
allows (and then `RecursionError`, or a crash in whatever recurses over it next). This
module's `decode` refuses all of that with `PluginJsonError`, whose message says what
was wrong; callers turn it into the plugin's error. `check_value` applies the same rules
to a value that is already Python (a tool input from the model, `--input`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: The deepest nesting of arrays and objects accepted (real results stay far below;
#: every consumer downstream, json.dumps, the anthropic client, pydantic, recurses).
MAX_DEPTH = 100

# An escape that could start a surrogate: only then is the decoded value walked for lone ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class PluginJsonError(ValueError):
    """JSON text or a value that is not plain, finite, well-formed and shallow enough."""


def decode(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `text` as strict JSON; raise `PluginJsonError` saying what is wrong."""
    if text.count("[") + text.count("{") > max_depth:  # only then can it be too deep
        _check_text_depth(text, max_depth)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise PluginJsonError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise PluginJsonError(f"nested deeper than {max_depth} levels") from None
    except ValueError as e:  # an integer too long to convert, or one of ours
        if isinstance(e, PluginJsonError):
            raise
        raise PluginJsonError(f"not usable JSON: {e}") from None
    if _SURROGATE_ESCAPE.search(text):
        check_value(value, max_depth=max_depth)
    return value


def check_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a Python value that `json.dumps` + a strict parser would not round-trip."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item)
        elif isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise PluginJsonError(f"{item} is not a JSON number (NaN and infinities are not JSON)")
        elif isinstance(item, list | dict):
            if depth > max_depth:
                raise PluginJsonError(f"nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise PluginJsonError(f"an object key is not a string: {key!r}")
                    _check_string(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        else:
            raise PluginJsonError(f"a {type(item).__name__} is not a JSON value")


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise PluginJsonError(
            f"a string holds a lone surrogate (U+{ord(text[e.start]):04X}), which is not Unicode text"
        ) from None


def _check_text_depth(text: str, max_depth: int) -> None:
    # Strings may hold brackets: drop them, then everything but brackets (both in C).
    depth = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise PluginJsonError(f"nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise PluginJsonError(f"{name} is not a JSON number (NaN and infinities are not JSON)")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise PluginJsonError(f"{text} is too large for a JSON number (it would become infinity)")
    return number
