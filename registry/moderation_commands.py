"""What `acc registry admin` and `acc registry moderate` do (acc_cli/registry/ holds only
their click wiring): registry.admin_role, registry.moderation and registry.takedown run on
the registry in a config, as the actor "operator", each write audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from registry import admin_role, moderation, takedown
from registry.config import RegistryConfig
from registry.moderation import ReportRow, ReviewRow
from registry.operator import opened
from registry.takedown import TakenDownRow

ACTOR = "operator"
REMOTE_ADDR = "local"
T = TypeVar("T")


@dataclass(frozen=True)
class AdminRow:
    name: str
    disabled: bool


def _write(config: RegistryConfig, change: Callable[[Session], T]) -> T:
    with opened(config) as registry, registry.db.write() as session:
        return change(session)


def _read(config: RegistryConfig, query: Callable[[Session], T]) -> T:
    with opened(config) as registry, registry.db.read() as session:
        return query(session)


def set_admin(config: RegistryConfig, name: str, admin: bool) -> bool:
    """Grant or revoke the admin role; False if `name` already had (or lacked) it."""
    return _write(config, lambda s: admin_role.set_admin(s, name, admin, ACTOR, REMOTE_ADDR))


def list_admins(config: RegistryConfig) -> list[AdminRow]:
    return _read(config, lambda s: [AdminRow(u.name, u.disabled_at is not None) for u in admin_role.admins(s)])


def list_reports(config: RegistryConfig, include_closed: bool) -> list[ReportRow]:
    return _read(config, lambda s: moderation.reports(s, include_closed=include_closed))


def close_report(config: RegistryConfig, report_id: int, resolution: str) -> ReportRow:
    return _write(config, lambda s: moderation.close_report(s, report_id, resolution, ACTOR, REMOTE_ADDR))


def list_reviews(config: RegistryConfig, plugin: str | None) -> list[ReviewRow]:
    return _read(config, lambda s: moderation.recent_reviews(s, plugin=plugin))


def remove_review(config: RegistryConfig, plugin: str, user: str, reason: str) -> ReviewRow:
    return _write(config, lambda s: moderation.remove_review(s, plugin, user, reason, ACTOR, REMOTE_ADDR))


def take_down(config: RegistryConfig, plugin: str, reason: str) -> list[str]:
    with opened(config) as registry:
        return takedown.take_down(registry, plugin, reason, ACTOR, REMOTE_ADDR)


def restore(config: RegistryConfig, plugin: str) -> list[str]:
    with opened(config) as registry:
        return takedown.restore(registry, plugin, ACTOR, REMOTE_ADDR)


def list_taken_down(config: RegistryConfig) -> list[TakenDownRow]:
    return _read(config, takedown.taken_down)
