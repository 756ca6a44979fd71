"""A command's input schema is the plugin author's: it cannot make validation hang the host.

Patterns are matched by RE2 (linear time) everywhere jsonschema would use Python's
backtracking `re`; patterns RE2 cannot run are refused when the manifest is checked (at
build, publish and install); `uniqueItems` is linear; and every keyword checks the call's
deadline, so a schema that branches exponentially stops at the plugin's time limit.
Timings use generous bounds: the backtracking cases below would take hours.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from host.deadline import within
from host.errors import InputError, PluginTrap
from host.input_validation import validate_input
from host.policy import HostPolicy
from sdk.errors import ManifestError
from sdk.manifest import load_manifest, manifest_from_mapping

EVIL = "^(a+)+$"
ATTACK = "a" * 64 + "!"


def _manifest(schema: dict[str, Any], name: str = "demo") -> Any:
    return manifest_from_mapping(
        {"name": name, "version": "1.0.0", "description": "d", "commands": [{"name": "go", "input": schema}]}
    )


def _validate(schema: dict[str, Any], value: Any, name: str = "demo") -> str:
    return validate_input(_manifest(schema, name), "go", value, HostPolicy())


#: Where jsonschema matches a schema's regex, with an input that backtracks exponentially
#: there, and whether the input is valid (the key does not match, so it is "additional").
CATASTROPHIC = {
    "pattern": ({"type": "object", "properties": {"s": {"type": "string", "pattern": EVIL}}}, {"s": ATTACK}, False),
    "patternProperties": (
        {"type": "object", "patternProperties": {EVIL: {"type": "integer"}}},
        {ATTACK: "not checked: the key does not match"},
        True,
    ),
    "additionalProperties": (
        {"type": "object", "patternProperties": {EVIL: {}}, "additionalProperties": False},
        {ATTACK: 1},
        False,
    ),
    "unevaluatedProperties": (
        {"type": "object", "patternProperties": {EVIL: {}}, "unevaluatedProperties": False},
        {ATTACK: 1},
        False,
    ),
    "nested-in-anyOf": (
        {"type": "object", "anyOf": [{"properties": {"s": {"pattern": EVIL}}}, {"required": ["t"]}]},
        {"s": ATTACK},
        False,
    ),
}


@pytest.mark.parametrize(("schema", "value", "valid"), CATASTROPHIC.values(), ids=CATASTROPHIC.keys())
def test_a_catastrophic_pattern_is_evaluated_in_linear_time(schema: dict[str, Any], value: Any, valid: bool) -> None:
    started = time.monotonic()
    name = f"redos-{sorted(CATASTROPHIC).index(next(k for k, v in CATASTROPHIC.items() if v[0] is schema))}"
    if valid:
        assert json.loads(_validate(schema, value, name=name)) == value
    else:
        with pytest.raises(InputError):
            _validate(schema, value, name=name)
    assert time.monotonic() - started < 1.0


def test_patterns_still_mean_what_they_say() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "pattern": r"^[a-z]+-\d{2,4}$"}},
        "patternProperties": {"^x-": {"type": "integer"}},
        "additionalProperties": False,
    }
    assert json.loads(_validate(schema, {"id": "abc-123", "x-count": 3})) == {"id": "abc-123", "x-count": 3}
    for bad in ({"id": "ABC-123"}, {"id": "abc-1"}, {"x-count": "3"}, {"other": 1}):
        with pytest.raises(InputError):
            _validate(schema, bad)


def test_unique_items_is_checked_in_linear_time() -> None:
    schema = {"type": "object", "properties": {"xs": {"type": "array", "uniqueItems": True}}}
    many = [{"k": i} for i in range(20_000)]  # unhashable items: jsonschema compares every pair
    started = time.monotonic()
    _validate(schema, {"xs": many}, name="unique")
    with pytest.raises(InputError, match="non-unique"):
        _validate(schema, {"xs": [*many, {"k": 5}]}, name="unique")
    # Linear: 20,000 items hash in milliseconds; comparing every pair (2e8 comparisons of
    # dicts) takes minutes. The bound is generous so a loaded machine cannot fail it.
    assert time.monotonic() - started < 30.0
    assert _validate(schema, {"xs": [1, True]}, name="unique")  # true is not 1 in JSON Schema
    with pytest.raises(InputError):
        _validate(schema, {"xs": [1, 1.0]}, name="unique")


def test_an_exponentially_branching_schema_stops_at_the_deadline() -> None:
    # Each level tries both branches of anyOf on the whole subtree: 2^depth evaluations.
    schema = {
        "$defs": {"node": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 0},
                                     {"type": "array", "items": {"$ref": "#/$defs/node"}}]}},
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/node"}},
    }  # fmt: skip
    deep: Any = 1  # an integer at the bottom: every branch fails, so all are tried
    for _ in range(60):
        deep = [deep]
    started = time.monotonic()
    with within("demo", 0.5), pytest.raises(PluginTrap) as stopped:
        _validate(schema, {"tree": deep}, name="branching")
    assert time.monotonic() - started < 1.5
    assert stopped.value.limit == "time"
    assert "demo's 0.5 s time limit" in stopped.value.message


@pytest.mark.parametrize(
    "value",
    [{"n": float("nan")}, {"n": float("inf")}, {"s": "\ud800"}, {"deep": json.loads("[" * 150 + "]" * 150)}],
    ids=["nan", "infinity", "surrogate", "deep"],
)
def test_an_input_that_is_not_plain_json_is_refused_before_validation(value: Any) -> None:
    with pytest.raises(InputError, match="is refused"):
        _validate({"type": "object"}, value)


@pytest.mark.parametrize(
    "pattern",
    [r"(?=a)b", r"(?!a)b", r"(?<=a)b", r"(a)\1", r"a{1001}", r"(a{500}){500}"],
    ids=["lookahead", "negative-lookahead", "lookbehind", "backreference", "count-over-1000", "nested-counts"],
)
def test_a_pattern_linear_time_matching_cannot_run_is_refused_in_the_manifest(pattern: str) -> None:
    text = f"""
name = "demo"
version = "1.0.0"
description = "d"
[[commands]]
name = "go"
[commands.input]
type = "object"
properties.s = {{ type = "string", pattern = '{pattern}' }}
"""
    with pytest.raises(ManifestError) as refused:
        load_manifest(text)
    assert "cannot be matched in linear time" in refused.value.message
    assert "RE2" in (refused.value.hint or "")


def test_a_refused_pattern_in_pattern_properties_is_named() -> None:
    schema = {"type": "object", "patternProperties": {r"(x)\1": {}}}
    with pytest.raises(ManifestError, match=r"input.patternProperties"):
        manifest_from_mapping(
            {"name": "demo", "version": "1.0.0", "description": "d", "commands": [{"name": "go", "input": schema}]}
        )


def test_data_that_looks_like_a_pattern_is_not_checked() -> None:
    schema = {"type": "object", "properties": {"pattern": {"const": {"pattern": "(?=x)"}, "default": "(?=y)"}}}
    manifest_from_mapping(
        {"name": "demo", "version": "1.0.0", "description": "d", "commands": [{"name": "go", "input": schema}]}
    )
