"""`acc registry key list/remove` and `acc registry token list/revoke` on a real registry
database: exact output, named refusals, idempotent revokes, and the effect through the app."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry.config import RegistryConfig
from registry.models import ApiToken, AuditEntry, Notification, PublisherKey, User
from registry.operator import create_token_command
from sdk.archive import PluginArchive
from tests.registry.operator_cli import FIXED, acc_registry, signed_index, target_url
from tests.registry_kit import Publisher, error_code, publish, variant


def _keys(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["acc_registry"].db.read() as session:
        rows = session.execute(select(User.name, PublisherKey.key_id, PublisherKey.public_key).join(PublisherKey.user))
        return sorted((name, key_id, public) for name, key_id, public in rows)


def _last_notification(app: Flask, name: str) -> tuple[str, str]:
    with app.extensions["acc_registry"].db.read() as session:
        row = (
            session.execute(
                select(Notification)
                .join(User, Notification.user_id == User.id)
                .where(User.name == name)
                .order_by(Notification.id.desc())
            )
            .scalars()
            .first()
        )
        assert row is not None
        return row.kind, row.message


def _audit(app: Flask, action: str) -> list[tuple[str, str]]:
    with app.extensions["acc_registry"].db.read() as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.target).where(AuditEntry.action == action))
        return [tuple(r) for r in rows]  # type: ignore[misc]


# -- keys ------------------------------------------------------------------------------------


def test_key_list_shows_every_publishers_keys_or_one_users(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, bob: Publisher
) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(PublisherKey).values(created_at=FIXED))
    (_, a_id, a_key), (_, b_id, b_key) = _keys(app)
    assert acc_registry(registry_config, "key", "list").stdout == (
        "USER   KEY ID            ADDED       PUBLIC KEY\n"
        f"alice  {a_id}  2026-11-02  {a_key}\n"
        f"bob    {b_id}  2026-11-02  {b_key}\n"
    )
    assert json.loads(acc_registry(registry_config, "key", "list", "--user", "bob", "--json").stdout) == [
        {"user": "bob", "key_id": b_id, "public_key": b_key, "created_at": "2026-11-02T09:30:00Z"}
    ]
    assert (
        acc_registry(registry_config, "key", "list", "--user", "zed", code=1).stderr == "error: no user named 'zed'\n"
    )


def test_key_remove_refuses_new_uploads_keeps_published_versions_and_tells_the_holder(
    app: Flask,
    client: FlaskClient,
    registry_config: RegistryConfig,
    alice: Publisher,
    example_archive: PluginArchive,
) -> None:
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    ((_, key_id, _),) = _keys(app)

    result = acc_registry(registry_config, "key", "remove", "alice", key_id)
    assert result.stdout == f"removed signing key {key_id} of alice; versions it signed stay valid\n"
    assert acc_registry(registry_config, "key", "list", "--user", "alice").stdout == "alice has no signing keys\n"

    # The published version stays in the signed index, named with the removed key, and downloadable.
    (entry,) = signed_index(client, app, "project-stats")["versions"]
    assert (entry["version"], entry["signer"]["key_id"], entry["yanked"]) == ("1.0.0", key_id, False)
    assert client.get(target_url(entry["archive"], entry["sha256"])).status_code == 200
    # Even the archive already published is refused now: the signature is checked first.
    refused = publish(client, alice, variant(example_archive, version="1.0.0"))
    assert (refused.status_code, error_code(refused)) == (400, "bad_signature")
    assert refused.get_json()["error"]["message"] == "alice has no registered signing keys"

    assert _audit(app, "remove_key") == [("operator", f"alice {key_id}")]
    kind, message = _last_notification(app, "alice")
    assert kind == "key_removed" and key_id in message and "stay valid" in message

    assert acc_registry(registry_config, "key", "remove", "alice", key_id, code=1).stderr == (
        f"error: alice has no signing key {key_id!r} (their keys: none)\n"
        "  hint: list them with `acc registry key list --user alice`\n"
    )


# -- tokens ----------------------------------------------------------------------------------


@pytest.fixture
def tokens(app: Flask, registry_config: RegistryConfig, alice: Publisher, bob: Publisher) -> dict[str, str]:
    """alice: her test token and a CI token limited to one plugin; bob: his test token, one
    revoked and one expired. Prefixes and dates are fixed so tables print exactly."""
    texts = {
        "alice-ci": create_token_command(registry_config, "alice", ["project-stats"], 30, "ci \x1b[2J", ["publish"]),
        "bob-old": create_token_command(registry_config, "bob", [], 30, "old laptop"),
        "bob-expired": create_token_command(registry_config, "bob", [], 30, "expired"),
    }
    prefixes = {1: "acc_AliceTst", 2: "acc_BobTest1", 3: "acc_AliceCi1", 4: "acc_BobOld11", 5: "acc_BobExp11"}
    with app.extensions["acc_registry"].db.write() as session:
        for token_id, prefix in prefixes.items():
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .values(prefix=prefix, created_at=FIXED, expires_at=FIXED + timedelta(days=30))
            )
        session.execute(update(ApiToken).where(ApiToken.id == 1).values(last_used_at=FIXED + timedelta(days=1)))
        session.execute(update(ApiToken).where(ApiToken.id == 4).values(revoked_at=FIXED + timedelta(days=2)))
        session.execute(update(ApiToken).where(ApiToken.id == 5).values(expires_at=FIXED - timedelta(days=1)))
        session.execute(update(ApiToken).where(ApiToken.id.in_([1, 2, 3])).values(expires_at=None))
    return texts


def test_token_list_shows_usable_tokens_and_with_all_every_one(
    registry_config: RegistryConfig, tokens: dict[str, str]
) -> None:
    everything = "manage-account,manage-collaborators,publish,review,yank"
    assert acc_registry(registry_config, "token", "list").stdout == (
        "ID  PREFIX        USER   DESCRIPTION  PLUGINS        PERMISSIONS"
        + " " * (len(everything) - 9)
        + "CREATED     EXPIRES  LAST USED   STATE\n"
        f"1   acc_AliceTst  alice  tests        all            {everything}  2026-11-02  never    2026-11-03  active\n"
        f"3   acc_AliceCi1  alice  ci \\x1b[2J   project-stats  publish{' ' * (len(everything) - 5)}"
        "2026-11-02  never    never       active\n"
        f"2   acc_BobTest1  bob    tests        all            {everything}  2026-11-02  never    never       active\n"
    )
    listed = acc_registry(registry_config, "token", "list", "--user", "bob", "--all").stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["ID", "2", "4", "5"]
    assert listed[2].endswith("revoked 2026-11-04") and listed[3].endswith("expired")
    rows = json.loads(acc_registry(registry_config, "token", "list", "--all", "--json").stdout)
    assert rows[1] == {
        "id": 3,
        "prefix": "acc_AliceCi1",
        "user": "alice",
        "description": "ci \x1b[2J",
        "plugins": ["project-stats"],
        "permissions": ["publish"],
        "created_at": "2026-11-02T09:30:00Z",
        "expires_at": None,
        "last_used_at": None,
        "revoked_at": None,
        "state": "active",
    }
    assert [(r["id"], r["state"]) for r in rows] == [
        (1, "active"),
        (3, "active"),
        (2, "active"),
        (4, "revoked"),
        (5, "expired"),
    ]


def test_token_revoke_by_prefix_id_or_text_is_idempotent_and_stops_the_token(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, alice: Publisher, tokens: dict[str, str]
) -> None:
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 200
    assert acc_registry(registry_config, "token", "revoke", "acc_AliceT").stdout == (
        "revoked token acc_AliceTst (id 1) of alice\n"
    )
    response = client.get("/api/v1/account/tokens", headers=alice.auth)
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]["message"]
    assert _audit(app, "revoke_token") == [("operator", "alice acc_AliceTst")]
    assert _last_notification(app, "alice")[0] == "token_revoked"

    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(ApiToken).where(ApiToken.id == 1).values(revoked_at=FIXED))
    assert acc_registry(registry_config, "token", "revoke", "1").stdout == (
        "token acc_AliceTst (id 1) of alice was already revoked on 2026-11-02 09:30 UTC\n"
    )
    assert len(_audit(app, "revoke_token")) == 1  # the repeat changed nothing

    assert acc_registry(registry_config, "token", "revoke", tokens["bob-expired"]).stdout == (
        "revoked token acc_BobExp11 (id 5) of bob\n"
    )
    assert (
        acc_registry(registry_config, "token", "revoke", "3").stdout == "revoked token acc_AliceCi1 (id 3) of alice\n"
    )


def test_token_revoke_refuses_ambiguous_unknown_and_malformed_references(
    registry_config: RegistryConfig, tokens: dict[str, str]
) -> None:
    assert acc_registry(registry_config, "token", "revoke", "acc_Bob", code=1).stderr == (
        "error: acc_Bob is the start of 3 tokens' prefixes: acc_BobTest1 (id 2, bob), acc_BobOld11 (id 4, bob), "
        "acc_BobExp11 (id 5, bob)\n"
        "  hint: give a longer prefix, or the token's id\n"
    )
    # '_' is a LIKE wildcard: it must match itself only.
    assert acc_registry(registry_config, "token", "revoke", "acc_Alice_", code=1).stderr == (
        "error: no token's prefix starts with acc_Alice_\n  hint: list them with `acc registry token list --all`\n"
    )
    assert acc_registry(registry_config, "token", "revoke", "99", code=1).stderr == (
        "error: no token has the id 99\n  hint: list them with `acc registry token list --all`\n"
    )
    assert acc_registry(registry_config, "token", "revoke", "99999999999999999999", code=1).stderr == (
        "error: no token has the id 99999999999999999999\n  hint: list them with `acc registry token list --all`\n"
    )
    assert acc_registry(registry_config, "token", "revoke", "acc_" + "x" * 40, code=1).stderr == (
        "error: no token of this registry is that text\n  hint: check it was copied whole\n"
    )
    assert acc_registry(registry_config, "token", "revoke", "laptop", code=1).stderr == (
        "error: 'laptop' is neither a token id nor a token prefix\n"
        "  hint: give the number in the ID column or a prefix such as acc_AbCd (`acc registry token list --all` "
        "shows both)\n"
    )
