"""Marking a publisher verified, or no longer: by the operator (`acc registry user verify`),
or by a domain the publisher proved (registry/domain_proof.py).

The mark (sdk/publisher_mark.py) is the marketplace's statement about an account. It is
written into the signed index of every plugin the account owns (`owner_verified`, beside
`owner`, which the index already states), so `acc plugin info` shows it from data signed
by the registry's online key, not from an unsigned API answer; changing the mark is
therefore a metadata transaction that re-signs those indexes (also dropping cached
searches, whose results carry it too). The plugins' "last updated" dates stay: nothing
of theirs changed. Every change is audited, and the account is told (registry/notify.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tuf.api.metadata import TargetFile

from registry.accounts import get_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.context import Registry
from registry.domain_proof import CheckSettings, find_proof, proof_token
from registry.errors import bad_request
from registry.index import build_index
from registry.models import Plugin, User, utcnow
from registry.notify import notify_security_change
from sdk.index_format import index_path
from sdk.publisher_mark import HOW_OPERATOR, PublisherMark, normalize_domain, parse_mark

MAX_NOTE_LENGTH = 500


def set_mark(
    registry: Registry,
    user_name: str,
    mark: PublisherMark | None,
    *,
    actor: str,
    remote_addr: str,
    note: str = "",
) -> bool:
    """Make `mark` the account's mark (None: not verified). False if it already was (nothing
    is written: repeating a command is harmless)."""
    with registry.metadata_transaction() as session:
        user = get_user(session, user_name)
        value = mark.value if mark is not None else None
        if user.verified_by == value:
            return False
        before = parse_mark(user.verified_by)
        user.verified_by = value
        user.verified_at = utcnow() if mark is not None else None
        _resign_indexes(registry, session, user)
        detail = {"how": value, "before": before.value if before else None}
        if note:
            detail["note"] = note[:MAX_NOTE_LENGTH]
        audit(session, actor, "verify_publisher" if mark else "unverify_publisher", user.name, remote_addr, **detail)
        message = (
            f"Your account is now shown as a {mark.text()}."
            if mark is not None
            else "Your account is no longer shown as a verified publisher."
        )
        notify_security_change(session, registry.mailer, user, "publisher_mark", message, registry.config.public_url)
        return True


def _resign_indexes(registry: Registry, session: Session, user: User) -> None:
    """New signed indexes for the account's plugins (every one with an index), which name its mark."""
    plugins = session.execute(select(Plugin).where(Plugin.owner_id == user.id, Plugin.versions.any())).scalars()
    changes: dict[str, TargetFile | None] = {}
    for plugin in plugins:
        data = build_index(plugin)
        digest = registry.blobs.put(data)
        path = index_path(plugin.name)
        changes[path] = TargetFile(len(data), {"sha256": digest}, path)
    if changes:
        registry.tuf.update_targets(session, changes, utcnow())


def claimed_domain(text: str) -> str:
    """The domain a publisher typed, normalised, or 400 saying what a domain looks like."""
    domain = normalize_domain(text[:300])
    if domain is None:
        raise bad_request(
            f"{text[:100]!r} is not a domain name",
            hint="type the domain alone, e.g. example.com (no https://, no path, not an address)",
        )
    return domain


def domain_token(secret: bytes, user: User, domain: str) -> str:
    """The token `user` publishes to prove `domain` (registry/domain_proof.py)."""
    return proof_token(secret, user.id, domain)


def prove_domain(registry: Registry, user_name: str, domain: str, secret: bytes, remote_addr: str) -> PublisherMark:
    """Look for the account's proof of `domain` (DNS first, then the well-known file); mark
    the account verified by it, or 400 `domain_not_proved` saying what was found."""
    with registry.db.read() as session:
        user = get_user(session, user_name)
        token = domain_token(secret, user, domain)
    mark = find_proof(domain, token, CheckSettings.from_config(registry.config))
    set_mark(registry, user_name, mark, actor=user_name, remote_addr=remote_addr)
    return mark


def verify_user_command(config: RegistryConfig, name: str, note: str) -> bool:
    """`acc registry user verify NAME [--note TEXT]`: the operator vouches for the account."""
    return _as_operator(config, name, PublisherMark(HOW_OPERATOR), note)


def unverify_user_command(config: RegistryConfig, name: str, note: str = "") -> bool:
    """`acc registry user unverify NAME`: the account loses its mark, however it got it."""
    return _as_operator(config, name, None, note)


def _as_operator(config: RegistryConfig, name: str, mark: PublisherMark | None, note: str) -> bool:
    from registry.operator import _open

    registry = _open(config)
    try:
        return set_mark(registry, name, mark, actor="operator", remote_addr="local", note=note)
    finally:
        registry.db.dispose()
