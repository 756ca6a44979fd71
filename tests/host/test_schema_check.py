"""`surely_valid` (host/schema_check.py) never says yes where jsonschema says no, and says
yes for the schemas plugins use, so `acc plugin run` need not import jsonschema."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from host.errors import InputError
from host.input_validation import validate_input
from host.policy import HostPolicy
from host.schema_check import surely_valid
from sdk.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
STRINGS = ["", "a", "ab", "abc", "é", "x" * 12, "1", "null"]
NUMBERS: list[Any] = [0, 1, -1, 2, 7, 1.0, 1.5, -0.5, 10**20, float("inf"), float("nan"), True, False]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["null", "bool", "number", "string", "array", "object"] if depth < 3 else ["number", "string"])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "number":
        return rng.choice(NUMBERS)
    if kind == "string":
        return rng.choice(STRINGS)
    if kind == "array":
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "c", "d"]): _value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _schema(rng: random.Random, depth: int = 0) -> Any:
    if rng.random() < 0.05:
        return rng.choice([True, False, {}])
    schema: dict[str, Any] = {}
    types = ["null", "boolean", "integer", "number", "string", "array", "object"]
    for _ in range(rng.randrange(1, 5)):
        keyword = rng.choice(
            [
                "type", "type", "properties", "required", "additionalProperties", "items", "minLength",
                "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minimum", "maximum",
                "exclusiveMinimum", "exclusiveMaximum", "enum", "const", "uniqueItems", "description",
                "default", "format", "pattern", "anyOf", "patternProperties", "prefixItems", "not",
            ]
        )  # fmt: skip
        sub = (lambda: _schema(rng, depth + 1)) if depth < 2 else (lambda: rng.choice([True, {"type": "string"}]))
        if keyword == "type":
            schema[keyword] = rng.choice(types) if rng.random() < 0.7 else rng.sample(types, rng.randrange(1, 3))
        elif keyword == "properties":
            schema[keyword] = {k: sub() for k in rng.sample(["a", "b", "c"], rng.randrange(1, 3))}
        elif keyword == "required":
            schema[keyword] = rng.sample(["a", "b", "c", "d"], rng.randrange(0, 3))
        elif keyword in ("additionalProperties", "items", "not"):
            schema[keyword] = rng.choice([True, False, sub()])
        elif keyword in ("anyOf", "prefixItems"):
            schema[keyword] = [sub(), sub()]
        elif keyword == "patternProperties":
            schema[keyword] = {"^a": sub()}
        elif keyword == "enum":
            schema[keyword] = rng.sample([*STRINGS, 1, 1.0, True, None], 3)
        elif keyword == "const":
            schema[keyword] = rng.choice([*STRINGS, 1, True, None])
        elif keyword == "uniqueItems":
            schema[keyword] = rng.choice([True, False])
        elif keyword in ("description", "default", "format"):
            schema[keyword] = rng.choice(["x", "date", 3])
        elif keyword == "pattern":
            schema[keyword] = rng.choice(["^a", "b", "^[a-z]+$", "\\d", "(x|é)"])
        else:
            schema[keyword] = rng.choice([0, 1, 2, 3, 1.5, -1])
    return schema


def test_a_yes_is_never_wrong_on_generated_schemas_and_values() -> None:
    rng = random.Random(17)
    yes = 0
    for _ in range(20_000):
        schema, value = _schema(rng), _value(rng)
        if surely_valid(schema, value):
            yes += 1
            assert jsonschema.Draft202012Validator(schema).is_valid(value), (schema, value)
    assert yes > 2_000  # it does say yes often enough to matter


def _commands() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted(REPO.glob("official_plugins/*/plugin.toml")):
        manifest = load_manifest(path.read_text(), source=str(path))
        found += [(manifest.name, c.name, dict(c.input_schema)) for c in manifest.commands]
    return found


def _minimal(schema: Any) -> Any:
    """The smallest value a schema of the plugins' kind accepts: its required properties."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "object":
        return {key: _minimal(schema["properties"][key]) for key in schema.get("required", [])}
    if "default" in schema:
        return schema["default"]
    return {"string": "a" * max(1, schema.get("minLength", 1)), "integer": schema.get("minimum", 1),
            "number": schema.get("minimum", 1), "boolean": True, "array": []}.get(kind)  # fmt: skip


def test_official_plugins_inputs_need_no_jsonschema() -> None:
    checked = 0
    for plugin, command, schema in _commands():
        value = _minimal(schema)
        if not jsonschema.Draft202012Validator(schema).is_valid(value):
            continue  # a pattern this helper cannot satisfy with its made-up strings
        assert surely_valid(schema, value), (plugin, command, value)
        checked += 1
    assert checked >= 30


def test_an_invalid_input_still_gets_jsonschema_s_message() -> None:
    text = (REPO / "official_plugins" / "example" / "plugin.toml").read_text()
    manifest = load_manifest(text)
    command = manifest.commands[0]
    assert tomllib.loads(text)["commands"][0]["name"] == command.name
    with pytest.raises(InputError, match=r"is invalid at .*: .* is not of type"):
        validate_input(manifest, command.name, {"path": 3}, HostPolicy())
