"""The JSON API under /api/v1: discovery, publishing, yanking, accounts' keys, reviews.

Every error is `{"error": {"code", "message", "hint"}}` (registry.errors.ApiError); every write
is rate limited per client address and recorded in the audit log. The OpenAPI document
of these routes (registry.openapi) is served at /api/v1/openapi.json.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import accounts, catalog, community, openapi
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request, not_found
from registry.models import ApiToken, Plugin, User, utcnow
from registry.publish import Upload, publish, set_deprecated, set_yanked
from registry.ratelimit import hit
from registry.text import all_storable, is_storable

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def client_address() -> str:
    return request.remote_addr or "unknown"


def authenticated_user_id() -> tuple[int, int]:
    """(user id, token id) of the request's bearer token, after the write rate limit."""
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    with reg.db.write() as session:
        token = accounts.authenticate(session, request.headers.get("Authorization"), utcnow())
        token.last_used_at = utcnow()
        return token.user_id, token.id


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


# -- discovery -------------------------------------------------------------------------------


@bp.get("/health")
def health() -> Response:
    reg = current_registry()
    with reg.db.read() as session:
        timestamp = reg.tuf.latest_row(session, "timestamp")
    return jsonify(
        {
            "status": "ok",
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


@bp.post("/plugins")
def publish_plugin() -> tuple[Response, int]:
    user_id, token_id = authenticated_user_id()
    archive = request.files.get("archive")
    signature = request.files.get("signature")
    if archive is None or signature is None:
        raise bad_request(
            "a publish uploads two files: archive and signature (multipart/form-data)",
            hint="use `acc plugin publish ARCHIVE`",
        )
    kind = request.form.get("signature_kind", "ed25519")  # checked by the publish pipeline, with the rest
    upload = Upload(archive=archive.read(), signature=signature.read(), signature_kind=kind)
    result = publish(current_registry(), token_id, upload, client_address())
    body = {"name": result.name, "version": result.version, "sha256": result.sha256, "created": result.created}
    current_app.logger.info(
        "publish %s %s by user %s (created=%s)", result.name, result.version, user_id, result.created
    )
    return jsonify(body), 201 if result.created else 200


@bp.post("/plugins/<name>/versions/<version>/yank")
def yank(name: str, version: str) -> Response:
    user_id, _ = authenticated_user_id()
    reason = string_field(json_body(), "reason")
    set_yanked(current_registry(), user_id, name, version, yanked=True, reason=reason, remote_addr=client_address())
    return jsonify({"name": name, "version": version, "yanked": True, "reason": reason.strip()})


@bp.delete("/plugins/<name>/versions/<version>/yank")
def unyank(name: str, version: str) -> Response:
    user_id, _ = authenticated_user_id()
    set_yanked(current_registry(), user_id, name, version, yanked=False, reason="", remote_addr=client_address())
    return jsonify({"name": name, "version": version, "yanked": False})


@bp.post("/plugins/<name>/deprecate")
def deprecate(name: str) -> Response:
    user_id, _ = authenticated_user_id()
    message = string_field(json_body(), "message")
    set_deprecated(current_registry(), user_id, name, message, client_address())
    return jsonify({"name": name, "deprecated": message.strip()})


@bp.delete("/plugins/<name>/deprecate")
def undeprecate(name: str) -> Response:
    user_id, _ = authenticated_user_id()
    set_deprecated(current_registry(), user_id, name, None, client_address())
    return jsonify({"name": name, "deprecated": None})


@bp.post("/plugins/<name>/collaborators")
def add_collaborator(name: str) -> tuple[Response, int]:
    user_id, _ = authenticated_user_id()
    other = string_field(json_body(), "user", limit=64)
    with current_registry().db.write() as session:
        community.add_collaborator(session, _user(session, user_id), _plugin(session, name), other, client_address())
    return jsonify({"name": name, "collaborator": other}), 201


@bp.delete("/plugins/<name>/collaborators/<other>")
def remove_collaborator(name: str, other: str) -> Response:
    user_id, _ = authenticated_user_id()
    with current_registry().db.write() as session:
        community.remove_collaborator(session, _user(session, user_id), _plugin(session, name), other, client_address())
    return jsonify({"name": name, "removed": other})


# -- account ---------------------------------------------------------------------------------


@bp.post("/account/keys")
def add_key() -> tuple[Response, int]:
    user_id, _ = authenticated_user_id()
    text = string_field(json_body(), "public_key", limit=4000)
    with current_registry().db.write() as session:
        user = _user(session, user_id)
        key = accounts.add_key(session, user, text)
        audit(session, user.name, "add_key", key.key_id, client_address())
        return jsonify({"key_id": key.key_id, "public_key": key.public_key}), 201


@bp.post("/account/identities")
def add_identity() -> tuple[Response, int]:
    user_id, _ = authenticated_user_id()
    body = json_body()
    identity, issuer = string_field(body, "identity", limit=254), string_field(body, "issuer", limit=254)
    with current_registry().db.write() as session:
        user = _user(session, user_id)
        row = accounts.add_identity(session, user, identity, issuer)
        audit(session, user.name, "add_identity", row.identity, client_address(), issuer=row.issuer)
        return jsonify({"identity": row.identity, "issuer": row.issuer}), 201


@bp.get("/account/tokens")
def list_tokens() -> Response:
    user_id, _ = authenticated_user_id()
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
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "revoked_at": iso(t.revoked_at),
        "last_used_at": iso(t.last_used_at),
    }


@bp.delete("/account/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Response:
    user_id, _ = authenticated_user_id()
    with current_registry().db.write() as session:
        user = _user(session, user_id)
        token = accounts.revoke_token(session, user, token_id)
        audit(session, user.name, "revoke_token", token.prefix, client_address())
        return jsonify(token_json(token))


# -- reviews and reports ---------------------------------------------------------------------


@bp.put("/plugins/<name>/reviews")
def put_review(name: str) -> Response:
    user_id, _ = authenticated_user_id()
    body = json_body()
    text = string_field(body, "text", required=False, limit=community.MAX_REVIEW_LENGTH)
    with current_registry().db.write() as session:
        plugin = _plugin(session, name)
        review = community.save_review(
            session, _user(session, user_id), plugin, body.get("stars"), text, client_address()
        )
        return jsonify({**catalog.review_json(review), "rating": plugin.rating, "rating_count": plugin.rating_count})


@bp.post("/plugins/<name>/reports")
def report(name: str) -> tuple[Response, int]:
    user_id, _ = authenticated_user_id()
    reason = string_field(json_body(), "reason", limit=community.MAX_REPORT_LENGTH)
    with current_registry().db.write() as session:
        community.report_plugin(session, _user(session, user_id), _plugin(session, name), reason, client_address())
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
