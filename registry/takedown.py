"""Taking a plugin down, and restoring it: a moderator's yank of every version, through TUF.

A take-down is the publisher's yank (registry.publish.set_yanked) applied to each version
that is not yanked yet, with the moderators' reason, in one metadata transaction: the
plugin's index target is rewritten and new targets, snapshot and timestamp metadata are
signed, so every client refuses to install or update to any version of it, exactly as it
refuses a yanked one. The plugin leaves every listing (registry.listing.is_listed) but
keeps its row: its page says it was taken down, and its name (with every look-alike,
registry.names_policy) stays reserved. While it is down its owner can neither publish
nor un-yank (registry.publish refuses with `taken_down`).

`restore` un-yanks exactly the versions the take-down yanked (named in its audit entry),
not those the publisher had yanked before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.audit import audit
from registry.context import Registry
from registry.errors import bad_request, conflict, not_found
from registry.models import AuditEntry, Plugin, User, utcnow
from registry.moderation import iso
from registry.publish import write_index

MAX_TAKEDOWN_REASON = 2000
#: What clients read as each version's yank reason ("1.0.0 is yanked: taken down by ...").
YANK_PREFIX = "taken down by the registry's moderators: "


def yank_reason(takedown_reason: str) -> str:
    """The yank reason every version of a plugin taken down for `takedown_reason` carries."""
    return YANK_PREFIX + takedown_reason


def take_down(registry: Registry, name: str, reason: str, actor: str, remote_addr: str) -> list[str]:
    """Take the plugin `name` down for `reason`; the versions this yanked (oldest first)."""
    reason = " ".join(reason.split())
    if not reason:
        raise bad_request("a take-down needs a reason", hint="say why (users see it when acc refuses the plugin)")
    if len(reason) > MAX_TAKEDOWN_REASON:
        raise bad_request(f"the reason is longer than {MAX_TAKEDOWN_REASON} characters")
    with registry.metadata_transaction() as session:
        plugin = _plugin(session, name)
        if plugin.taken_down_at is not None:
            raise conflict(
                f"{name} is already taken down ({plugin.takedown_reason})",
                code="already_taken_down",
                hint=f"to take it down for another reason, restore it first: `acc registry moderate restore {name}`",
            )
        yanked = []
        for version in plugin.versions:
            if not version.yanked:
                version.yanked, version.yank_reason = True, yank_reason(reason)
                yanked.append(version.version)
        now = utcnow()
        plugin.taken_down_at, plugin.takedown_reason = now, reason
        write_index(registry, session, plugin, {}, now)
        audit(session, actor, "take_down", name, remote_addr, reason=reason, yanked_versions=yanked)
    return yanked


def restore(registry: Registry, name: str, actor: str, remote_addr: str) -> list[str]:
    """Undo the take-down of `name`; the versions un-yanked (those the take-down yanked)."""
    with registry.metadata_transaction() as session:
        plugin = _plugin(session, name)
        if plugin.taken_down_at is None or plugin.takedown_reason is None:
            raise conflict(f"{name} is not taken down", code="not_taken_down")
        reason = yank_reason(plugin.takedown_reason)
        yanked_by_takedown = _versions_yanked_by_takedown(session, name)
        restored = []
        for version in plugin.versions:
            ours = yanked_by_takedown is None or version.version in yanked_by_takedown
            # Both: named by the take-down and still carrying its reason (nothing else can
            # change a yank while the plugin is down, but a restore must never un-yank the
            # publisher's own).
            if version.yanked and ours and version.yank_reason == reason:
                version.yanked, version.yank_reason = False, None
                restored.append(version.version)
        plugin.taken_down_at, plugin.takedown_reason = None, None
        write_index(registry, session, plugin, {}, utcnow())
        audit(session, actor, "restore", name, remote_addr, unyanked_versions=restored)
    return restored


@dataclass(frozen=True)
class TakenDownRow:
    plugin: str
    owner: str
    at: datetime
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "owner": self.owner, "taken_down_at": iso(self.at), "reason": self.reason}


def taken_down(session: Session) -> list[TakenDownRow]:
    """Every plugin taken down, most recent first."""
    found = session.execute(
        select(Plugin.name, User.name, Plugin.taken_down_at, Plugin.takedown_reason)
        .join(User, User.id == Plugin.owner_id)
        .where(Plugin.taken_down_at.is_not(None))
        .order_by(Plugin.taken_down_at.desc(), Plugin.name)
    )
    return [TakenDownRow(name, owner, at, reason or "") for name, owner, at, reason in found if at is not None]


def _versions_yanked_by_takedown(session: Session, name: str) -> set[str] | None:
    """The versions the newest take-down of `name` yanked, from its audit entry (None if the
    entry is gone: then the yank reason alone tells them apart)."""
    entry = session.execute(
        select(AuditEntry)
        .where(AuditEntry.action == "take_down", AuditEntry.target == name)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if entry is None or not isinstance(entry.detail.get("yanked_versions"), list):
        return None
    return {str(v) for v in entry.detail["yanked_versions"]}


def _plugin(session: Session, name: str) -> Plugin:
    plugin = session.execute(
        select(Plugin).where(Plugin.name == name).options(selectinload(Plugin.versions))
    ).scalar_one_or_none()
    if plugin is None:
        raise not_found(f"no plugin named {name!r}", hint="the name is spelled as on its page")
    return plugin
