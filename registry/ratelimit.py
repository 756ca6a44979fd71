"""Fixed-window rate limits kept in the database, so every gunicorn worker counts together."""

from __future__ import annotations

import time

from sqlalchemy import delete

from registry.db import Database
from registry.errors import ApiError
from registry.models import RateCounter

WINDOW_SECONDS = 60


def hit(db: Database, bucket: str, client: str, limit: int, *, now: float | None = None) -> None:
    """Count one request of `client` in `bucket`; raise 429 once `limit` per window is passed."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
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
        count = int(session.execute(upsert).scalar_one())
        if count == 1:  # first request of a window: forget windows that can no longer matter
            session.execute(delete(RateCounter).where(RateCounter.window < window - 1))
    if count > limit:
        retry = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
        raise ApiError(
            429,
            "rate_limited",
            f"too many {bucket} requests; try again in {retry} s",
            hint="slow down; limits are per client address per minute",
            headers={"Retry-After": str(retry)},
        )
