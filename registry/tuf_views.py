"""Serving the TUF repository: /tuf/metadata/N.ROLE.json, timestamp.json and /tuf/targets/.

Versioned metadata and hash-prefixed targets never change (consistent snapshots), so
they are cached in-process and sent as immutable; only timestamp.json is short-lived,
and serving it is where the server notices that online roles are due for re-signing.
"""

from __future__ import annotations

import gzip
import re
import time
from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request, send_file
from sqlalchemy import select, update

from registry.context import CachedTimestamp, Registry, current_registry
from registry.models import Plugin, RepoLock, TufMetadata, utcnow
from sdk.index_format import ARCHIVE_SUFFIX, INDEX_FILENAME, archive_path

bp = Blueprint("tuf", __name__, url_prefix="/tuf")

_VERSIONED = re.compile(r"^([1-9][0-9]{0,9})\.([a-z]+(?:-[0-9a-f]+)?)\.json$")
_TARGET = re.compile(r"^([a-z0-9-]{1,64})/([0-9a-f]{64})\.([A-Za-z0-9._+-]{1,200})$")
IMMUTABLE = "public, max-age=31536000, immutable"
TIMESTAMP_MAX_AGE_SECONDS = 5
_TIMESTAMP_CACHE_SECONDS = 1.0
_MAX_CACHED_METADATA = 4096
#: Smaller responses are sent as they are: gzip's own overhead would eat the saving.
_GZIP_MIN_BYTES = 256
_MAX_CACHED_TARGET_BYTES = 256 * 1024


@bp.get("/metadata/<filename>")
def metadata(filename: str) -> Response:
    reg = current_registry()
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
            data = session.execute(
                select(TufMetadata.data).where(TufMetadata.role == role, TufMetadata.version == version)
            ).scalar_one_or_none()
        if data is None:
            abort(404)
        _remember(reg, cache_key, data)
    return _json(reg, cache_key, data, IMMUTABLE)


def _remember(reg: Registry, key: str, data: bytes) -> None:
    while len(reg.cache) >= _MAX_CACHED_METADATA:
        # Drop the oldest entry: a full cache must keep taking the new versions clients ask for.
        reg.cache.pop(next(iter(reg.cache)))
    reg.cache[key] = data


def _json(reg: Registry, cache_key: str, data: bytes, cache_control: str) -> Response:
    """Metadata as JSON, gzip-compressed (once, then cached) for clients that accept it.

    Compression is most of the TUF bytes budget: snapshot and bin metadata are lists of
    similar names and hashes and shrink to a third (docs/performance.md, "Registry").
    """
    body = data
    compressed = request.accept_encodings.quality("gzip") > 0 and len(data) > _GZIP_MIN_BYTES
    if compressed:
        gz_key = f"{cache_key}:gz"
        body = reg.cache.get(gz_key) or b""
        if not body:
            body = gzip.compress(data, compresslevel=6, mtime=0)
            _remember(reg, gz_key, body)
    response = Response(body, mimetype="application/json")
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control
    return response


def _timestamp(reg: Registry) -> Response:
    """The newest timestamp, as of this request. A publish or yank through one worker is
    never followed by an older timestamp from another: every metadata change bumps the
    repository generation in its commit and then the generation file
    (`registry.generation_file`), which each request stats; while the file is as it was
    when this worker read the timestamp, within the last second, no database is read.
    Without the file (PostgreSQL), each request reads the generation (one primary-key
    row). Either way the expiry check runs at most once a second."""
    now = time.monotonic()
    cached = reg.timestamp_cache
    stamp = reg.generation_file.stamp() if reg.generation_file is not None else None
    fresh = cached is not None and now - cached.read_at <= _TIMESTAMP_CACHE_SECONDS
    if not (fresh and stamp is not None and cached is not None and cached.file_stamp == stamp):
        with reg.db.read() as session:
            generation = session.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
        if cached is None or cached.generation != generation or not fresh:
            refresh_if_due(reg)
            with reg.db.read() as session:
                generation = session.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
                row = reg.tuf.latest_row(session, "timestamp")
            cached = reg.timestamp_cache = CachedTimestamp(now, row.data, row.version, generation, stamp)
        elif cached.file_stamp != stamp:
            cached = reg.timestamp_cache = replace(cached, file_stamp=stamp)
    assert cached is not None
    return _json(reg, f"md:timestamp:{cached.version}", cached.data, f"public, max-age={TIMESTAMP_MAX_AGE_SECONDS}")


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
    reg = current_registry()
    match = _TARGET.match(target)
    if match is None:
        abort(404)
    name, digest, filename = match.groups()
    if filename == INDEX_FILENAME:
        # Every install reads an index first: keep them in memory, like metadata. Any blob
        # can be asked for under this name, so only small ones are cached.
        cache_key = f"target:{digest}"
        data = reg.cache.get(cache_key)
        if data is None:
            if not reg.blobs.exists(digest):
                abort(404)
            path = reg.blobs.path(digest)
            if path.stat().st_size <= _MAX_CACHED_TARGET_BYTES:
                data = path.read_bytes()
                _remember(reg, cache_key, data)
        if data is not None:
            return _json(reg, cache_key, data, IMMUTABLE)
    if not reg.blobs.exists(digest):
        abort(404)
    if filename.endswith(ARCHIVE_SUFFIX) and filename.startswith(f"{name}-"):
        _count_download(reg, name, filename)
    response = send_file(
        reg.blobs.path(digest), mimetype="application/octet-stream", conditional=True, etag=digest, max_age=31536000
    )
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def _count_download(reg: Registry, name: str, filename: str) -> None:
    version = filename[len(name) + 1 : -len(ARCHIVE_SUFFIX)]
    if f"{name}/{filename}" != archive_path(name, version):
        return
    with reg.db.write() as session:
        session.execute(update(Plugin).where(Plugin.name == name).values(downloads=Plugin.downloads + 1))
