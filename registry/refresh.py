"""`acc registry refresh`: re-sign online metadata before it expires, and prune old versions.

Run it from cron or a systemd timer (docs/registry.md), or let `acc registry serve` run it
every `refresh_interval_minutes` (registry/refresher.py). With several hosts, each may run
it: one does the work at a time. On PostgreSQL an advisory lock makes the others skip at
once instead of waiting; under it, the repository lock and the staleness check (inside
the transaction) mean metadata is re-signed once even if two runs overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from registry.context import Registry
from registry.models import utcnow

#: The PostgreSQL advisory lock key of a refresh (any constant no other code uses).
REFRESH_LOCK_KEY = 0x61636372  # "accr"


@dataclass(frozen=True)
class RefreshReport:
    #: Another host was refreshing: nothing was done here.
    skipped: bool = False
    resigned: bool = False
    pruned: int = 0
    #: With `advance_by`: how far, and the timestamp version it reached.
    advanced_by: int = 0
    timestamp_version: int = 0

    def summary(self) -> str:
        if self.skipped:
            return "another host is refreshing the metadata: nothing to do here"
        signed = "re-signed expiring metadata" if self.resigned else "no metadata was due for re-signing"
        if self.advanced_by:
            signed = (
                f"re-signed every online role past {self.advanced_by} more versions "
                f"(timestamp version {self.timestamp_version})"
            )
        return f"{signed}; pruned {self.pruned} old metadata version{'s' if self.pruned != 1 else ''}"


def refresh_repository(registry: Registry, now: datetime | None = None, advance_by: int = 0) -> RefreshReport:
    """Re-sign what is due and prune; with `advance_by`, re-sign every online role that many
    versions ahead instead (after a restore: TufRepository.advance)."""
    now = now or utcnow()
    keep = timedelta(minutes=registry.config.metadata_retention_minutes)
    if registry.db.is_sqlite:
        return _refresh(registry, now, keep, advance_by)  # one host; BEGIN IMMEDIATE serializes the workers
    with registry.db.writer.connect() as connection:
        locked = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": REFRESH_LOCK_KEY}).scalar()
        if not locked:
            return RefreshReport(skipped=True)
        try:
            return _refresh(registry, now, keep, advance_by)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REFRESH_LOCK_KEY})
            connection.commit()


def _refresh(registry: Registry, now: datetime, keep: timedelta, advance_by: int = 0) -> RefreshReport:
    with registry.metadata_transaction() as session:
        if advance_by:
            timestamp = registry.tuf.advance(session, advance_by, now)
            pruned = registry.tuf.prune(session, now, keep)
            return RefreshReport(resigned=True, pruned=pruned, advanced_by=advance_by, timestamp_version=timestamp)
        resigned = registry.tuf.refresh(session, now)
        pruned = registry.tuf.prune(session, now, keep)
    return RefreshReport(resigned=resigned, pruned=pruned)
