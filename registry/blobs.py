"""Content-addressed blob stores: archives, signatures and index targets, by sha256.

    BlobStore          the interface the registry uses
    ├── LocalBlobStore the data directory's blobs/ab/abcdef... (the embedded default; one host)
    └── S3BlobStore    an S3-compatible bucket (boto3; endpoint, bucket, credentials by
                       configuration), which every host of a registry shares

Blobs are written inside the metadata transaction that references them, before it commits
(registry/publish.py), so an interrupted publish can leave an unreferenced blob or, if the
process died mid-write, a temporary file; `acc registry cleanup` (and `serve` at start-up)
removes both once they are older than a grace period (registry/upkeep.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from registry.config import RegistryConfig
from registry.errors import ConfigError
from sdk.atomic import atomic_write_bytes

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: sdk.atomic.atomic_write_bytes's temporary files: `.NAME.RANDOM.tmp` beside the blob.
_TEMPORARY = re.compile(r"^\.[0-9a-f]{64}\..+\.tmp$")
STREAM_CHUNK_BYTES = 256 * 1024


def check_digest(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data` (idempotent: the same bytes land at the same key); return its sha256."""

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int | None:
        """The blob's length, or None if there is no such blob."""

    def read(self, sha256: str) -> bytes: ...

    def stream(self, sha256: str) -> Iterator[bytes]:
        """The blob's bytes in chunks (for sending it without holding it in memory)."""

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file, when it has one (served with sendfile and range support)."""

    def public_url(self, sha256: str) -> str | None:
        """Where clients may fetch the blob directly (a bucket or a CDN), if configured."""

    def stored(self) -> Iterator[tuple[str, float]]:
        """(sha256, modification time) of every blob."""

    def remove_temporary(self, older_than: float) -> int:
        """Remove temporary files of interrupted writes older than `older_than` (epoch
        seconds); return how many."""

    def delete(self, sha256: str) -> None: ...


def blob_store_for(config: RegistryConfig) -> BlobStore:
    if config.blob_store == "s3":
        return S3BlobStore.from_config(config)
    return LocalBlobStore(config.blobs_dir)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / check_digest(sha256)[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.is_file() or path.stat().st_size != len(data):
            atomic_write_bytes(path, data)
        return digest

    def exists(self, sha256: str) -> bool:
        return _SHA256.match(sha256) is not None and self.path(sha256).is_file()

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def stream(self, sha256: str) -> Iterator[bytes]:
        with self.path(sha256).open("rb") as f:
            while chunk := f.read(STREAM_CHUNK_BYTES):
                yield chunk

    def local_path(self, sha256: str) -> Path | None:
        return self.path(sha256)

    def public_url(self, sha256: str) -> str | None:
        return None

    def stored(self) -> Iterator[tuple[str, float]]:
        for path in self._files():
            if _SHA256.match(path.name):
                with contextlib.suppress(FileNotFoundError):
                    yield path.name, path.stat().st_mtime

    def remove_temporary(self, older_than: float) -> int:
        removed = 0
        for path in self._files():
            if _TEMPORARY.match(path.name):
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < older_than:
                        path.unlink()
                        removed += 1
        return removed

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for directory in sorted(self.root.iterdir()):
            if directory.is_dir() and len(directory.name) == 2:
                yield from sorted(directory.iterdir())


class S3BlobStore:
    """Blobs as objects `PREFIX ab/abcdef...` in an S3-compatible bucket (AWS, MinIO, Ceph,
    moto...). PUTs are atomic, so there are no temporary files to clean up."""

    def __init__(self, client: Any, bucket: str, prefix: str = "blobs/", public_base_url: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.public_base_url = public_base_url.rstrip("/")

    @classmethod
    def from_config(cls, config: RegistryConfig) -> S3BlobStore:
        try:
            import boto3
        except ImportError as e:
            raise ConfigError(
                "blob_store = s3 needs boto3", hint="install acc-plugins[s3] (or pip install boto3)"
            ) from e
        client = boto3.client(
            "s3",
            endpoint_url=config.s3_endpoint_url or None,
            region_name=config.s3_region or None,
            aws_access_key_id=config.s3_access_key_id or None,
            aws_secret_access_key=config.s3_secret_access_key or None,
        )
        return cls(client, config.s3_bucket, config.s3_prefix, config.blob_public_url)

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{check_digest(sha256)[:2]}/{sha256}"

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self.size(digest) != len(data):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(digest),
                Body=data,
                ContentType="application/octet-stream",
                CacheControl="public, max-age=31536000, immutable",
            )
        return digest

    def exists(self, sha256: str) -> bool:
        return _SHA256.match(sha256) is not None and self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def read(self, sha256: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
        return data

    def stream(self, sha256: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        try:
            yield from body.iter_chunks(STREAM_CHUNK_BYTES)
        finally:
            body.close()

    def local_path(self, sha256: str) -> Path | None:
        return None

    def public_url(self, sha256: str) -> str | None:
        return f"{self.public_base_url}/{self.key(sha256)}" if self.public_base_url else None

    def stored(self) -> Iterator[tuple[str, float]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if _SHA256.match(name):
                    yield name, item["LastModified"].timestamp()

    def remove_temporary(self, older_than: float) -> int:
        return 0

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
