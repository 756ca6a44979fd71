"""Fixed-window rate limits kept in the database, so every gunicorn worker counts together."""

from __future__ import annotations

import time

from sqlalchemy import delete, select

from registry.db import Database
from registry.errors import ApiError
from registry.models import RateCounter

WINDOW_SECONDS = 60


def hit(db: Database, bucket: str, client: str, limit: int, *, now: float | None = None) -> None:
    """Count one request of `client` in `bucket`; raise 429 once `limit` per window is passed."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"{bucket}:{client}"[:200]
    with db.write() as session:
        row = session.execute(select(RateCounter).where(RateCounter.key == key, RateCounter.window == window)
                              ).scalar_one_or_none()
        if row is None:
            session.execute(delete(RateCounter).where(RateCounter.window < window - 1))
            row = RateCounter(key=key, window=window, count=0)
            session.add(row)
        row.count += 1
        count = row.count
    if count > limit:
        retry = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
        raise ApiError(429, "rate_limited", f"too many {bucket} requests; try again in {retry} s",
                       hint="slow down; limits are per client address per minute",
                       headers={"Retry-After": str(retry)})
