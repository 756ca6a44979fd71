"""The JSON API under /api/v1: discovery, publishing, yanking, collaborators, tokens, reviews.

Every error is `{"error": {"code", "message", "hint"}}` (registry.errors.ApiError); every write
declares the token permission it needs (registry.api_auth, checked before the view runs), is
rate limited per client address and recorded in the audit log with its token. The OpenAPI document
of these routes (registry.openapi) is served at /api/v1/openapi.json.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import accounts, catalog, community, openapi
from registry.api_auth import authorize_request, client_address, current_caller, requires, web_only
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request, not_found
from registry.models import ApiToken, Plugin, User, utcnow
from registry.permissions import Permission
from registry.publish import Upload, publish_as, set_deprecated, set_yanked
from registry.text import all_storable, is_storable

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes; `silent` covers only ValueError
        body = None
    if not isinstance(body, dict):
        raise bad_request(
            "the request body must be a JSON object",
            code="malformed_json",
            hint="send Content-Type: application/json with an object body",
        )
    if not all_storable(body):
        raise bad_request(
            "the request body holds text with a NUL character or a lone surrogate",
            code="malformed_json",
            hint="send UTF-8 text without NUL characters",
        )
    return body


def string_field(body: dict[str, Any], key: str, *, required: bool = True, limit: int = 2000) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    if required and not value.strip():
        raise bad_request(f"{key} is required")
    if len(value) > limit:
        raise bad_request(f"{key} is longer than {limit} characters")
    return value


@bp.before_request
def refuse_unstorable_path() -> None:
    """Nothing the registry stores is named with a NUL character (PostgreSQL could not even
    look it up), so such a path names nothing."""
    if request.view_args and not all(is_storable(v) for v in request.view_args.values() if isinstance(v, str)):
        raise not_found("nothing here is named with a NUL character")


# Registered after the path check: a path naming nothing is a 404 before any token is asked for.
bp.before_request(authorize_request)


# -- discovery -------------------------------------------------------------------------------


@bp.get("/health")
def health() -> Response:
    """200 while the registry answers; `degraded`, with the reasons, when its TUF metadata
    expired or is close to it (clients would refuse it soon)."""
    reg = current_registry()
    with reg.db.read() as session:
        timestamp = reg.tuf.latest_row(session, "timestamp")
        problems = reg.tuf.expiry_problems(session, utcnow())
    return jsonify(
        {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "timestamp_version": timestamp.version,
            "timestamp_expires": timestamp.expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document of this API: built once per process, cacheable, with an ETag."""
    reg = current_registry()
    body = reg.cache.get("api:openapi.json")
    if body is None:
        body = reg.cache["api:openapi.json"] = json.dumps(openapi.document(), separators=(",", ":")).encode()
    response = Response(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    response.make_conditional(request)  # in place: 304 and no body when If-None-Match matches
    return response


@bp.get("/plugins")
def list_plugins() -> Response:
    query = catalog.SearchQuery.from_args(request.args)
    with current_registry().db.read() as session:
        summaries, total = catalog.search_summaries(session, query, current_registry().search_cache)
        body = {"total": total, "page": query.page, "per_page": query.per_page, "plugins": summaries}
    response = jsonify(body)
    response.cache_control.public = True
    response.cache_control.max_age = 30
    return response


@bp.get("/plugins/<name>")
def plugin_detail(name: str) -> Response:
    with current_registry().db.read() as session:
        return jsonify(catalog.plugin_detail(catalog.get_plugin(session, name)))


@bp.get("/plugins/<name>/versions/<version>")
def version_detail(name: str, version: str) -> Response:
    with current_registry().db.read() as session:
        plugin = catalog.get_plugin(session, name)
        return jsonify(catalog.version_detail(plugin, catalog.get_version(plugin, version)))


@bp.get("/publishers/<name>")
def publisher(name: str) -> Response:
    with current_registry().db.read() as session:
        user = accounts.get_user(session, name)
        return jsonify(
            {
                "name": user.name,
                "since": user.created_at.strftime("%Y-%m-%d"),
                "keys": [{"key_id": k.key_id, "public_key": k.public_key} for k in user.keys],
                "sigstore_identities": [{"identity": i.identity, "issuer": i.issuer} for i in user.identities],
                "plugins": [catalog.plugin_summary(p) for p in catalog.publisher_plugins(session, user)],
            }
        )


@bp.get("/plugins/<name>/reviews")
def list_reviews(name: str) -> Response:
    with current_registry().db.read() as session:
        plugin = catalog.get_plugin(session, name)
        return jsonify(
            {
                "rating": plugin.rating,
                "rating_count": plugin.rating_count,
                "reviews": [catalog.review_json(r) for r in catalog.reviews(session, plugin)],
            }
        )


# -- publishing ------------------------------------------------------------------------------
# Every endpoint below declares what its token needs (registry.api_auth); the blueprint's
# before_request checks it before the view runs.


@bp.post("/plugins")
@requires(Permission.PUBLISH, plugin_in_body=True)
def publish_plugin() -> tuple[Response, int]:
    caller = current_caller()
    archive = request.files.get("archive")
    signature = request.files.get("signature")
    if archive is None or signature is None:
        raise bad_request(
            "a publish uploads two files: archive and signature (multipart/form-data)",
            hint="use `acc plugin publish ARCHIVE`",
        )
    kind = request.form.get("signature_kind", "ed25519")  # checked by the publish pipeline, with the rest
    upload = Upload(archive=archive.read(), signature=signature.read(), signature_kind=kind)
    result = publish_as(
        current_registry(),
        caller.user_id,
        upload,
        client_address(),
        scope=lambda name: caller.require(Permission.PUBLISH, name),
    )
    body = {
        "name": result.name,
        "version": result.version,
        "sha256": result.sha256,
        "created": result.created,
        "warnings": [{"code": w.code, "message": w.message, "hint": w.hint} for w in result.warnings],
    }
    current_app.logger.info(
        "publish %s %s by user %s with token %s (created=%s)",
        result.name,
        result.version,
        caller.user_id,
        caller.token_prefix,
        result.created,
    )
    return jsonify(body), 201 if result.created else 200


@bp.post("/plugins/<name>/versions/<version>/yank")
@requires(Permission.YANK, plugin_arg="name")
def yank(name: str, version: str) -> Response:
    reason = string_field(json_body(), "reason")
    set_yanked(
        current_registry(),
        current_caller().user_id,
        name,
        version,
        yanked=True,
        reason=reason,
        remote_addr=client_address(),
    )
    return jsonify({"name": name, "version": version, "yanked": True, "reason": reason.strip()})


@bp.delete("/plugins/<name>/versions/<version>/yank")
@requires(Permission.YANK, plugin_arg="name")
def unyank(name: str, version: str) -> Response:
    set_yanked(
        current_registry(),
        current_caller().user_id,
        name,
        version,
        yanked=False,
        reason="",
        remote_addr=client_address(),
    )
    return jsonify({"name": name, "version": version, "yanked": False})


@bp.post("/plugins/<name>/deprecate")
@requires(Permission.YANK, plugin_arg="name")
def deprecate(name: str) -> Response:
    message = string_field(json_body(), "message")
    set_deprecated(current_registry(), current_caller().user_id, name, message, client_address())
    return jsonify({"name": name, "deprecated": message.strip()})


@bp.delete("/plugins/<name>/deprecate")
@requires(Permission.YANK, plugin_arg="name")
def undeprecate(name: str) -> Response:
    set_deprecated(current_registry(), current_caller().user_id, name, None, client_address())
    return jsonify({"name": name, "deprecated": None})


@bp.post("/plugins/<name>/collaborators")
@requires(Permission.MANAGE_COLLABORATORS, plugin_arg="name")
def add_collaborator(name: str) -> tuple[Response, int]:
    other = string_field(json_body(), "user", limit=64)
    with current_registry().db.write() as session:
        owner = _user(session, current_caller().user_id)
        community.add_collaborator(session, owner, _plugin(session, name), other, client_address())
    return jsonify({"name": name, "collaborator": other}), 201


@bp.delete("/plugins/<name>/collaborators/<other>")
@requires(Permission.MANAGE_COLLABORATORS, plugin_arg="name")
def remove_collaborator(name: str, other: str) -> Response:
    with current_registry().db.write() as session:
        owner = _user(session, current_caller().user_id)
        community.remove_collaborator(session, owner, _plugin(session, name), other, client_address())
    return jsonify({"name": name, "removed": other})


# -- account ---------------------------------------------------------------------------------


@bp.post("/account/keys")
@web_only("add a signing key to an account")
def add_key() -> Response:
    raise AssertionError("web_only endpoints are refused before they run")


@bp.post("/account/identities")
@web_only("add a Sigstore identity to an account")
def add_identity() -> Response:
    raise AssertionError("web_only endpoints are refused before they run")


@bp.get("/account/tokens")
@requires(None)
def list_tokens() -> Response:
    user_id = current_caller().user_id
    with current_registry().db.read() as session:
        tokens = session.execute(select(ApiToken).where(ApiToken.user_id == user_id)).scalars()
        return jsonify({"tokens": [token_json(t) for t in tokens]})


def token_json(t: ApiToken) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None

    return {
        "id": t.id,
        "prefix": t.prefix,
        "description": t.description,
        "plugins": t.plugins,
        "permissions": list(t.permissions),
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "revoked_at": iso(t.revoked_at),
        "last_used_at": iso(t.last_used_at),
    }


@bp.delete("/account/tokens/<int:token_id>")
@requires(Permission.MANAGE_ACCOUNT, own_token_arg="token_id")
def revoke_token(token_id: int) -> Response:
    with current_registry().db.write() as session:
        user = _user(session, current_caller().user_id)
        token = accounts.revoke_token(session, user, token_id)
        audit(session, user.name, "revoke_token", token.prefix, client_address())
        return jsonify(token_json(token))


# -- reviews and reports ---------------------------------------------------------------------


@bp.put("/plugins/<name>/reviews")
@requires(Permission.REVIEW, plugin_arg="name")
def put_review(name: str) -> Response:
    body = json_body()
    text = string_field(body, "text", required=False, limit=community.MAX_REVIEW_LENGTH)
    with current_registry().db.write() as session:
        plugin = _plugin(session, name)
        reviewer = _user(session, current_caller().user_id)
        review = community.save_review(session, reviewer, plugin, body.get("stars"), text, client_address())
        return jsonify({**catalog.review_json(review), "rating": plugin.rating, "rating_count": plugin.rating_count})


@bp.post("/plugins/<name>/reports")
@requires(Permission.REVIEW, plugin_arg="name")
def report(name: str) -> tuple[Response, int]:
    reason = string_field(json_body(), "reason", limit=community.MAX_REPORT_LENGTH)
    with current_registry().db.write() as session:
        reporter = _user(session, current_caller().user_id)
        community.report_plugin(session, reporter, _plugin(session, name), reason, client_address())
    return jsonify({"name": name, "reported": True}), 201


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise ApiError(401, "unauthorized", "the token's account no longer exists")
    return user


def _plugin(session: Session, name: str) -> Plugin:
    plugin = session.execute(select(Plugin).where(Plugin.name == name)).scalar_one_or_none()
    if plugin is None:
        raise not_found(f"no plugin named {name!r}")
    return plugin
