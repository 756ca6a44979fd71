"""The OpenAPI document at /api/v1/openapi.json: it lists exactly the app's routes, real
responses validate against it, and schemathesis finds no server error in any operation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from registry import openapi
from registry.app import create_app
from registry.config import RegistryConfig
from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, config_for, error_code, make_publisher, publish, variant

API = openapi.API_PREFIX
DOCUMENT_URI = "urn:acc:registry-openapi"
#: Methods Flask and werkzeug answer by themselves for every route (HEAD for GET, OPTIONS).
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}
SUCCESS = re.compile(r"^(2\d\d|304)$")


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}


def deprecated_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("deprecated")
    }


def routed_operations(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every url_map rule under the API prefix."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(path, method) for method in rule.methods or () if method not in AUTOMATIC_METHODS}
    return found


@dataclass
class Conformance:
    """Checks responses against the document, and remembers which (path, method, status) it saw."""

    document: dict[str, Any]
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.registry: Registry[Any] = Registry().with_resource(
            DOCUMENT_URI, DRAFT202012.create_resource(self.document)
        )

    def check(self, template: str, method: str, response: Any) -> None:
        path, status = API + template, str(response.status_code)
        responses = self.document["paths"][path][method]["responses"]
        assert status in responses, f"{method.upper()} {path} answered {status}, which it does not document"
        pointer = "/".join(["", "paths", _escape(path), method, "responses", status])
        entry = responses[status]
        if "$ref" in entry:
            pointer = entry["$ref"].removeprefix("#")
            entry = self.resolve(pointer)
        if "content" in entry:
            assert response.mimetype in entry["content"], f"{path}: {response.mimetype} is not documented"
            self.validate(f"{pointer}/content/{_escape(response.mimetype)}/schema", response.get_json())
        else:
            assert not response.data, f"{method.upper()} {path} {status} documents no body but sent one"
        for header, spec in entry.get("headers", {}).items():
            if spec.get("required"):
                assert header in response.headers, f"{path} {status}: missing header {header}"
            if header in response.headers:
                value: Any = response.headers[header]
                value = int(value) if spec["schema"]["type"] == "integer" else value
                Draft202012Validator(spec["schema"]).validate(value)
        self.seen.add((path, method.upper(), status))

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validate(self, pointer: str, instance: Any) -> None:
        schema = {"$ref": f"{DOCUMENT_URI}#{quote(pointer, safe='/~')}"}
        Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).validate(instance)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


# -- the document and the code ---------------------------------------------------------------


def test_the_document_lists_exactly_the_routes_of_the_api(app: Flask, document: dict[str, Any]) -> None:
    routed = routed_operations(app)
    documented = documented_operations(document)
    assert routed - documented == set(), "routes missing from registry/openapi.py"
    assert documented - routed == set(), "documented operations that no route serves"
    assert (f"{API}/account/tokens/{{token_id}}", "DELETE") in routed  # converters become {parameters}


def test_the_document_is_valid_openapi_31(app: Flask, document: dict[str, Any]) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    schema.validate()  # the official OpenAPI 3.1 meta-schema
    assert document["openapi"] == "3.1.0"
    assert document == openapi.document()
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})


def test_exactly_the_operations_documented_as_needing_a_token_refuse_requests_without_one(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    docs = Conformance(document)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            examples = {p["name"]: str(p["example"]) for p in operation["parameters"] if p["in"] == "path"}
            response = client.open(path.format(**examples), method=method.upper())
            secured = operation.get("security") == [{"bearerToken": []}]
            assert (response.status_code == 401) == secured, (method, path, response.status_code)
            docs.check(path.removeprefix(API), method, response)
            if secured:
                assert "429" in operation["responses"], f"{method} {path}: rate-limited writes answer 429"
    retry_after = document["components"]["responses"]["RateLimited"]["headers"]["Retry-After"]
    assert retry_after["required"] is True


def test_the_document_is_cacheable_and_answers_304_to_its_etag(client: FlaskClient) -> None:
    first = client.get(f"{API}/openapi.json")
    assert first.cache_control.public and first.cache_control.max_age == 3600
    assert first.headers["ETag"]
    again = client.get(f"{API}/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


# -- real responses against the documented schemas -------------------------------------------


@pytest.mark.usefixtures("database_url")
def test_real_responses_match_their_documented_schemas(
    client: FlaskClient,
    document: dict[str, Any],
    registry_config: RegistryConfig,
    alice: Publisher,
    bob: Publisher,
    example_archive: PluginArchive,
) -> None:
    docs = Conformance(document)

    def call(
        method: str,
        template: str,
        params: dict[str, str] | None = None,
        *,
        auth: Publisher | None = None,
        expect: int,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        url = API + template.format(**(params or {}))
        headers = auth.auth if auth else {}
        response = client.open(url, method=method.upper(), headers=headers, json=body, query_string=query)
        assert response.status_code == expect, (method, url, response.get_json())
        docs.check(template, method, response)
        return response

    def publish_checked(data: bytes, expect: int) -> Any:
        response = publish(client, alice, data)
        assert response.status_code == expect, response.get_json()
        docs.check("/plugins", "post", response)
        return response

    data = variant(example_archive, version="1.0.0")
    assert publish_checked(data, 201).get_json()["created"] is True
    assert publish_checked(data, 200).get_json()["created"] is False
    assert (
        error_code(publish_checked(variant(example_archive, version="1.0.0", description="other"), 409))
        == "version_exists"
    )

    plugin = {"name": "project-stats"}
    release = {**plugin, "version": "1.0.0"}
    call("get", "/health", expect=200)
    found = call("get", "/plugins", query={"q": "stats", "network": "none"}, expect=200).get_json()
    assert [p["name"] for p in found["plugins"]] == ["project-stats"]
    call("get", "/plugins/{name}", plugin, expect=200)
    version = call("get", "/plugins/{name}/versions/{version}", release, expect=200).get_json()
    assert version["signer"]["kind"] == "ed25519"
    call("get", "/publishers/{name}", {"name": "alice"}, expect=200)
    call("put", "/plugins/{name}/reviews", plugin, auth=bob, body={"stars": 4, "text": "useful"}, expect=200)
    assert call("get", "/plugins/{name}/reviews", plugin, expect=200).get_json()["rating"] == 4
    call("post", "/plugins/{name}/collaborators", plugin, auth=alice, body={"user": "bob"}, expect=201)
    call("get", "/plugins/{name}", plugin, expect=200)  # now with a collaborator
    call("delete", "/plugins/{name}/collaborators/{other}", {**plugin, "other": "bob"}, auth=alice, expect=200)
    call("post", "/plugins/{name}/versions/{version}/yank", release, auth=alice, body={"reason": "broken"}, expect=200)
    call("get", "/plugins/{name}/versions/{version}", release, expect=200)  # now yanked, with a reason
    call("delete", "/plugins/{name}/versions/{version}/yank", release, auth=alice, expect=200)
    call("post", "/plugins/{name}/deprecate", plugin, auth=alice, body={"message": "use x"}, expect=200)
    call("get", "/plugins", expect=200)  # now deprecated
    call("delete", "/plugins/{name}/deprecate", plugin, auth=alice, expect=200)
    call("post", "/plugins/{name}/reports", plugin, auth=bob, body={"reason": "spam"}, expect=201)
    public_key = alice.key.with_name(alice.key.name + ".pub").read_text()
    # Keys and identities are added on the web only (with the password), never with a token.
    call("post", "/account/keys", auth=bob, body={"public_key": public_key}, expect=403)
    call(
        "post",
        "/account/identities",
        auth=bob,
        expect=403,
        body={"identity": "bob@example.com", "issuer": "https://github.com/login/oauth"},
    )
    call("get", "/publishers/{name}", {"name": "bob"}, expect=200)
    token_id = call("get", "/account/tokens", auth=bob, expect=200).get_json()["tokens"][0]["id"]
    call("delete", "/account/tokens/{token_id}", {"token_id": str(token_id)}, auth=bob, expect=200)
    call("get", "/openapi.json", expect=200)

    # errors, one shape
    call("get", "/plugins/{name}", {"name": "no-such-plugin"}, expect=404)
    call("get", "/plugins/{name}/versions/{version}", {**plugin, "version": "9.9.9"}, expect=404)
    call("get", "/publishers/{name}", {"name": "nobody"}, expect=404)
    call("get", "/plugins/{name}/reviews", {"name": "no-such-plugin"}, expect=404)
    call("get", "/plugins", query={"page": "0"}, expect=400)
    call("put", "/plugins/{name}/reviews", plugin, auth=alice, body={"stars": 6}, expect=400)
    malformed = client.post(
        f"{API}/plugins/project-stats/deprecate", headers=alice.auth, data="{", content_type="application/json"
    )
    assert malformed.status_code == 400 and error_code(malformed) == "malformed_json"
    docs.check("/plugins/{name}/deprecate", "post", malformed)
    no_token = client.post(f"{API}/plugins", data={})
    assert no_token.status_code == 401 and error_code(no_token) == "unauthorized"
    assert no_token.headers["WWW-Authenticate"] == 'Bearer realm="acc"'
    docs.check("/plugins", "post", no_token)
    call("delete", "/account/tokens/{token_id}", {"token_id": str(token_id)}, auth=bob, expect=401)  # revoked
    carol = make_publisher(registry_config, "carol", alice.keys_dir)
    call("post", "/plugins/{name}/versions/{version}/yank", release, auth=carol, body={"reason": "mine"}, expect=403)
    call("post", "/plugins/{name}/collaborators", plugin, auth=alice, body={"user": "alice"}, expect=409)

    # every operation was seen succeeding at least once, except the deprecated ones no token may use
    succeeded = {(path, method) for path, method, status in docs.seen if SUCCESS.match(status)}
    assert documented_operations(document) - succeeded == deprecated_operations(document)
    assert deprecated_operations(document) == {(f"{API}/account/keys", "POST"), (f"{API}/account/identities", "POST")}


@pytest.fixture
def small_limits_client(registry_config: RegistryConfig, alice: Publisher) -> Iterator[FlaskClient]:
    app = create_app(
        config_for(
            registry_config.data_dir, registry_config.database_url, write_rate_per_minute=2, max_upload_bytes=4096
        )
    )
    yield app.test_client()
    app.extensions["acc_registry"].db.dispose()


def test_rate_limits_and_size_limits_answer_as_documented(
    small_limits_client: FlaskClient, alice: Publisher, document: dict[str, Any]
) -> None:
    client = small_limits_client
    docs = Conformance(document)
    too_big = client.post(f"{API}/plugins/project-stats/reports", headers=alice.auth, json={"reason": "x" * 5000})
    assert too_big.status_code == 413
    docs.check("/plugins/{name}/reports", "post", too_big)
    # Four writes at a limit of two a minute: at least one is refused even across a window boundary.
    responses = [client.get(f"{API}/account/tokens", headers=alice.auth) for _ in range(4)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    for response in responses:
        docs.check("/account/tokens", "get", response)
    assert error_code(limited[0]) == "rate_limited"
    assert 1 <= int(limited[0].headers["Retry-After"]) <= 60


# -- hostile inputs: each was a 500 (the database refused the value) before the API refused it --

SURROGATE = '"\\ud800"'  # JSON for a lone surrogate: valid JSON, but no UTF-8 encoding exists for it


@dataclass(frozen=True)
class Hostile:
    method: str
    template: str
    params: dict[str, str]
    status: int
    code: str
    body: str | None = None  # raw JSON text: some of these cannot be sent through `json=`


HOSTILE_INPUTS = {
    "token id past SQLite's range": Hostile(
        "delete", "/account/tokens/{token_id}", {"token_id": "99999999999999999999999"}, 404, "not_found"
    ),
    "token id past PostgreSQL's integer": Hostile(
        "delete", "/account/tokens/{token_id}", {"token_id": "2147483648"}, 404, "not_found"
    ),
    "NUL in a plugin name": Hostile("get", "/plugins/{name}", {"name": "a%00b"}, 404, "not_found"),
    "NUL in a publisher name": Hostile("get", "/publishers/{name}", {"name": "a%00b"}, 404, "not_found"),
    "NUL in a collaborator": Hostile(
        "post",
        "/plugins/{name}/collaborators",
        {"name": "project-stats"},
        400,
        "malformed_json",
        '{"user": "a\\u0000b"}',
    ),
    "NUL in a review": Hostile(
        "put",
        "/plugins/{name}/reviews",
        {"name": "project-stats"},
        400,
        "malformed_json",
        '{"stars": 3, "text": "a\\u0000b"}',
    ),
    "lone surrogate in a report": Hostile(
        "post",
        "/plugins/{name}/reports",
        {"name": "project-stats"},
        400,
        "malformed_json",
        f'{{"reason": {SURROGATE}}}',
    ),
    "JSON nested past the parser's depth": Hostile(
        "post", "/plugins/{name}/deprecate", {"name": "project-stats"}, 400, "malformed_json", "[" * 100_000
    ),
}


@pytest.mark.usefixtures("database_url")
def test_hostile_inputs_are_refused_as_documented(
    subtests: pytest.Subtests,
    client: FlaskClient,
    alice: Publisher,
    document: dict[str, Any],
    example_archive: PluginArchive,
) -> None:
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    docs = Conformance(document)
    for label, case in HOSTILE_INPUTS.items():
        with subtests.test(label):
            response = client.open(
                API + case.template.format(**case.params),
                method=case.method.upper(),
                headers=alice.auth,
                data=case.body,
                content_type="application/json",
            )
            assert (response.status_code, error_code(response)) == (case.status, case.code)
            docs.check(case.template, case.method, response)
    response = client.get(f"{API}/plugins", query_string={"q": "a\x00b"})
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]["message"]
    docs.check("/plugins", "get", response)


@pytest.mark.usefixtures("database_url")
def test_an_archive_with_a_nul_in_its_text_is_refused(
    subtests: pytest.Subtests, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    changes = {
        "README": {"readme": "hello\x00world"},
        "a TOML escape in the description": {"description": "hello\\u0000world"},
    }
    for label, change in changes.items():
        with subtests.test(label):
            response = publish(client, alice, variant(example_archive, version="1.0.0", **change))
            assert response.status_code == 400, response.get_json()
            assert error_code(response) == "invalid_archive"
    assert client.get(f"{API}/plugins/project-stats").status_code == 404  # nothing was stored


# -- schemathesis ----------------------------------------------------------------------------

#: Examples per operation: enough to reach each refusal path, and a run stays well under a minute.
EXAMPLES_PER_OPERATION = 20
#: Path parameters naming what the fuzzed registry holds.
EXISTING = {"name": "project-stats", "version": "1.0.0", "other": "bob"}


@pytest.fixture
def fuzzed_app(
    registry_config: RegistryConfig, alice: Publisher, bob: Publisher, example_archive: PluginArchive
) -> Iterator[Flask]:
    """A fresh registry with project-stats 1.0.0 published by alice, and bob to collaborate with;
    no effective write limit, so every generated write reaches its handler."""
    app = create_app(
        config_for(registry_config.data_dir, registry_config.database_url, write_rate_per_minute=1_000_000)
    )
    assert publish(app.test_client(), alice, variant(example_archive, version="1.0.0")).status_code == 201
    yield app
    app.extensions["acc_registry"].db.dispose()


def keep_token_valid(app: Flask) -> None:
    """Undo any revocation: a fuzzed DELETE /account/tokens/1 would otherwise turn every later
    request into a 401 and leave the rest of the API unexplored."""
    from sqlalchemy import update

    from registry.models import ApiToken

    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(ApiToken).where(ApiToken.revoked_at.is_not(None)).values(revoked_at=None))


@pytest.mark.usefixtures("database_url")
def test_schemathesis_finds_no_server_error_in_any_operation(fuzzed_app: Flask, alice: Publisher) -> None:
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Ok
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    app = fuzzed_app
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    # Every documented operation loaded (an invalid one would be an Err, missing here), except the
    # document's own URL, which schemathesis leaves out.
    fuzzed = {(op.path, op.method.upper()) for op in operations}
    assert fuzzed == documented_operations(openapi.document()) - {(f"{API}/openapi.json", "GET")}

    failures: list[str] = []
    for operation in operations:
        strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        strategies += schema.get_strategies_from_examples(operation)
        # Most generated names name nothing (404); these reach the rows behind them too.
        existing = {**EXISTING, "name": "alice"} if "/publishers/" in operation.path else EXISTING
        names = re.findall(r"\{(\w+)\}", operation.path)
        if names and set(names) <= existing.keys():
            strategies += [
                operation.as_strategy(mode, path_parameters={n: existing[n] for n in names})
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            ]
        revokes_tokens = operation.method.upper() == "DELETE" and operation.path.endswith("/tokens/{token_id}")
        try:
            fuzz(
                st.one_of(strategies),
                partial(send, app=app, headers=alice.auth, checks=checks, revokes_tokens=revokes_tokens),
            )
        except Exception as e:  # collect every operation's failure, not only the first
            failures.append(f"{operation.label}: {e}")
    assert not failures, "\n\n".join(failures)


def fuzz(strategy: Any, send: Callable[[Any], None]) -> None:
    """Send EXAMPLES_PER_OPERATION cases drawn from `strategy`: the same cases on every run."""
    from hypothesis import HealthCheck, given, settings

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        send(case)

    run()


def send(case: Any, *, app: Flask, headers: dict[str, str], checks: list[Any], revokes_tokens: bool) -> None:
    try:
        case.call_and_validate(headers=headers, checks=checks)
    finally:
        if revokes_tokens:
            keep_token_valid(app)
