"""The OpenAPI 3.1 document of the JSON API under /api/v1, served at /api/v1/openapi.json.

Written out by hand, route by route, so it can say what the code cannot (why a status
happens, what a field means); tests/registry/test_openapi.py keeps it honest: it must
list exactly the app's routes and methods, real responses must validate against it,
and schemathesis fuzzes every operation it describes.

Every error is the one shape of registry.errors (`Error`). Operations that need an
API token (`Authorization: Bearer acc_...`) are the rate-limited ones: past the limit
they answer 429 with a `Retry-After` header.
"""

from __future__ import annotations

from typing import Any

from registry.accounts import TOKEN_PREFIX
from registry.catalog import MAX_PER_PAGE, MAX_QUERY_LENGTH, SORTS
from registry.community import MAX_REPORT_LENGTH, MAX_REVIEW_LENGTH
from registry.permissions import PLUGIN_SCOPED, Permission
from registry.publish import MAX_REASON_LENGTH
from sdk.index_format import SIGNATURE_KINDS
from sdk.publisher_mark import DOMAIN_PROOFS, HOW_OPERATOR

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.1.0"
#: The version of the API this document describes (the `v1` of the prefix), not of the package.
API_VERSION = "1.0.0"

Schema = dict[str, Any]

# -- building blocks -------------------------------------------------------------------------


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), closed: bool = True) -> Schema:
    """An object with these properties, all required except `optional`; `closed` refuses extras
    (responses are closed, so a field added to the code but not here fails the tests)."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def _string(**keywords: Any) -> Schema:
    return {"type": "string", **keywords}


def _nullable(schema: Schema, **keywords: Any) -> Schema:
    return {**schema, "type": [schema["type"], "null"], **keywords}


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


_TIMESTAMP = _string(
    format="date-time",
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
    description="UTC, to the second: `YYYY-MM-DDTHH:MM:SSZ`",
)
_SHA256 = _string(pattern="^[0-9a-f]{64}$")
_COUNT = {"type": "integer", "minimum": 0}
#: What the publisher declares in plugin.toml (registry.declared): their words, unchecked.
_DECLARED: dict[str, Schema] = {
    "license": _nullable(_string(description="The license the publisher declares (an SPDX expression, usually).")),
    "authors": _array(_string()),
    "homepage": _nullable(_string(description="A URL, as declared: check its scheme before following it.")),
    "repository": _nullable(_string(description="The source repository's URL, as declared.")),
}


def _json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _response(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": _json_content(schema)}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/{_ERROR_RESPONSES[status][0]}"} for status in statuses}


def _json_body(schema: Schema, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}


def _path_parameter(name: str, description: str, example: Any, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or _string(minLength=1),
        "example": example,
    }


def _query_parameter(name: str, description: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_NAME = _path_parameter("name", "The plugin's name.", "project-stats")
_VERSION = _path_parameter("version", "A published version of the plugin.", "1.0.0")

#: Statuses every operation that needs a token can answer (it is rate limited), besides its own.
_TOKEN_ERRORS = (401, 429)
#: Statuses of an operation with a body, whose parsing can fail or exceed the upload limit.
_BODY_ERRORS = (400, 413)


def _public(
    operation_id: str,
    summary: str,
    tag: str,
    ok: dict[str, Any],
    *,
    errors: tuple[int, ...] = (),
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "parameters": parameters or [],
        "responses": {"200": ok, **_errors(*errors)},
    }


def _with_token(
    operation_id: str,
    summary: str,
    tag: str,
    ok: dict[str, dict[str, Any]],
    *,
    errors: tuple[int, ...] = (),
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    permission: Permission | None = None,
    description: str = "",
) -> dict[str, Any]:
    """An operation that needs a token; with `permission`, one holding it (else 403)."""
    scoped = (403,) if permission is not None else ()
    statuses = sorted({*errors, *scoped, *_TOKEN_ERRORS, *(_BODY_ERRORS if body else ())})
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "parameters": parameters or [],
        "security": [{"bearerToken": []}],
        "responses": {**ok, **_errors(*statuses)},
    }
    needs = f"Needs a token with the `{permission.value}` permission." if permission is not None else ""
    if permission in PLUGIN_SCOPED:
        needs += " A token limited to named plugins may act on those only."
    if needs or description:
        operation["description"] = " ".join(part for part in (description, needs) if part)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _web_only(operation_id: str, summary: str, action: str) -> dict[str, Any]:
    """An operation no token may do any more: always 403 `web_only` (done on the web, with a password)."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Refused to every API token (403 `web_only`): {action} on your account page, which asks "
        "for your password, so that a stolen token cannot add its thief's signer.",
        "deprecated": True,
        "tags": ["account"],
        "parameters": [],
        "security": [{"bearerToken": []}],
        "responses": _errors(*sorted({403, *_TOKEN_ERRORS})),
    }


