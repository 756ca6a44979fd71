"""Download counts: each client's complete download of a version counts once a day.

A client is its address (behind a trusted proxy, the address the proxy names), kept only as
a hash with the day, so the table holds no addresses. Range requests, revalidations and
interrupted downloads are not counted (registry/tuf_views.py calls `count_download` only
once the whole archive was handed to the server).
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry.context import Registry
from registry.models import DownloadEvent, Plugin

SECONDS_PER_DAY = 86_400
#: Events older than this many days can no longer deduplicate anything.
KEEP_DAYS = 2


def count_download(registry: Registry, name: str, version: str, client_address: str, now: float | None = None) -> bool:
    """Count `client_address`'s download of `name` `version`, unless it was counted today;
    return whether it counted."""
    day = int((time.time() if now is None else now) // SECONDS_PER_DAY)
    client = hashlib.sha256(f"{day}:{client_address}".encode()).hexdigest()[:32]
    insert = sqlite.insert if registry.db.is_sqlite else postgresql.insert
    with registry.db.write() as session:
        plugin_id = session.execute(select(Plugin.id).where(Plugin.name == name)).scalar_one_or_none()
        if plugin_id is None:
            return False
        new = session.execute(
            insert(DownloadEvent)
            .values(day=day, client=client, plugin_id=plugin_id, version=version[:64])
            .on_conflict_do_nothing(index_elements=["day", "client", "plugin_id", "version"])
            .returning(DownloadEvent.id)
        ).first()
        if new is None:
            return False
        session.execute(update(Plugin).where(Plugin.id == plugin_id).values(downloads=Plugin.downloads + 1))
    return True


def forget_old_downloads(registry: Registry, now: float | None = None) -> int:
    """Delete events too old to deduplicate anything (`acc registry cleanup`); return how many."""
    today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
    with registry.db.write() as session:
        result = session.execute(delete(DownloadEvent).where(DownloadEvent.day < today - KEEP_DAYS))
    return int(getattr(result, "rowcount", 0) or 0)
