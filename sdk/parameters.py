"""A command's input schema as people read it: one row per parameter (`acc plugin info` and
the registry's plugin pages).

The schema is the plugin author's JSON Schema; the table shows what a caller needs (name,
type, whether it is required, the default, the description) and leaves the rest to
`--json`. A schema that is not an object of properties is one row describing its type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

HEADER = ("PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION")


def parameter_rows(schema: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The rows of the parameter table (no header); empty for a command that takes nothing."""
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, Mapping):
        if not isinstance(properties, Mapping):
            return []
        required = schema.get("required")
        needed = set(required) if isinstance(required, list) else set()
        return [
            (
                str(name),
                describe_type(spec),
                "yes" if name in needed else "",
                _default(spec),
                _one_line(spec.get("description", "")) if isinstance(spec, Mapping) else "",
            )
            for name, spec in properties.items()
        ]
    return [("(input)", describe_type(schema), "yes", _default(schema), _one_line(schema.get("description", "")))]


def describe_type(spec: Any) -> str:
    """`string`, `integer 1..100`, `one of "a", "b"`, `array of string`, `string | null`..."""
    if not isinstance(spec, Mapping):
        return "any"
    if "enum" in spec and isinstance(spec["enum"], list):
        return "one of " + ", ".join(json.dumps(v) for v in spec["enum"])
    if "const" in spec:
        return f"exactly {json.dumps(spec['const'])}"
    kind = spec.get("type")
    text = " | ".join(str(k) for k in kind) if isinstance(kind, list) else str(kind) if kind else "any"
    if kind == "array" and isinstance(spec.get("items"), Mapping):
        text = f"array of {describe_type(spec['items'])}"
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None or high is not None:
        text += f" {'' if low is None else low}..{'' if high is None else high}"
    return text


def _default(spec: Any) -> str:
    if isinstance(spec, Mapping) and "default" in spec:
        return json.dumps(spec["default"])
    return ""


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())
