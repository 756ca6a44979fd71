"""A quick yes for the common case of input validation, without importing jsonschema.

`import jsonschema` costs about 60 ms (referencing, rpds, attrs, its format checkers),
more than the rest of `acc plugin run` in Python. Most command schemas use a small part
of JSON Schema: types, properties, required, additionalProperties, items, lengths,
bounds, string enums. `surely_valid` evaluates exactly that part, with jsonschema's
Draft 2020-12 semantics (patterns matched by RE2, in linear time, as the host's full
validator does: `sdk.schema_patterns`), and answers True only when the value certainly
satisfies the schema. Anything else (an invalid value, or a keyword it does not evaluate:
`$ref`, combinators, `patternProperties`, ...) answers False, and the caller runs
jsonschema (`host.input_validation`), which decides and words the error. So a wrong
False costs only time; a True must never be wrong (tests/host/test_schema_check.py
compares it with jsonschema on generated cases).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Keywords that never reject a value (annotations, and definitions nothing refers to
#: without `$ref`, which is not evaluated here). Without a format checker, as the host
#: validates, `format` is an annotation too.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "contentMediaType",
        "contentEncoding",
    }
)


def surely_valid(schema: Any, value: Any) -> bool:
    """True only if `value` is valid against `schema` (Draft 2020-12, no format checks)."""
    try:
        return _valid(schema, value)
    except RecursionError:
        return False


def _valid(schema: Any, value: Any) -> bool:
    if schema is True or (isinstance(schema, Mapping) and not schema):
        return True
    if not isinstance(schema, Mapping):
        return False  # `false`, or not a schema: jsonschema decides
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None or not check(argument, value, schema):
            return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _type(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    names = [argument] if isinstance(argument, str) else argument
    if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
        return False
    return any(_TYPES[name](value) for name in names)


def _properties(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    if not isinstance(argument, Mapping):
        return False
    if not isinstance(value, dict):
        return True
    return all(_valid(argument[key], item) for key, item in value.items() if key in argument)


def _required(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    if not isinstance(argument, list) or not all(isinstance(key, str) for key in argument):
        return False
    return not isinstance(value, dict) or all(key in value for key in argument)


def _additional_properties(argument: Any, value: Any, schema: Mapping[str, Any]) -> bool:
    if "patternProperties" in schema:
        return False  # not evaluated here: which keys are "additional" depends on the patterns
    if not isinstance(value, dict):
        return True
    declared = schema.get("properties", {})
    if not isinstance(declared, Mapping):
        return False
    return all(_valid(argument, item) for key, item in value.items() if key not in declared)


def _items(argument: Any, value: Any, schema: Mapping[str, Any]) -> bool:
    if "prefixItems" in schema:
        return False
    return not isinstance(value, list) or all(_valid(argument, item) for item in value)


def _count(compare: Callable[[int, int], bool], applies: Callable[[Any], bool]) -> Callable[..., bool]:
    """minLength/maxLength (code points of a string), minItems/maxItems, min/maxProperties."""

    def check(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
        if not _is_number(argument):
            return False
        return not applies(value) or compare(len(value), argument)

    return check


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    """minimum/maximum/exclusiveMinimum/exclusiveMaximum: only numbers are bounded."""

    def check(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
        if not _is_number(argument):
            return False
        return not _is_number(value) or compare(value, argument)

    return check


def _string_enum(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    # jsonschema's equality never makes a string equal to anything but the same string.
    if not isinstance(argument, list) or not isinstance(value, str):
        return False
    return value in (member for member in argument if isinstance(member, str))


def _string_const(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    return isinstance(argument, str) and isinstance(value, str) and value == argument


def _pattern(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    if not isinstance(argument, str):
        return False
    if not isinstance(value, str):
        return True
    from sdk.schema_patterns import PatternError, pattern_search

    try:
        return pattern_search(argument, value)
    except PatternError:
        return False


def _unique_strings(argument: Any, value: Any, _schema: Mapping[str, Any]) -> bool:
    if argument is False:
        return True
    if argument is not True:
        return False
    if not isinstance(value, list):
        return True
    return all(isinstance(item, str) for item in value) and len(set(value)) == len(value)


_KEYWORDS: dict[str, Callable[[Any, Any, Mapping[str, Any]], bool]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "items": _items,
    "minLength": _count(lambda n, bound: n >= bound, lambda v: isinstance(v, str)),
    "maxLength": _count(lambda n, bound: n <= bound, lambda v: isinstance(v, str)),
    "minItems": _count(lambda n, bound: n >= bound, lambda v: isinstance(v, list)),
    "maxItems": _count(lambda n, bound: n <= bound, lambda v: isinstance(v, list)),
    "minProperties": _count(lambda n, bound: n >= bound, lambda v: isinstance(v, dict)),
    "maxProperties": _count(lambda n, bound: n <= bound, lambda v: isinstance(v, dict)),
    "minimum": _bound(lambda v, bound: v >= bound),
    "maximum": _bound(lambda v, bound: v <= bound),
    "exclusiveMinimum": _bound(lambda v, bound: v > bound),
    "exclusiveMaximum": _bound(lambda v, bound: v < bound),
    "enum": _string_enum,
    "const": _string_const,
    "uniqueItems": _unique_strings,
    "pattern": _pattern,
}
