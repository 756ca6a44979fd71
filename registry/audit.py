"""The audit log: every write (publish, yank, accounts, tokens, keys, reviews, operator
commands) records who did what to what, and from where.

An entry is added to the writer's own session, so it commits with the change it
describes or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.models import AuditEntry

#: The longest client address kept (the column's width).
MAX_REMOTE_ADDR = 64


def audit(session: Session, actor: str, action: str, target: str, remote_addr: str, **detail: Any) -> None:
    """Record that `actor` did `action` to `target` from `remote_addr`, in `session`'s transaction."""
    session.add(
        AuditEntry(actor=actor, action=action, target=target, detail=detail, remote_addr=remote_addr[:MAX_REMOTE_ADDR])
    )
