"""Serving the TUF repository: /tuf/metadata/N.ROLE.json, timestamp.json and /tuf/targets/.

Versioned metadata and hash-prefixed targets never change (consistent snapshots), so
they are cached in-process and sent as immutable; only timestamp.json is short-lived. Nothing
here signs: `acc registry refresh` re-signs expiring metadata off the request path.
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from flask import Blueprint, Response, abort, request, send_file
from sqlalchemy import select

from registry.context import Registry, current_registry
from registry.downloads import count_download
from registry.models import TufMetadata
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
    """The newest timestamp: from this worker's cache while the generation file is unchanged
    (a stat: every metadata change on this host touches it, so a client that just published
    or yanked never reads an older timestamp from another worker), re-read from the database
    at most once a second (changes made by other hosts). No signing here: expiring metadata
    is re-signed by `acc registry refresh`, off the request path."""
    now = time.monotonic()
    stamp = reg.generation.stamp()
    cached = reg.timestamp_cache
    if cached is None or cached[3] != stamp or now - cached[0] > _TIMESTAMP_CACHE_SECONDS:
        with reg.db.read() as session:
            row = reg.tuf.latest_row(session, "timestamp")
        cached = reg.timestamp_cache = (now, row.data, row.version, stamp)
    return _json(reg, f"md:timestamp:{cached[2]}", cached[1], f"public, max-age={TIMESTAMP_MAX_AGE_SECONDS}")


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
            size = reg.blobs.size(digest)
            if size is None:
                abort(404)
            if size <= _MAX_CACHED_TARGET_BYTES:
                data = reg.blobs.read(digest)
                _remember(reg, cache_key, data)
        if data is not None:
            return _json(reg, cache_key, data, IMMUTABLE)
    version = _archive_version(name, filename)
    client = request.remote_addr or "unknown"
    redirect_to = reg.blobs.public_url(digest)
    if redirect_to is not None:
        # Immutable targets from the bucket or CDN: counted here, as the download cannot be seen.
        if version is not None:
            count_download(reg, name, version, client)
        moved = Response(status=302, headers={"Location": redirect_to, "Cache-Control": IMMUTABLE})
        return moved
    response = _blob_response(reg, digest)
    response.headers["Cache-Control"] = IMMUTABLE
    if version is not None and response.status_code == 200:
        # Whole downloads only: a range (206) or a revalidation (304) is not a download.
        count = partial(count_download, reg, name, version, client)
        response.response = _when_complete(response.response, response.content_length, count)
        response.direct_passthrough = False
    return response


def _blob_response(reg: Registry, digest: str) -> Response:
    """The blob: from its file (sendfile, ranges, ETag) or streamed from the object store."""
    path = reg.blobs.local_path(digest)
    if path is not None:
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype="application/octet-stream", conditional=True, etag=digest, max_age=31536000)
    size = reg.blobs.size(digest)
    if size is None:
        abort(404)
    response = Response(status=200, mimetype="application/octet-stream")
    response.set_etag(digest)
    response.headers["Accept-Ranges"] = "none"  # the whole target or nothing (a hash covers it all)
    if request.if_none_match.contains(digest):
        response.status_code = 304
        return response
    response.response = reg.blobs.stream(digest)
    response.content_length = size
    return response


def _archive_version(name: str, filename: str) -> str | None:
    if not (filename.endswith(ARCHIVE_SUFFIX) and filename.startswith(f"{name}-")):
        return None
    version = filename[len(name) + 1 : -len(ARCHIVE_SUFFIX)]
    return version if f"{name}/{filename}" == archive_path(name, version) else None


def _when_complete(
    body: Iterable[str] | Iterable[bytes], length: int | None, then: Callable[[], object]
) -> Iterator[bytes]:
    """Yield `body`; call `then` once all `length` bytes were handed to the server. A client
    that stops reading (the server closes this generator) is not counted."""
    sent = 0
    try:
        for chunk in body:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            sent += len(data)
            yield data
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    if length is None or sent == length:
        then()
