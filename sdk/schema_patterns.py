"""The regular expressions of an input schema, compiled for linear-time matching (RE2).

A command's input schema comes from the plugin's manifest, so its `pattern` and
`patternProperties` are the author's choice, and a backtracking engine (Python's `re`,
which jsonschema uses) can take exponential time on a pattern such as `^(a+)+$`: one
30-character input would hang the host. Two rules, applied together:

- **Evaluated by RE2** (`google-re2`): matching takes time linear in the input, whatever
  the pattern. The host's validator (`host.input_validation`) matches with
  `compile_pattern`, never with `re`.
- **Refused where RE2 cannot go**: a pattern RE2 cannot compile (backreferences,
  lookaround, a repetition count past 1000, a program over RE2's memory budget) is
  refused when the manifest is checked, at build, publish and install, so a plugin never
  reaches a user with a schema the host could not evaluate in linear time.

RE2 also differs from ECMA-262 (JSON Schema's dialect) in a few corners, as Python's
`re` already did; the common subset (classes, anchors, groups, counted repetition,
`\\d`/`\\w`/`\\s`, `\\p{...}`) means the same in all three.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from sdk.errors import ManifestError

#: Schema keywords whose values are data, not schemas: a "pattern" key inside them is not a regex.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why."""


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """The RE2 program for `pattern` (cached); raises `PatternError`."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print each refused pattern on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(reason) from None


def pattern_search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text` (JSON Schema's unanchored `pattern`)."""
    return compile_pattern(pattern).search(text) is not None


def schema_patterns(schema: Any, where: str = "input") -> Iterator[tuple[str, str]]:
    """Every regular expression in `schema`, with where it is: (`where`, pattern)."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from schema_patterns(item, f"{where}[{index}]")
        return
    if not isinstance(schema, Mapping):
        return
    for key, value in schema.items():
        if key in _DATA_KEYWORDS:
            continue
        if key == "pattern" and isinstance(value, str):
            yield f"{where}.pattern", value
        elif key == "patternProperties" and isinstance(value, Mapping):
            for pattern, subschema in value.items():
                yield f"{where}.patternProperties", pattern
                yield from schema_patterns(subschema, f"{where}.patternProperties[{pattern!r}]")
        elif key == "properties" and isinstance(value, Mapping):
            for name, subschema in value.items():  # property names are not keywords
                yield from schema_patterns(subschema, f"{where}.properties.{name}")
        else:
            yield from schema_patterns(value, f"{where}.{key}")


def check_schema_patterns(schema: Mapping[str, Any], where: str) -> None:
    """Refuse a schema with a pattern RE2 cannot compile (`ManifestError` naming it)."""
    for place, pattern in schema_patterns(schema):
        try:
            compile_pattern(pattern)
        except PatternError as e:
            raise ManifestError(
                f"{where}: {place} {pattern!r} cannot be matched in linear time ({e})",
                hint="acc evaluates schema patterns with RE2: no backreferences or lookaround, "
                "repetition counts up to 1000",
            ) from None