# -- components ------------------------------------------------------------------------------

_ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "The request is malformed or refused (see `error.code`: e.g. `malformed_json`, "
        "`invalid_request`, `invalid_archive`, `bad_signature`, `invalid_component`).",
    ),
    401: ("Unauthorized", "No API token, or one that is unknown, revoked or expired."),
    403: (
        "Forbidden",
        "The token's account may not change this plugin (`forbidden`), the token lacks the permission or is "
        "limited to other plugins (`insufficient_scope`), or no token may do this (`web_only`).",
    ),
    404: ("NotFound", "No such plugin, version, publisher, user or token."),
    409: ("Conflict", "The change clashes with what exists (e.g. `version_exists`, `confusable_name`)."),
    413: ("PayloadTooLarge", "The request body is over the registry's upload limit."),
    429: ("RateLimited", "Too many writes from this client address this minute."),
}


def _error_response(status: int) -> dict[str, Any]:
    _, description = _ERROR_RESPONSES[status]
    response = _response(description, _ref("Error"))
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"description": '`Bearer realm="acc"`', "schema": _string()}}
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds until the next rate-limit window.",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


def _schemas() -> dict[str, Schema]:
    capability = _object(
        {
            "scope": _string(description="What the capability allows, for people."),
            "reason": _string(description="Why the plugin asks for it, from its manifest."),
        }
    )
    verified = {
        "anyOf": [
            {"type": "null"},
            _ref("PublisherMark"),
        ],
        "description": "The marketplace's statement that it checked who the publisher is; null: not verified.",
    }
    plugin_summary = {
        "name": _string(),
        "latest_version": _string(description="The newest version that is not yanked."),
        "description": _string(),
        "keywords": _array(_string()),
        "categories": _array(_string()),
        "capabilities": _array(_string(description="A capability kind: process, fs, http, kv, llm, ...")),
        "owner": _string(),
        "owner_verified": verified,
        "downloads": _COUNT,
        "rating": _nullable({"type": "number", "minimum": 1, "maximum": 5}),
        "rating_count": _COUNT,
        "deprecated": _nullable(_string(description="The deprecation message.")),
        "updated_at": _TIMESTAMP,
    }
    review = {
        "user": _string(),
        "stars": {"type": "integer", "minimum": 1, "maximum": 5},
        "text": _string(),
        "updated_at": _TIMESTAMP,
    }
    timestamp_or_null = _nullable(_TIMESTAMP)
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": _string(description="Stable and machine-readable, e.g. `not_found`, `rate_limited`."),
                        "message": _string(description="What went wrong, for people."),
                        "hint": _nullable(_string(description="What to do next, for people.")),
                    }
                )
            }
        ),
        "Health": _object(
            {
                "status": _string(
                    enum=["ok", "degraded"],
                    description="`degraded`: TUF metadata expired or expires soon (see `problems`).",
                ),
                "problems": _array(_string(description="What is wrong, and what to do, for operators.")),
                "timestamp_version": {"type": "integer", "minimum": 1},
                "timestamp_expires": _TIMESTAMP,
            }
        ),
        "Capability": capability,
        "PublisherMark": _object(
            {
                "how": _string(
                    enum=[HOW_OPERATOR, *DOMAIN_PROOFS],
                    description="`operator`: the marketplace's operator checked; `dns` / `well-known`: the "
                    "publisher proved `domain` by a DNS TXT record or a file under /.well-known/.",
                ),
                "domain": _nullable(_string(description="The domain the publisher proved.")),
                "text": _string(description="The mark in words, e.g. `verified publisher: example.com`."),
            }
        ),
        "PluginSummary": _object(plugin_summary),
        "SearchResults": _object(
            {
                "total": _COUNT,
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                "plugins": _array(_ref("PluginSummary")),
            }
        ),
        "PluginDetail": _object(
            {
                **plugin_summary,
                "collaborators": _array(_string()),
                "taken_down": _nullable(
                    _object({"at": _TIMESTAMP, "reason": _string()}),
                    description="Set when the registry's moderators took the plugin down: every version "
                    "is yanked with their reason, and it is in no listing.",
                ),
                "capability_details": {
                    "type": "object",
                    "additionalProperties": _ref("Capability"),
                    "description": "The latest version's capabilities, by kind.",
                },
                "readme": _string(description="The latest version's README (Markdown, unrendered)."),
                **_DECLARED,
                "versions": _array(
                    _object(
                        {
                            "version": _string(),
                            "yanked": {"type": "boolean"},
                            "yank_reason": _nullable(_string()),
                            "published_at": _TIMESTAMP,
                            "sha256": _SHA256,
                        }
                    )
                ),
            }
        ),
        "Signer": {
            "oneOf": [
                _object({"kind": _string(const="ed25519"), "key_id": _string(), "public_key": _string()}),
                _object({"kind": _string(const="sigstore"), "identity": _string(), "issuer": _string()}),
            ]
        },
        "VersionDetail": _object(
            {
                "name": _string(),
                "version": _string(),
                "description": _string(),
                "sha256": _SHA256,
                "length": _COUNT,
                "signature_kind": _string(enum=list(SIGNATURE_KINDS)),
                "signer": _ref("Signer"),
                "publisher": _string(),
                "yanked": {"type": "boolean"},
                "yank_reason": _nullable(_string()),
                "abi": _string(description="The host ABI versions the plugin supports (a PEP 440 specifier)."),
                "capabilities": {"type": "object", "additionalProperties": _ref("Capability")},
                "dependencies": {"type": "object", "additionalProperties": _string(description="A PEP 440 specifier.")},
                "published_at": _TIMESTAMP,
                "readme": _string(),
                "manifest": _string(description="plugin.toml"),
                **_DECLARED,
            }
        ),
        "Publisher": _object(
            {
                "name": _string(),
                "since": _string(format="date", pattern=r"^\d{4}-\d{2}-\d{2}$"),
                "verified": verified,
                "keys": _array(_object({"key_id": _string(), "public_key": _string()})),
                "sigstore_identities": _array(_object({"identity": _string(), "issuer": _string()})),
                "plugins": _array(_ref("PluginSummary")),
            }
        ),
        "Review": _object(review),
        "Reviews": _object(
            {"rating": plugin_summary["rating"], "rating_count": _COUNT, "reviews": _array(_ref("Review"))}
        ),
        "SavedReview": _object({**review, "rating": plugin_summary["rating"], "rating_count": _COUNT}),
        "PublishResult": _object(
            {
                "name": _string(),
                "version": _string(),
                "sha256": _SHA256,
                "created": {"type": "boolean", "description": "False when these exact bytes were already published."},
                "warnings": {
                    **_array(_object({"code": _string(), "message": _string(), "hint": _string()})),
                    "description": "What the publisher should fix in the README (e.g. `readme_capabilities`: "
                    "its Capabilities section contradicts plugin.toml). The scaffold's README is refused "
                    "(400 `scaffold_readme`).",
                },
            }
        ),
        "Token": _object(
            {
                "id": {"type": "integer"},
                "prefix": _string(description="The first characters of the token."),
                "description": _string(),
                "plugins": _nullable(
                    _array(_string()), description="The plugins it acts on; null: all of its account's plugins."
                ),
                "permissions": _array(_string(enum=[p.value for p in Permission])),
                "created_at": _TIMESTAMP,
                "expires_at": timestamp_or_null,
                "revoked_at": timestamp_or_null,
                "last_used_at": timestamp_or_null,
            }
        ),
    }


