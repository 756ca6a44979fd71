"""Login throttling per account, beside the per-address limit on the login form.

Failed password checks are counted per account name (lowercased, whether or not such an
account exists, so the limit says nothing about which names exist) over a quarter of an
hour, from every address together: a password-guessing botnet gets
`login_failures_per_account` guesses per account per window, not that many per address.
Once over, every password check of that name is refused until the window ends, the right
password included (otherwise the refusal would confirm a guess).
"""

from __future__ import annotations

import time

from registry.context import current_registry
from registry.ratelimit import count, current, too_many

ACCOUNT_WINDOW_SECONDS = 15 * 60
_BUCKET = "login-failures"


def _key(name: str) -> str:
    return name.strip().lower()[:64]


def check_account_not_throttled(name: str) -> None:
    """Refuse (429) a password check of account `name` while it is over its failure limit."""
    reg = current_registry()
    now = time.time()
    failures = current(reg.db, _BUCKET, _key(name), window_seconds=ACCOUNT_WINDOW_SECONDS, now=now)
    if failures >= reg.config.login_failures_per_account:
        raise too_many("login", ACCOUNT_WINDOW_SECONDS, now, per="account")


def count_failed_login(name: str) -> None:
    reg = current_registry()
    count(reg.db, _BUCKET, _key(name), window_seconds=ACCOUNT_WINDOW_SECONDS, now=time.time())
