"""`acc registry cleanup`: remove what interrupted work and time leave behind.

- temporary blob files of interrupted writes, and blobs no version and no retained TUF
  metadata names (an interrupted publish), once older than `grace` (a publish writes its
  blobs before it commits; none takes anywhere near the grace period);
- expired web sessions and mailed links, download events too old to deduplicate, rate
  counters of past windows, and registrations never confirmed within a week.

`acc registry serve` runs it at start-up too. Safe to run on several hosts at once: every
step deletes only what nothing references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.blob_hold import blob_deletion
from registry.context import Registry
from registry.db import lock_repository
from registry.downloads import forget_old_downloads
from registry.models import EmailToken, RateCounter, TufMetadata, User, Version, utcnow

BLOB_GRACE = timedelta(hours=1)
UNCONFIRMED_ACCOUNT_DAYS = 7


@dataclass
class CleanupReport:
    temporary_files: int = 0
    orphan_blobs: int = 0
    sessions: int = 0
    email_links: int = 0
    download_events: int = 0
    unconfirmed_accounts: int = 0

    def summary(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self))


def cleanup(registry: Registry, now: datetime | None = None, grace: timedelta = BLOB_GRACE) -> CleanupReport:
    from registry.web.sessions import purge_expired_sessions

    now = now or utcnow()
    report = CleanupReport()
    report.temporary_files, report.orphan_blobs = clean_blobs(registry, now, grace)
    report.sessions = purge_expired_sessions(registry, now)
    report.download_events = forget_old_downloads(registry, now.timestamp())
    with registry.db.write() as session:
        report.email_links = _rowcount(session.execute(delete(EmailToken).where(EmailToken.expires_at <= now)))
        report.unconfirmed_accounts = _rowcount(
            session.execute(
                delete(User).where(
                    User.email_confirmed_at.is_(None),
                    User.created_at < now - timedelta(days=UNCONFIRMED_ACCOUNT_DAYS),
                )
            )
        )
        session.execute(delete(RateCounter).where(RateCounter.window < int(now.timestamp()) - 2 * 3600))
    return report


def clean_blobs(registry: Registry, now: datetime, grace: timedelta = BLOB_GRACE) -> tuple[int, int]:
    """Remove old temporary files and unreferenced blobs; return (temporary, orphans) removed."""
    cutoff = (now - grace).timestamp()
    temporary = registry.blobs.remove_temporary(cutoff)
    candidates = [sha for sha, mtime in registry.blobs.stored() if mtime < cutoff]
    if not candidates:
        return temporary, 0
    with blob_deletion(registry.db) as allowed:
        if not allowed:
            # A backup is copying the blobs its snapshot names (registry/blob_hold.py): the
            # orphans wait for the next cleanup.
            return temporary, 0
        # Under the repository lock: every blob write happens inside a metadata transaction
        # (registry/publish.py), so none is in flight here, and every committed one's row is
        # seen. (A retried publish reuses an orphan blob without rewriting it.)
        with registry.db.write() as session:
            lock_repository(session)
            referenced = referenced_blobs(session)
            orphans = [sha for sha in candidates if sha not in referenced]
            for sha in orphans:
                registry.blobs.delete(sha)
    return temporary, len(orphans)


def referenced_blobs(session: Session) -> set[str]:
    """Every blob a version names, or a target of any TUF targets metadata still stored (old
    bin versions stay servable to clients mid-update, and with them their index targets)."""
    found: set[str] = set()
    for archive, signature in session.execute(select(Version.archive_sha256, Version.signature_sha256)):
        found.update((archive, signature))
    rows = session.execute(
        select(TufMetadata.data).where((TufMetadata.role == "targets") | TufMetadata.role.like("bins-%"))
    ).scalars()
    for data in rows:
        for target in json.loads(data)["signed"].get("targets", {}).values():
            digest = target.get("hashes", {}).get("sha256")
            if isinstance(digest, str):
                found.add(digest)
    return found


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
