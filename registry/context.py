"""What one registry instance is made of: its configuration, database, blobs and TUF repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import Session

from registry.blobs import BlobStore, blob_store_for
from registry.config import RegistryConfig
from registry.db import Database, lock_repository
from registry.generation import GenerationFile
from registry.mailer import Mailer, mailer_for
from registry.search_cache import SearchCache
from registry.tuf_repo import TufRepository

#: Where `create_app` keeps the app's Registry, in Flask's per-app extension table.
EXTENSION_KEY = "acc_registry"


@dataclass
class Registry:
    config: RegistryConfig
    db: Database
    blobs: BlobStore
    tuf: TufRepository
    mailer: Mailer
    #: Touched after every metadata change on this host (registry/generation.py).
    generation: GenerationFile
    #: Small in-process caches of immutable rows (consistent-snapshot metadata never changes).
    cache: dict[str, bytes] = field(default_factory=dict)
    #: (time.monotonic() when read, bytes, version, generation file stamp) of timestamp.json.
    timestamp_cache: tuple[float, bytes, int, int] | None = None
    #: Recent search answers, reused for at most 5 s and within one repository generation.
    search_cache: SearchCache = field(default_factory=SearchCache)

    @classmethod
    def open(cls, config: RegistryConfig) -> Registry:
        return cls(
            config=config,
            db=Database(config.resolved_database_url),
            blobs=blob_store_for(config),
            tuf=TufRepository(config),
            mailer=mailer_for(config),
            generation=GenerationFile(config.generation_file),
        )

    @contextmanager
    def metadata_transaction(self) -> Iterator[Session]:
        """A write transaction that changes TUF metadata: serialized by the repository lock,
        and once it commits the generation file is touched (every worker of this host serves
        the new timestamp at once; other hosts' within a second) and this process's cached
        search results are dropped."""
        with self.db.write() as session:
            generation = lock_repository(session).generation
            yield session
        self.generation.bump(generation)
        self.timestamp_cache = None
        self.search_cache.forget_generation()


def current_registry() -> Registry:
    """The Registry of the Flask app handling the current request (or app context)."""
    registry = current_app.extensions[EXTENSION_KEY]
    assert isinstance(registry, Registry), f"app.extensions[{EXTENSION_KEY!r}] is not a Registry"
    return registry
