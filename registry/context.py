"""What one registry instance is made of: its configuration, database, blobs and TUF repository."""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.blobs import BlobStore
from registry.config import RegistryConfig
from registry.db import Database
from registry.tuf_repo import TufRepository


@dataclass
class Registry:
    config: RegistryConfig
    db: Database
    blobs: BlobStore
    tuf: TufRepository
    #: Small in-process caches of immutable rows (consistent-snapshot metadata never changes).
    cache: dict[str, bytes] = field(default_factory=dict)
    #: (time.monotonic() when read, bytes) of timestamp.json: re-read at most once a second.
    timestamp_cache: tuple[float, bytes] | None = None

    @classmethod
    def open(cls, config: RegistryConfig) -> Registry:
        return cls(config=config, db=Database(config.resolved_database_url), blobs=BlobStore(config.blobs_dir),
                   tuf=TufRepository(config))
