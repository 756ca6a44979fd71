"""Fixed-window rate limits kept in the database, so every worker and every host counts together.

A counter is (key, window start in epoch seconds): windows of different lengths (a minute
per address, a quarter hour per account) live side by side in one table.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select

from registry.db import Database
from registry.errors import ApiError
from registry.models import RateCounter

WINDOW_SECONDS = 60
#: Counters older than this are deleted (longer than the longest window in use).
_FORGET_AFTER_SECONDS = 2 * 3600


def hit(
    db: Database,
    bucket: str,
    client: str,
    limit: int,
    *,
    window_seconds: int = WINDOW_SECONDS,
    now: float | None = None,
    per: str = "client address",
) -> None:
    """Count one request of `client` in `bucket`; raise 429 once `limit` per window is passed."""
    now = time.time() if now is None else now
    if count(db, bucket, client, window_seconds=window_seconds, now=now) > limit:
        raise too_many(bucket, window_seconds, now, per)


def count(db: Database, bucket: str, client: str, *, window_seconds: int = WINDOW_SECONDS, now: float) -> int:
    """Add one to `client`'s counter in `bucket` for the current window; return the new count."""
    window = int(now // window_seconds) * window_seconds
    key = f"{bucket}:{client}"[:200]
    # One atomic upsert: two workers counting the first request of a window at once must
    # both count, not collide on the primary key.
    from sqlalchemy.dialects import postgresql, sqlite

    insert = sqlite.insert if db.is_sqlite else postgresql.insert
    upsert = (
        insert(RateCounter)
        .values(key=key, window=window, count=1)
        .on_conflict_do_update(index_elements=["key", "window"], set_={"count": RateCounter.count + 1})
        .returning(RateCounter.count)
    )
    with db.write() as session:
        counted = int(session.execute(upsert).scalar_one())
        if counted == 1:  # first request of a window: forget windows that can no longer matter
            session.execute(delete(RateCounter).where(RateCounter.window < int(now) - _FORGET_AFTER_SECONDS))
    return counted


def current(db: Database, bucket: str, client: str, *, window_seconds: int = WINDOW_SECONDS, now: float) -> int:
    """`client`'s count in `bucket` for the current window, without counting."""
    window = int(now // window_seconds) * window_seconds
    with db.read() as session:
        found = session.execute(
            select(RateCounter.count).where(RateCounter.key == f"{bucket}:{client}"[:200], RateCounter.window == window)
        ).scalar_one_or_none()
    return int(found or 0)


def too_many(bucket: str, window_seconds: int, now: float, per: str = "client address") -> ApiError:
    retry = window_seconds - int(now % window_seconds)
    return ApiError(
        429,
        "rate_limited",
        f"too many {bucket} requests; try again in {retry} s",
        hint=f"slow down; limits are per {per} per {_describe(window_seconds)}",
        headers={"Retry-After": str(retry)},
    )


def _describe(window_seconds: int) -> str:
    return "minute" if window_seconds == 60 else f"{window_seconds // 60} minutes"
