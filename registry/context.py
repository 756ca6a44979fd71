"""What one registry instance is made of: its configuration, database, blobs and TUF repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import Session

from registry.blobs import BlobStore
from registry.config import RegistryConfig
from registry.db import Database, lock_repository
from registry.generation_file import GenerationFile, Stamp
from registry.search_cache import SearchCache
from registry.tuf_repo import TufRepository

#: Where `create_app` keeps the app's Registry, in Flask's per-app extension table.
EXTENSION_KEY = "acc_registry"


@dataclass(frozen=True)
class CachedTimestamp:
    """This process's newest timestamp.json and when and at which repository state it was read."""

    read_at: float  # time.monotonic()
    data: bytes
    version: int
    generation: int | None
    #: The generation file as it was just before the read (None: no file).
    file_stamp: Stamp | None


@dataclass
class Registry:
    config: RegistryConfig
    db: Database
    blobs: BlobStore
    tuf: TufRepository
    #: Small in-process caches of immutable rows (consistent-snapshot metadata never changes).
    cache: dict[str, bytes] = field(default_factory=dict)
    timestamp_cache: CachedTimestamp | None = None
    #: Where committed generations are noted (one host only; see registry.generation_file).
    generation_file: GenerationFile | None = None
    #: Recent search answers, reused for at most 5 s and within one repository generation.
    search_cache: SearchCache = field(default_factory=SearchCache)

    @classmethod
    def open(cls, config: RegistryConfig) -> Registry:
        return cls(
            config=config,
            db=Database(config.resolved_database_url),
            blobs=BlobStore(config.blobs_dir),
            tuf=TufRepository(config),
            generation_file=GenerationFile(config.generation_file) if config.generation_file else None,
        )

    @contextmanager
    def metadata_transaction(self) -> Iterator[Session]:
        """A write transaction that changes TUF metadata: serialized by the repository lock,
        and this process's cached timestamp and repository generation (which search results
        are cached under) are dropped once it commits, and the generation file says so to the
        other workers (a worker without the file re-reads the generation within a second)."""
        with self.db.write() as session:
            generation = lock_repository(session).generation
            yield session
        self.timestamp_cache = None
        self.search_cache.forget_generation()
        if self.generation_file is not None:
            self.generation_file.write(generation)


def current_registry() -> Registry:
    """The Registry of the Flask app handling the current request (or app context)."""
    registry = current_app.extensions[EXTENSION_KEY]
    assert isinstance(registry, Registry), f"app.extensions[{EXTENSION_KEY!r}] is not a Registry"
    return registry