# -- operations ------------------------------------------------------------------------------


def _paths() -> dict[str, dict[str, Any]]:
    p = API_PREFIX
    name, version = _NAME, _VERSION
    search_parameters = [
        _query_parameter(
            "q",
            "Words that must all appear in the name, description, keywords or categories.",
            _string(maxLength=MAX_QUERY_LENGTH),
        ),
        _query_parameter("category", "Only plugins in this category.", _string()),
        _query_parameter("capability", "Only plugins that request this capability kind.", _string()),
        _query_parameter(
            "network",
            "`none`: only plugins that request no network capability (http, llm); other values are ignored.",
            _string(enum=["none"]),
        ),
        _query_parameter("sort", "The order of the results.", _string(enum=list(SORTS), default="relevance")),
        _query_parameter(
            "page", "The page, from 1.", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1}
        ),
        _query_parameter(
            "per_page", "Results per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}
        ),
    ]
    reason = _string(minLength=1, maxLength=MAX_REASON_LENGTH, pattern=r"\S")
    return {
        f"{p}/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "tags": ["meta"],
                "parameters": [],
                "responses": {
                    "200": _response("The OpenAPI document.", {"type": "object"}),
                    "304": {"description": "Not modified (the request's If-None-Match matched the ETag)."},
                },
            }
        },
        f"{p}/health": {
            "get": _public(
                "health",
                "Liveness, with the current TUF timestamp.",
                "meta",
                _response("The registry is up.", _ref("Health")),
            )
        },
        f"{p}/plugins": {
            "get": _public(
                "searchPlugins",
                "Search and list plugins.",
                "discovery",
                _response("One page of matching plugins.", _ref("SearchResults")),
                errors=(400,),
                parameters=search_parameters,
            ),
            "post": _with_token(
                "publishPlugin",
                "Publish a version: a signed plugin archive.",
                "publishing",
                {
                    "201": _response("Published.", _ref("PublishResult")),
                    "200": _response(
                        "These exact bytes were already published (an idempotent retry).", _ref("PublishResult")
                    ),
                },
                permission=Permission.PUBLISH,
                errors=(403, 409),
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": _object(
                                {
                                    "archive": _string(
                                        format="binary",
                                        contentMediaType="application/zip",
                                        description="NAME-VERSION.plugin",
                                    ),
                                    "signature": _string(
                                        format="binary",
                                        contentMediaType="application/octet-stream",
                                        description="An Ed25519 `.sig` document or a Sigstore bundle.",
                                    ),
                                    "signature_kind": _string(enum=list(SIGNATURE_KINDS), default="ed25519"),
                                },
                                optional=("signature_kind",),
                                closed=False,
                            ),
                        }
                    },
                },
            ),
        },
        f"{p}/plugins/{{name}}": {
            "get": _public(
                "getPlugin",
                "A plugin: its listing, latest capabilities and README, and all versions.",
                "discovery",
                _response("The plugin.", _ref("PluginDetail")),
                errors=(404,),
                parameters=[name],
            )
        },
        f"{p}/plugins/{{name}}/versions/{{version}}": {
            "get": _public(
                "getVersion",
                "One version: hashes, signer, capabilities, manifest.",
                "discovery",
                _response("The version.", _ref("VersionDetail")),
                errors=(404,),
                parameters=[name, version],
            )
        },
        f"{p}/publishers/{{name}}": {
            "get": _public(
                "getPublisher",
                "A publisher: signing identities and plugins.",
                "discovery",
                _response("The publisher.", _ref("Publisher")),
                errors=(404,),
                parameters=[_path_parameter("name", "The publisher's account name.", "alice")],
            )
        },
        f"{p}/plugins/{{name}}/reviews": {
            "get": _public(
                "listReviews",
                "A plugin's rating and reviews, newest first.",
                "reviews",
                _response("The reviews.", _ref("Reviews")),
                errors=(404,),
                parameters=[name],
            ),
            "put": _with_token(
                "saveReview",
                "Create or replace your review of a plugin.",
                "reviews",
                {"200": _response("Saved; with the plugin's new aggregate rating.", _ref("SavedReview"))},
                errors=(404,),
                permission=Permission.REVIEW,
                parameters=[name],
                body=_json_body(
                    _object(
                        {
                            "stars": {"type": "integer", "minimum": 1, "maximum": 5},
                            "text": _string(maxLength=MAX_REVIEW_LENGTH),
                        },
                        optional=("text",),
                        closed=False,
                    ),
                    {"stars": 5, "text": "Does what it says."},
                ),
            ),
        },
        f"{p}/plugins/{{name}}/versions/{{version}}/yank": {
            "post": _with_token(
                "yankVersion",
                "Yank a version: installs skip it; it stays listed and is never reused.",
                "publishing",
                {
                    "200": _response(
                        "Yanked.",
                        _object(
                            {"name": _string(), "version": _string(), "yanked": {"const": True}, "reason": _string()}
                        ),
                    )
                },
                errors=(403, 404),
                permission=Permission.YANK,
                parameters=[name, version],
                body=_json_body(_object({"reason": reason}, closed=False), {"reason": "corrupts the cache"}),
            ),
            "delete": _with_token(
                "unyankVersion",
                "Undo a yank.",
                "publishing",
                {
                    "200": _response(
                        "Not yanked.", _object({"name": _string(), "version": _string(), "yanked": {"const": False}})
                    )
                },
                errors=(403, 404),
                permission=Permission.YANK,
                parameters=[name, version],
            ),
        },
        f"{p}/plugins/{{name}}/deprecate": {
            "post": _with_token(
                "deprecatePlugin",
                "Mark a plugin deprecated, with a message for its users.",
                "publishing",
                {"200": _response("Deprecated.", _object({"name": _string(), "deprecated": _string()}))},
                errors=(403, 404),
                permission=Permission.YANK,
                parameters=[name],
                body=_json_body(_object({"message": reason}, closed=False), {"message": "use project-metrics"}),
            ),
            "delete": _with_token(
                "undeprecatePlugin",
                "Withdraw a deprecation.",
                "publishing",
                {"200": _response("Not deprecated.", _object({"name": _string(), "deprecated": {"type": "null"}}))},
                errors=(403, 404),
                permission=Permission.YANK,
                parameters=[name],
            ),
        },
        f"{p}/plugins/{{name}}/collaborators": {
            "post": _with_token(
                "addCollaborator",
                "Let another account publish this plugin (owner only).",
                "publishing",
                {"201": _response("Added.", _object({"name": _string(), "collaborator": _string()}))},
                errors=(403, 404, 409),
                permission=Permission.MANAGE_COLLABORATORS,
                parameters=[name],
                body=_json_body(_object({"user": _string(minLength=1, maxLength=64)}, closed=False), {"user": "bob"}),
            )
        },
        f"{p}/plugins/{{name}}/collaborators/{{other}}": {
            "delete": _with_token(
                "removeCollaborator",
                "Stop another account publishing this plugin (owner only).",
                "publishing",
                {"200": _response("Removed.", _object({"name": _string(), "removed": _string()}))},
                errors=(403, 404),
                permission=Permission.MANAGE_COLLABORATORS,
                parameters=[name, _path_parameter("other", "The collaborator's account name.", "bob")],
            )
        },
        f"{p}/plugins/{{name}}/reports": {
            "post": _with_token(
                "reportPlugin",
                "Report a plugin to the registry's operators.",
                "reviews",
                {"201": _response("Reported.", _object({"name": _string(), "reported": {"const": True}}))},
                errors=(404,),
                permission=Permission.REVIEW,
                parameters=[name],
                body=_json_body(
                    _object({"reason": _string(minLength=1, maxLength=MAX_REPORT_LENGTH, pattern=r"\S")}, closed=False),
                    {"reason": "asks for the network without saying why"},
                ),
            )
        },
        f"{p}/account/keys": {
            "post": _web_only("addKey", "Register a signing key: on the web only.", "add signing keys")
        },
        f"{p}/account/identities": {
            "post": _web_only(
                "addIdentity", "Register a Sigstore identity: on the web only.", "add Sigstore identities"
            )
        },
        f"{p}/account/tokens": {
            "get": _with_token(
                "listTokens",
                "Your API tokens (never their secret text).",
                "account",
                {"200": _response("The tokens.", _object({"tokens": _array(_ref("Token"))}))},
            )
        },
        f"{p}/account/tokens/{{token_id}}": {
            "delete": _with_token(
                "revokeToken",
                "Revoke one of your API tokens (revoking it again is harmless).",
                "account",
                {"200": _response("The revoked token.", _ref("Token"))},
                errors=(404,),
                description="Any token may revoke itself.",
                permission=Permission.MANAGE_ACCOUNT,
                parameters=[
                    _path_parameter(
                        "token_id", "The token's id (see listTokens).", 1, {"type": "integer", "minimum": 0}
                    )
                ],
            )
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh dict: callers may serialise or change it)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "acc plugins registry",
            "version": API_VERSION,
            "description": (
                "The marketplace of Automatic Claude Code plugins. Downloads of archives and signatures go "
                "through the TUF repository under /tuf/, never through this API. Every error has the shape "
                '`{"error": {"code", "message", "hint"}}`. Operations that need an API token are '
                "rate limited per client address and answer 429 with Retry-After past the limit."
            ),
        },
        "tags": [
            {"name": "discovery"},
            {"name": "publishing"},
            {"name": "reviews"},
            {"name": "account"},
            {"name": "meta"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {name: _error_response(status) for status, (name, _) in _ERROR_RESPONSES.items()},
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": f"An API token (`{TOKEN_PREFIX}...`), created on your account page or by "
                    "`acc registry token create`.",
                }
            },
        },
    }
