"""Serving the TUF repository: /tuf/metadata/N.ROLE.json, timestamp.json and /tuf/targets/.

Versioned metadata and hash-prefixed targets never change (consistent snapshots), so
they are cached in-process and sent as immutable; only timestamp.json is short-lived,
and serving it is where the server notices that online roles are due for re-signing.
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, abort, current_app, send_file
from sqlalchemy import select, update

from registry.context import Registry
from registry.index import archive_path
from registry.models import Plugin, TufMetadata, utcnow

bp = Blueprint("tuf", __name__, url_prefix="/tuf")

_VERSIONED = re.compile(r"^([1-9][0-9]{0,9})\.([a-z]+(?:-[0-9a-f]+)?)\.json$")
_TARGET = re.compile(r"^([a-z0-9-]{1,64})/([0-9a-f]{64})\.([A-Za-z0-9._+-]{1,200})$")
IMMUTABLE = "public, max-age=31536000, immutable"
TIMESTAMP_MAX_AGE_SECONDS = 5
_TIMESTAMP_CACHE_SECONDS = 1.0
_MAX_CACHED_METADATA = 4096


def _registry() -> Registry:
    return current_app.extensions["acc_registry"]  # type: ignore[no-any-return]


@bp.get("/metadata/<filename>")
def metadata(filename: str) -> Response:
    reg = _registry()
    if filename == "timestamp.json":
        return _timestamp(reg)
    match = _VERSIONED.match(filename)
    if match is None:
        abort(404)
    version, role = int(match.group(1)), match.group(2)
    cache_key = f"md:{role}:{version}"
    data = reg.cache.get(cache_key)
    if data is None:
        with reg.db.read() as session:
            data = session.execute(select(TufMetadata.data).where(TufMetadata.role == role,
                                                                  TufMetadata.version == version)).scalar_one_or_none()
        if data is None:
            abort(404)
        while len(reg.cache) >= _MAX_CACHED_METADATA:
            # Drop the oldest entry: a full cache must keep taking the new versions clients ask for.
            reg.cache.pop(next(iter(reg.cache)))
        reg.cache[cache_key] = data
    response = Response(data, mimetype="application/json")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _timestamp(reg: Registry) -> Response:
    now = time.monotonic()
    cached = reg.timestamp_cache
    if cached is None or now - cached[0] > _TIMESTAMP_CACHE_SECONDS:
        refresh_if_due(reg)
        with reg.db.read() as session:
            data = reg.tuf.latest_row(session, "timestamp").data
        cached = reg.timestamp_cache = (now, data)
    response = Response(cached[1], mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={TIMESTAMP_MAX_AGE_SECONDS}"
    return response


def refresh_if_due(reg: Registry) -> None:
    """Re-sign online metadata past half its lifetime (the check is a read; the re-sign locks)."""
    with reg.db.read() as session:
        due = reg.tuf.needs_refresh(session, utcnow())
    if due:
        with reg.metadata_transaction() as session:
            if reg.tuf.refresh(session, utcnow()):
                current_app.logger.info("re-signed online TUF metadata before it expired")


@bp.get("/targets/<path:target>")
def target(target: str) -> Response:
    reg = _registry()
    match = _TARGET.match(target)
    if match is None or not reg.blobs.exists(match.group(2)):
        abort(404)
    name, digest, filename = match.groups()
    if filename.endswith(".plugin") and filename.startswith(f"{name}-"):
        _count_download(reg, name, filename)
    response = send_file(reg.blobs.path(digest), mimetype="application/octet-stream", conditional=True,
                         etag=digest, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _count_download(reg: Registry, name: str, filename: str) -> None:
    version = filename[len(name) + 1:-len(".plugin")]
    if f"{name}/{filename}" != archive_path(name, version):
        return
    with reg.db.write() as session:
        session.execute(update(Plugin).where(Plugin.name == name).values(downloads=Plugin.downloads + 1))
