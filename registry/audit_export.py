"""Reading the audit log back (`acc registry audit`): entries in order, filtered by time,
actor and action, streamed so a large export never sits in memory.

`parse_since` is the pure core: "7d", "12h", "30m", "2w" back from now, or a UTC date or
date-time ("2026-12-01", "2026-12-01T08:00", with or without a zone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from registry.config import RegistryConfig
from registry.errors import bad_request
from registry.models import AuditEntry
from registry.operator import opened
from registry.operator_accounts import iso

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Rows fetched from the database at a time while streaming.
_BATCH = 500


def parse_since(text: str, now: datetime) -> datetime:
    """The moment `--since TEXT` means: a duration back from `now`, or a date (UTC)."""
    text = text.strip()
    duration = _DURATION.match(text)
    if duration:
        try:
            return now - timedelta(**{_UNITS[duration.group(2)]: int(duration.group(1))})
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC)  # further back than the calendar: everything
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(
            f"--since {text!r} is neither a duration nor a date",
            hint="e.g. --since 7d (also 30m, 12h, 2w), --since 2026-12-01 or --since 2026-12-01T08:00 (UTC)",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    actor: str | None = None
    action: str | None = None


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """One entry as `--json` writes it (one object per line)."""
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
        "remote_addr": entry.remote_addr,
        "token_id": entry.token_id,
        "token_prefix": entry.token_prefix,
    }


def audit_entries(config: RegistryConfig, where: AuditFilter) -> Iterator[dict[str, Any]]:
    """The entries `where` selects, oldest first, as `entry_json` dicts, read in batches."""
    with opened(config) as registry, registry.db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if where.since is not None:
            query = query.where(AuditEntry.at >= where.since)
        if where.actor is not None:
            query = query.where(AuditEntry.actor == where.actor)
        if where.action is not None:
            query = query.where(AuditEntry.action == where.action)
        for entry in session.execute(query.execution_options(yield_per=_BATCH)).scalars():
            yield entry_json(entry)
