"""What `acc registry user list/disable/enable/reset-password` do: the operator's view of
accounts and the account-wide switches.

A disabled account keeps everything it has (plugins, keys, tokens): it only cannot log in,
its web sessions end, and its tokens act on nothing (registry.accounts.check_enabled, the
one check every login, session and token goes through). Enabling it gives all of that back,
so disabling is safe to do first and investigate after. Every write here is audited with
actor "operator" and the account holder is told (registry.notify).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry import email_links
from registry.accounts import get_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.errors import ConfigError, RegistryError, bad_request
from registry.mailer import Mail
from registry.models import ApiToken, Plugin, PublisherKey, User, WebSession, utcnow
from registry.notify import notify_security_change
from registry.operator import opened
from registry.text import is_storable

#: The longest reason an operator may give for disabling an account.
MAX_REASON_LENGTH = 2000
#: Where a reset link leads, under the registry's public URL (registry/web/recovery_pages.py).
RESET_PATH = "/reset/"


def iso(moment: datetime | None) -> str | None:
    """A timestamp as the operator commands print it in JSON (UTC, to the second)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


@dataclass(frozen=True)
class AccountRow:
    """One account as `acc registry user list` shows it."""

    name: str
    email: str
    created_at: datetime
    email_confirmed_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    is_admin: bool
    verified_at: datetime | None
    verified_by: str | None
    keys: int
    active_tokens: int
    plugins_owned: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "created_at": iso(self.created_at),
            "email_confirmed_at": iso(self.email_confirmed_at),
            "disabled_at": iso(self.disabled_at),
            "disabled_reason": self.disabled_reason,
            "is_admin": self.is_admin,
            "verified_at": iso(self.verified_at),
            "verified_by": self.verified_by,
            "keys": self.keys,
            "active_tokens": self.active_tokens,
            "plugins_owned": self.plugins_owned,
        }


