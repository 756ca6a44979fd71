"""The API's reference as a page: the OpenAPI document (registry.openapi) rendered for
people, grouped by tag, with each operation's parameters, body and answers and each schema's
fields. No JavaScript and nothing fetched: the same document /api/v1/openapi.json serves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import render_template

from registry import openapi
from registry.web.blueprint import bp

_REF_PREFIXES = ("#/components/schemas/", "#/components/responses/")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    #: The schema that `type` names, when it is one of the document's schemas (a link).
    ref: str
    required: bool
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    ref: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    needs_token: bool
    parameters: tuple[Field, ...]
    #: The request body's media type ("" for none), and its fields when it is an object.
    body: str
    body_fields: tuple[Field, ...]
    answers: tuple[Answer, ...]

    @property
    def anchor(self) -> str:
        return "op-" + self.method.lower() + self.path.replace("/", "-").replace("{", "").replace("}", "")


@dataclass(frozen=True)
class SchemaView:
    name: str
    description: str
    fields: tuple[Field, ...]
    #: For schemas that are one of several shapes (`oneOf`), or not objects: their JSON.
    other: str


def describe(schema: Mapping[str, Any]) -> tuple[str, str]:
    """(words for the type, the schema it refers to or "")."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return name, name
    kind = schema.get("type")
    text = " or ".join(str(k) for k in kind) if isinstance(kind, list) else str(kind or "any")
    if "enum" in schema:
        text = "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    elif "const" in schema:
        text = f"exactly {json.dumps(schema['const'])}"
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        inner, ref = describe(schema["items"])
        return f"array of {inner}", ref
    if isinstance(schema.get("additionalProperties"), Mapping):
        inner, ref = describe(schema["additionalProperties"])
        return f"object of {inner}", ref
    return text, ""


def _fields(schema: Mapping[str, Any]) -> tuple[Field, ...]:
    required = set(schema.get("required", ()))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        text, ref = describe(spec)
        fields.append(Field(name, text, ref, name in required, str(spec.get("description", ""))))
    return tuple(fields)


def _answer_ref(answer: Mapping[str, Any], responses: Mapping[str, Any]) -> tuple[str, str]:
    if "$ref" in answer:
        answer = responses[str(answer["$ref"]).rsplit("/", 1)[-1]]
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return str(answer.get("description", "")), describe(schema)[1] if schema else ""


def reference(document: Mapping[str, Any]) -> tuple[list[tuple[str, list[Operation]]], list[SchemaView]]:
    """The operations by tag, in the document's tag order, and every schema by name."""
    responses = document["components"]["responses"]
    by_tag: dict[str, list[Operation]] = {tag["name"]: [] for tag in document.get("tags", [])}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            parameters = tuple(
                Field(
                    f"{p['name']} ({p['in']})",
                    *describe(p.get("schema", {})),
                    bool(p.get("required")),
                    str(p.get("description", "")),
                )
                for p in op.get("parameters", [])
            )
            body, body_fields = "", tuple[Field, ...]()
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                schema = content.get("schema", {})
                body, body_fields = f"{media}, {describe(schema)[0]}", _fields(schema)
            answers = tuple(
                Answer(status, *_answer_ref(answer, responses)) for status, answer in op["responses"].items()
            )
            operation = Operation(
                method.upper(),
                path,
                op.get("summary", ""),
                bool(op.get("security")),
                parameters,
                body,
                body_fields,
                answers,
            )
            for tag in op.get("tags", ["other"]):
                by_tag.setdefault(tag, []).append(operation)
    schemas = []
    for name, schema in document["components"]["schemas"].items():
        is_object = schema.get("type") == "object" and "properties" in schema
        other = "" if is_object else json.dumps(schema, indent=2)
        schemas.append(SchemaView(name, str(schema.get("description", "")), _fields(schema), other))
    return [(tag, ops) for tag, ops in by_tag.items() if ops], schemas


@bp.get("/api/docs")
def api_docs() -> str:
    document = openapi.document()
    tags, schemas = reference(document)
    return render_template("web/api_docs.html", info=document["info"], tags=tags, schemas=schemas)
