"""The audit log: every write (publish, yank, accounts, tokens, keys, reviews, operator
commands) records who did what to what, from where, and with which API token.

An entry is added to the writer's own session, so it commits with the change it
describes or not at all. The token comes from the request itself (registry.api_auth keeps
the authenticated caller in `flask.g`), so no API write can leave it out; web and
operator writes have none.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy.orm import Session

from registry.models import AuditEntry

#: The longest client address kept (the column's width).
MAX_REMOTE_ADDR = 64


def audit(session: Session, actor: str, action: str, target: str, remote_addr: str, **detail: Any) -> None:
    """Record that `actor` did `action` to `target` from `remote_addr`, in `session`'s transaction."""
    caller = g.get("api_caller") if has_app_context() else None
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            target=target[:200],
            detail=detail,
            remote_addr=remote_addr[:MAX_REMOTE_ADDR],
            token_id=getattr(caller, "token_id", None),
            token_prefix=getattr(caller, "token_prefix", None),
        )
    )