def list_accounts(config: RegistryConfig) -> list[AccountRow]:
    """Every account, by name, with how many keys, usable tokens and plugins it has."""
    with opened(config) as registry, registry.db.read() as session:
        now = utcnow()
        keys = _counts(session, select(PublisherKey.user_id, func.count()).group_by(PublisherKey.user_id))
        tokens = _counts(
            session,
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked_at.is_(None), (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
            .group_by(ApiToken.user_id),
        )
        plugins = _counts(session, select(Plugin.owner_id, func.count()).group_by(Plugin.owner_id))
        return [
            AccountRow(
                name=u.name,
                email=u.email,
                created_at=u.created_at,
                email_confirmed_at=u.email_confirmed_at,
                disabled_at=u.disabled_at,
                disabled_reason=u.disabled_reason,
                is_admin=bool(u.is_admin),
                verified_at=u.verified_at,
                verified_by=u.verified_by,
                keys=keys.get(u.id, 0),
                active_tokens=tokens.get(u.id, 0),
                plugins_owned=plugins.get(u.id, 0),
            )
            for u in session.execute(select(User).order_by(User.name)).scalars()
        ]


def _counts(session: Session, query: Any) -> dict[int, int]:
    return {int(user_id): int(count) for user_id, count in session.execute(query)}


@dataclass(frozen=True)
class DisableResult:
    changed: bool
    #: When the account was disabled (now, or earlier when it already was), and why.
    disabled_at: datetime
    reason: str
    sessions_ended: int


def disable_account(config: RegistryConfig, name: str, reason: str) -> DisableResult:
    """Disable `name`: no login, its web sessions end, its tokens act on nothing. Disabling
    an account that already is changes nothing (and keeps the first reason)."""
    reason = reason.strip()
    if not reason:
        raise bad_request("disabling an account needs a reason", hint="say why with --reason, for the records")
    if len(reason) > MAX_REASON_LENGTH or not is_storable(reason):
        raise bad_request(f"the reason must be text of at most {MAX_REASON_LENGTH} characters, without NUL")
    with opened(config) as registry, registry.db.write() as session:
        user = get_user(session, name)
        if user.disabled_at is not None:
            return DisableResult(False, user.disabled_at, user.disabled_reason or "", 0)
        user.disabled_at = utcnow()
        user.disabled_reason = reason
        # In the same transaction: no session of the account outlives the commit.
        ended = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        sessions_ended = int(getattr(ended, "rowcount", 0) or 0)
        audit(session, "operator", "disable_user", name, "local", reason=reason, sessions_ended=sessions_ended)
        notify_security_change(
            session,
            registry.mailer,
            user,
            "account_disabled",
            "The registry's operator disabled your account: you cannot log in, and your API tokens "
            "act on nothing until it is enabled again. Contact the registry's operator about it.",
            config.public_url,
        )
        return DisableResult(True, user.disabled_at, reason, sessions_ended)


def enable_account(config: RegistryConfig, name: str) -> bool:
    """Enable `name` again (its tokens work again: disabling revoked none); False if it was not disabled."""
    with opened(config) as registry, registry.db.write() as session:
        user = get_user(session, name)
        if user.disabled_at is None:
            return False
        reason = user.disabled_reason
        user.disabled_at = None
        user.disabled_reason = None
        audit(session, "operator", "enable_user", name, "local", was_disabled_for=reason)
        notify_security_change(
            session,
            registry.mailer,
            user,
            "account_enabled",
            "The registry's operator enabled your account again: you can log in, and your API tokens "
            "that have not expired or been revoked work again.",
            config.public_url,
        )
        return True


@dataclass(frozen=True)
class ResetLink:
    """A password reset link an operator made: mailed (`link` None, `sent_to` set) or handed over."""

    name: str
    email: str
    #: The link (or, without a public_url, its path) when it is printed rather than mailed.
    link: str | None
    #: Where the mail went, in words ("the SMTP server mail.example.com:587"); None when printed.
    delivered_by: str | None
    valid_for: str


def reset_password_link(config: RegistryConfig, name: str, *, print_link: bool) -> ResetLink:
    """A one-hour password reset link for `name`: mailed to the account's address through the
    registry's mailer, or (`print_link`) returned for the operator to hand over.

    Mailing needs somewhere to mail from and a public URL for the link; without them the
    command refuses, rather than make a link nobody receives.
    """
    base = config.public_url.rstrip("/")
    delivered_by = None
    if not print_link:
        delivered_by = _delivery(config)
        if not base:
            raise ConfigError(
                "this registry has no public_url, so a mailed link could not say where to go",
                hint=f"set public_url (REGISTRY_PUBLIC_URL) to the registry's address, or pass --print-link "
                f"and hand the link to {name} yourself",
            )
    valid_for = _in_words(email_links.LIFETIMES[email_links.RESET])
    with opened(config) as registry:
        with registry.db.write() as session:
            user = get_user(session, name)
            link = f"{base}{RESET_PATH}{email_links.issue(session, user, email_links.RESET)}"
            email = user.email
            audit(session, "operator", "reset_link", name, "local", delivery="printed" if print_link else "mail")
            if print_link:
                # The holder hears that someone else holds a link to set their password.
                notify_security_change(
                    session,
                    registry.mailer,
                    user,
                    "password_reset_link",
                    "The registry's operator made a password reset link for your account and handed it "
                    "over directly, not by mail. If you did not ask for one, tell the operator.",
                    config.public_url,
                )
        if print_link:
            return ResetLink(name, email, link, None, valid_for)
        body = (
            f"Hello {name},\n\nthe registry's operator sent you this link to choose a new password; "
            f"follow it within {valid_for}:\n\n{link}\n\n"
            "If you did not ask for it, ignore this mail: your password stays as it is.\n"
        )
        try:
            # Not send_quietly: the operator must hear when the mail did not go.
            registry.mailer.send(Mail(email, "Reset your registry password", body))
        except (OSError, smtplib.SMTPException) as e:
            raise RegistryError(
                f"could not mail the reset link to {email}: {e}",
                hint="check the smtp_* settings, or pass --print-link and hand the link over yourself",
            ) from e
    return ResetLink(name, email, None, delivered_by, valid_for)


def _in_words(lifetime: timedelta) -> str:
    minutes = int(lifetime.total_seconds() // 60)
    count, unit = (minutes // 60, "hour") if minutes % 60 == 0 else (minutes, "minute")
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _delivery(config: RegistryConfig) -> str:
    """How mail from this registry travels, in words; refuse when it goes nowhere."""
    if config.mailer == "smtp":
        return f"the SMTP server {config.smtp_host}:{config.smtp_port}"
    if str(config.mail_log) in ("", "."):
        raise ConfigError(
            "this registry sends no mail (mailer = log, and no mail_log file): the link would reach nobody",
            hint="configure SMTP (mailer = smtp, docs/registry.md), or pass --print-link and hand the link "
            "over yourself",
        )
    return f"the mail log {config.mail_log} (mailer = log: nothing leaves this machine)"
