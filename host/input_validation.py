"""Checking a command's input against its manifest schema, within the plugin's time.

The schema is the plugin author's; the input may come from a person, a model or another
plugin. Neither may make validation hang the host:

- regular expressions (`pattern`, `patternProperties`, and the property matching of
  `additionalProperties` and `unevaluatedProperties`) are matched by RE2, in linear
  time (`sdk.schema_patterns`; jsonschema itself would use Python's backtracking `re`);
- `uniqueItems` is checked in linear time (jsonschema falls back to comparing every pair);
- the input's nesting is bounded before validation starts (`host.plugin_json`);
- every keyword first checks the call's deadline (`host.deadline`), so a schema whose
  combinators (`anyOf` over `$ref`s, ...) branch exponentially stops at the plugin's
  time limit instead of running on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from host.deadline import current_deadline
from host.errors import InputError, PluginTrap
from host.plugin_json import PluginJsonError, check_value
from host.policy import HostPolicy
from host.schema_check import surely_valid
from sdk.manifest import Manifest
from sdk.schema_patterns import PatternError, pattern_search

Keyword = Callable[[Any, Any, Any, Mapping[str, Any]], Iterator[Any]]


class _OutOfTime(Exception):
    """Raised inside validation when the call's deadline has passed."""


def validate_input(manifest: Manifest, command: str, value: Any, policy: HostPolicy) -> str:
    """Check `value` against the command's input schema; return it as JSON text.

    Raises `InputError` for an unknown command, an input that is too large, too deep or
    not plain JSON, or one that breaks the schema; `PluginTrap` (limit "time") when the
    validation outlasts the call's deadline.
    """
    spec = manifest.command(command)
    if spec is None:
        from sdk.names import did_you_mean

        names = [c.name for c in manifest.commands]
        suggestion = did_you_mean(command, names)
        raise InputError(
            f"{manifest.name} has no command {command!r}",
            hint=(f"{suggestion} " if suggestion else "") + f"its commands: {', '.join(names)}",
        )
    try:
        check_value(value)
    except PluginJsonError as e:
        raise InputError(f"input for {manifest.name} {command} is refused: {e}") from e
    text = json.dumps(value)
    if len(text) > policy.max_input_bytes:
        raise InputError(f"input is larger than {policy.max_input_bytes} bytes")
    if surely_valid(spec.input_schema, value):  # the common case, in linear time, without importing jsonschema
        return text
    import jsonschema

    try:
        error = jsonschema.exceptions.best_match(_validator(manifest, command, spec.input_schema).iter_errors(value))
    except _OutOfTime:
        deadline = current_deadline()
        limit = deadline.describe() if deadline else "its time limit"
        raise PluginTrap(
            f"checking the input of {manifest.name} {command} against its schema ran out of {limit}",
            limit="time",
            hint=f"the input schema of {manifest.name} is too costly to evaluate; report it to its author",
        ) from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            f"input for {manifest.name} {command} is invalid at {where}: {error.message}",
            hint=f"see `acc plugin info {manifest.name}` for the command's input schema",
        )
    return text


_validators: dict[tuple[str, str, str], Any] = {}


def _validator(manifest: Manifest, command: str, schema: Mapping[str, Any]) -> Any:
    # Building a validator costs more than running it: keep one per plugin version and command.
    key = (manifest.name, str(manifest.version), command)
    if key not in _validators:
        _validators[key] = _validator_class()(dict(schema))
    return _validators[key]


_class: Any = None


def _validator_class() -> Any:
    """Draft 2020-12 with linear-time regexes and uniqueItems, every keyword deadline-checked."""
    global _class
    if _class is None:
        from jsonschema import Draft202012Validator, validators

        replaced: dict[str, Keyword] = {
            **Draft202012Validator.VALIDATORS,
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
            "unevaluatedProperties": _unevaluated_properties,
            "uniqueItems": _unique_items,
        }
        bounded = {name: _bounded(keyword) for name, keyword in replaced.items()}
        _class = validators.extend(Draft202012Validator, bounded)
    return _class


def _bounded(keyword: Keyword) -> Keyword:
    def check_then_run(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
        deadline = current_deadline()
        if deadline is not None and deadline.expired():
            raise _OutOfTime
        result = keyword(validator, value, instance, schema)
        if result is not None:  # a keyword may return None instead of an empty iterator
            yield from result

    return check_then_run


# --- the keywords that match regular expressions, with RE2 ---------------------------------


def _matches(pattern: str, text: str) -> bool:
    try:
        return pattern_search(pattern, text)
    except PatternError:
        # Refused when the manifest was checked; a manifest older than that check gets
        # "no match", which fails closed for `pattern` and leaves the property unmatched.
        return False


def _error(message: str) -> Any:
    from jsonschema.exceptions import ValidationError

    return ValidationError(message)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield _error(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        key for key in instance if key not in properties and not any(_matches(pattern, key) for pattern in patterns)
    ]


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    extras = _additional(instance, schema)
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        listed = ", ".join(repr(extra) for extra in sorted(extras))
        if "patternProperties" in schema:
            patterns = ", ".join(repr(p) for p in sorted(schema["patternProperties"]))
            verb = "does" if len(extras) == 1 else "do"
            yield _error(f"{listed} {verb} not match any of the regexes: {patterns}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield _error(f"Additional properties are not allowed ({listed} {verb} unexpected)")


def _unevaluated_properties(validator: Any, allowed: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    evaluated = set(_evaluated_keys(validator, instance, schema))
    rejected = []
    for key in instance:
        if key not in evaluated and next(validator.descend(instance[key], allowed, path=key, schema_path=key), None):
            rejected.append(key)
    if rejected:
        listed = ", ".join(repr(key) for key in sorted(rejected, key=str))
        verb = "was" if len(rejected) == 1 else "were"
        if allowed is False:
            yield _error(f"Unevaluated properties are not allowed ({listed} {verb} unexpected)")
        else:
            yield _error(f"Unevaluated properties are not valid under the given schema ({listed} {verb} unevaluated)")


def _valid(errors: Iterator[Any]) -> bool:
    return next(errors, None) is None


def _evaluated_keys(validator: Any, instance: Mapping[str, Any], schema: Any) -> list[str]:
    """jsonschema's `find_evaluated_property_keys_by_schema`, matching patterns with RE2."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[str] = []
    for reference in ("$ref", "$dynamicRef"):
        ref = schema.get(reference)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            inner = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys += _evaluated_keys(inner, instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        subschema = schema.get(keyword)
        if subschema is not None:
            keys += [key for key, value in instance.items() if _valid(validator.descend(value, subschema))]
    for pattern in schema.get("patternProperties", {}):
        keys += [key for key in instance if _matches(pattern, key)]
    for key, subschema in schema.get("dependentSchemas", {}).items():
        if key in instance:
            keys += _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if _valid(validator.descend(instance, subschema)):
                keys += _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys += _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys += _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys += _evaluated_keys(validator, instance, schema["else"])
    return keys


# --- uniqueItems in linear time ----------------------------------------------------------------


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _identity(item)
        if key in seen:
            yield _error(f"{instance!r:.200} has non-unique elements")
            return
        seen.add(key)


def _identity(value: Any) -> Any:
    """A hashable value equal for JSON-equal values (1 == 1.0, but true != 1)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, list):
        return ("array", tuple(_identity(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, _identity(item)) for key, item in value.items()))
    return (type(value).__name__, value)
