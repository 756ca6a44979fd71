"""Least privilege for API tokens: every write endpoint checks the token's permission and the
plugins it is limited to, refusals change nothing, and the audit log names the token.

The table WRITES lists every write endpoint of the API; a test checks it against the app's
routes, so a new write endpoint must be added here (and so gets these checks) or fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.api_auth import SAFE_METHODS, requirement_of
from registry.config import RegistryConfig
from registry.models import ApiToken, AuditEntry, Collaborator, PublisherKey, SigstoreIdentity, Version
from registry.operator import create_token_command
from registry.permissions import PLUGIN_SCOPED, Permission
from sdk.archive import PluginArchive
from tests.registry_kit import ALL_PERMISSIONS, Publisher, error_code, publish, sign, variant

pytestmark = pytest.mark.usefixtures("database_url")

MINE = "project-stats"  # the plugin the limited token is for
OTHER = "other-stats"  # another plugin of the same account


@dataclass(frozen=True)
class Write:
    method: str
    rule: str  # the Flask rule, as in app.url_map
    path: str  # a concrete URL acting on OTHER (or on the account)
    permission: Permission | None  # None: web_only, refused to every token
    body: dict[str, Any] | None = None
    plugin_scoped: bool = True


WRITES = [
    Write("POST", "/api/v1/plugins", "/api/v1/plugins", Permission.PUBLISH),
    Write(
        "POST",
        "/api/v1/plugins/<name>/versions/<version>/yank",
        f"/api/v1/plugins/{OTHER}/versions/1.0.0/yank",
        Permission.YANK,
        {"reason": "mine now"},
    ),
    Write(
        "DELETE",
        "/api/v1/plugins/<name>/versions/<version>/yank",
        f"/api/v1/plugins/{OTHER}/versions/1.0.0/yank",
        Permission.YANK,
    ),
    Write(
        "POST",
        "/api/v1/plugins/<name>/deprecate",
        f"/api/v1/plugins/{OTHER}/deprecate",
        Permission.YANK,
        {"message": "gone"},
    ),
    Write("DELETE", "/api/v1/plugins/<name>/deprecate", f"/api/v1/plugins/{OTHER}/deprecate", Permission.YANK),
    Write(
        "POST",
        "/api/v1/plugins/<name>/collaborators",
        f"/api/v1/plugins/{OTHER}/collaborators",
        Permission.MANAGE_COLLABORATORS,
        {"user": "mallory"},
    ),
    Write(
        "DELETE",
        "/api/v1/plugins/<name>/collaborators/<other>",
        f"/api/v1/plugins/{OTHER}/collaborators/bob",
        Permission.MANAGE_COLLABORATORS,
    ),
    Write("PUT", "/api/v1/plugins/<name>/reviews", f"/api/v1/plugins/{OTHER}/reviews", Permission.REVIEW, {"stars": 1}),
    Write(
        "POST",
        "/api/v1/plugins/<name>/reports",
        f"/api/v1/plugins/{OTHER}/reports",
        Permission.REVIEW,
        {"reason": "spam"},
    ),
    Write(
        "DELETE",
        "/api/v1/account/tokens/<int:token_id>",
        "/api/v1/account/tokens/{main_token_id}",
        Permission.MANAGE_ACCOUNT,
        plugin_scoped=False,
    ),
    Write("POST", "/api/v1/account/keys", "/api/v1/account/keys", None, {"public_key": "{attacker_key}"}),
    Write(
        "POST",
        "/api/v1/account/identities",
        "/api/v1/account/identities",
        None,
        {"identity": "thief@example.com", "issuer": "https://github.com/login/oauth"},
    ),
]


@pytest.fixture
def two_plugins(
    client: FlaskClient, alice: Publisher, bob: Publisher, mallory: Publisher, example_archive: PluginArchive
) -> Publisher:
    """alice owns project-stats and other-stats 1.0.0; bob collaborates on other-stats."""
    for name in (MINE, OTHER):
        response = publish(client, alice, variant(example_archive, name=name, version="1.0.0"))
        assert response.status_code == 201, response.get_json()
    added = client.post(f"/api/v1/plugins/{OTHER}/collaborators", json={"user": "bob"}, headers=alice.auth)
    assert added.status_code == 201
    return alice


@pytest.fixture
def mallory(registry_config: RegistryConfig, tmp_path: Any) -> Publisher:
    from tests.registry_kit import make_publisher

    return make_publisher(registry_config, "mallory", tmp_path / "keys")


def token_for(
    config: RegistryConfig, user: str, *, permissions: list[str], plugins: list[str] | None = None
) -> dict[str, str]:
    text = create_token_command(config, user, plugins or [], 30, "scope test", permissions)
    return {"Authorization": f"Bearer {text}"}


def state(app: Flask) -> dict[str, Any]:
    """Everything a refused write must leave alone."""
    with app.extensions["acc_registry"].db.read() as session:
        return {
            "audit": session.execute(select(func.count(AuditEntry.id))).scalar_one(),
            "versions": sorted(
                (v.plugin.name, v.version, v.yanked) for v in session.execute(select(Version)).scalars()
            ),
            "collaborators": session.execute(select(func.count(Collaborator.id))).scalar_one(),
            "keys": session.execute(select(func.count(PublisherKey.id))).scalar_one(),
            "identities": session.execute(select(func.count(SigstoreIdentity.id))).scalar_one(),
            "revoked": session.execute(
                select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_not(None))
            ).scalar_one(),
        }


def send(client: FlaskClient, write: Write, headers: dict[str, str], values: dict[str, str], upload: Any) -> Any:
    path = write.path.format(**values)
    if write.rule == "/api/v1/plugins":
        return upload(headers)
    body = {k: v.format(**values) if isinstance(v, str) else v for k, v in (write.body or {}).items()}
    return client.open(path, method=write.method, headers=headers, json=body if write.body else None)


@pytest.fixture
def values(app: Flask, alice: Publisher, tmp_path: Any) -> dict[str, str]:
    from sdk.signing import generate_keypair

    generate_keypair(tmp_path / "attacker.key")
    with app.extensions["acc_registry"].db.read() as session:
        main = session.execute(select(ApiToken).where(ApiToken.prefix == alice.token[:12])).scalar_one()
    return {"main_token_id": str(main.id), "attacker_key": (tmp_path / "attacker.key.pub").read_text()}


# -- the table is complete -------------------------------------------------------------------


def test_every_write_endpoint_of_the_api_declares_what_its_token_needs(app: Flask) -> None:
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in (rule.methods or set()) - SAFE_METHODS:
            routed.add((method, rule.rule))
            assert requirement_of(app.view_functions[rule.endpoint]) is not None, (method, rule.rule)
    assert routed == {(w.method, w.rule) for w in WRITES}, "add the new write endpoint to WRITES"


# -- scope escapes ---------------------------------------------------------------------------


def test_a_token_without_the_permission_is_refused_on_every_write_endpoint_and_nothing_changes(
    subtests: pytest.Subtests,
    app: Flask,
    client: FlaskClient,
    registry_config: RegistryConfig,
    two_plugins: Publisher,
    example_archive: PluginArchive,
    values: dict[str, str],
) -> None:
    alice = two_plugins
    other_version = variant(example_archive, name=OTHER, version="6.6.6")

    def upload(headers: dict[str, str]) -> Any:
        return publish(
            client, Publisher(alice.name, headers["Authorization"][7:], alice.key, alice.keys_dir), other_version
        )

    lacking = {
        permission: token_for(registry_config, "alice", permissions=[p for p in ALL_PERMISSIONS if p != permission])
        for permission in ALL_PERMISSIONS
    }
    before = state(app)
    for write in WRITES:
        if write.permission is None:
            continue
        with subtests.test(f"{write.method} {write.rule} without {write.permission.value}"):
            response = send(client, write, lacking[write.permission.value], values, upload)
            assert response.status_code == 403, response.get_json()
            assert error_code(response) == "insufficient_scope"
            assert write.permission.value in response.get_json()["error"]["message"]
    assert state(app) == before


def test_a_token_limited_to_one_plugin_is_refused_on_every_write_to_another(
    subtests: pytest.Subtests,
    app: Flask,
    client: FlaskClient,
    registry_config: RegistryConfig,
    two_plugins: Publisher,
    example_archive: PluginArchive,
    values: dict[str, str],
) -> None:
    """The reported attack: a token for plugin A yanked, deprecated and took over plugin B,
    added a key and an identity to the account and revoked its main token."""
    alice = two_plugins
    limited = token_for(registry_config, "alice", permissions=[p.value for p in PLUGIN_SCOPED], plugins=[MINE])
    other_version = variant(example_archive, name=OTHER, version="6.6.6")

    def upload(headers: dict[str, str]) -> Any:
        return publish(
            client, Publisher(alice.name, headers["Authorization"][7:], alice.key, alice.keys_dir), other_version
        )

    before = state(app)
    for write in WRITES:
        with subtests.test(f"{write.method} {write.rule} with a token for {MINE}"):
            response = send(client, write, limited, values, upload)
            assert response.status_code == 403, response.get_json()
            expected = "web_only" if write.permission is None else "insufficient_scope"
            assert error_code(response) == expected
    assert state(app) == before
    # The main token still works, and OTHER is untouched in its signed index too.
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 200
    assert client.get(f"/api/v1/plugins/{OTHER}").get_json()["deprecated"] is None


def test_a_token_with_every_permission_cannot_add_a_key_or_an_identity(
    app: Flask, client: FlaskClient, two_plugins: Publisher, values: dict[str, str]
) -> None:
    alice = two_plugins
    before = state(app)
    for write in (w for w in WRITES if w.permission is None):
        response = send(client, write, alice.auth, values, upload=None)
        assert response.status_code == 403 and error_code(response) == "web_only"
        assert "account page" in response.get_json()["error"]["hint"]
    assert state(app) == before


def test_the_limited_token_still_acts_on_its_own_plugin(
    client: FlaskClient, registry_config: RegistryConfig, two_plugins: Publisher
) -> None:
    limited = token_for(registry_config, "alice", permissions=["yank"], plugins=[MINE])
    url = f"/api/v1/plugins/{MINE}/versions/1.0.0/yank"
    assert client.post(url, json={"reason": "broken"}, headers=limited).status_code == 200
    assert client.delete(url, headers=limited).status_code == 200


def test_any_token_may_revoke_itself_but_only_manage_account_revokes_others(
    client: FlaskClient, registry_config: RegistryConfig, two_plugins: Publisher, values: dict[str, str]
) -> None:
    alice = two_plugins
    publish_only = token_for(registry_config, "alice", permissions=["publish"])
    mine = [
        t
        for t in client.get("/api/v1/account/tokens", headers=publish_only).get_json()["tokens"]
        if t["description"] == "scope test"
    ]
    assert mine and mine[0]["permissions"] == ["publish"]
    main = f"/api/v1/account/tokens/{values['main_token_id']}"
    assert client.delete(main, headers=publish_only).status_code == 403
    assert client.delete(f"/api/v1/account/tokens/{mine[0]['id']}", headers=publish_only).status_code == 200
    assert client.get("/api/v1/account/tokens", headers=publish_only).status_code == 401  # revoked itself
    manager = token_for(registry_config, "alice", permissions=["manage-account"])
    assert client.delete(main, headers=manager).status_code == 200
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 401


def test_a_new_token_may_publish_and_yank_by_default_and_nothing_else(
    client: FlaskClient, registry_config: RegistryConfig, two_plugins: Publisher
) -> None:
    text = create_token_command(registry_config, "alice", [], 30, "defaults")
    headers = {"Authorization": f"Bearer {text}"}
    listed = [
        t
        for t in client.get("/api/v1/account/tokens", headers=headers).get_json()["tokens"]
        if t["description"] == "defaults"
    ]
    assert listed[0]["permissions"] == ["publish", "yank"]
    assert client.post(f"/api/v1/plugins/{OTHER}/deprecate", json={"message": "m"}, headers=headers).status_code == 200
    refused = client.post(f"/api/v1/plugins/{OTHER}/collaborators", json={"user": "mallory"}, headers=headers)
    assert refused.status_code == 403 and error_code(refused) == "insufficient_scope"


# -- the audit log names the token -----------------------------------------------------------


def test_the_audit_log_records_which_token_made_each_write(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, two_plugins: Publisher
) -> None:
    limited_text = create_token_command(registry_config, "alice", [MINE], 30, "ci", ["yank"])
    headers = {"Authorization": f"Bearer {limited_text}"}
    assert client.post(f"/api/v1/plugins/{MINE}/deprecate", json={"message": "old"}, headers=headers).status_code == 200
    with app.extensions["acc_registry"].db.read() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        token_id = session.execute(select(ApiToken.id).where(ApiToken.prefix == limited_text[:12])).scalar_one()
    last = entries[-1]
    assert (last.actor, last.action, last.target) == ("alice", "deprecate", MINE)
    assert (last.token_id, last.token_prefix) == (token_id, limited_text[:12])
    publishes = [e for e in entries if e.action == "publish"]
    assert publishes and all(e.token_prefix == two_plugins.token[:12] for e in publishes)
    operator = [e for e in entries if e.actor == "operator"]
    assert operator and all(e.token_id is None for e in operator), "operator commands use no token"


# -- publishing someone else's archive -------------------------------------------------------


def test_a_non_owner_retrying_the_owners_exact_archive_is_refused(
    client: FlaskClient, two_plugins: Publisher, mallory: Publisher, example_archive: PluginArchive
) -> None:
    data = variant(example_archive, name=OTHER, version="1.0.0")
    for signature in (sign(data, mallory.key), sign(data, two_plugins.key)):
        response = publish(client, mallory, data, signature)
        assert response.status_code == 403, response.get_json()
        assert error_code(response) == "forbidden" and "belongs to alice" in response.get_json()["error"]["message"]
    assert publish(client, two_plugins, data).status_code == 200, "the owner's retry is still idempotent"


def test_a_token_limited_to_plugins_cannot_be_given_an_account_wide_permission(
    registry_config: RegistryConfig, two_plugins: Publisher
) -> None:
    from registry.errors import ApiError

    with pytest.raises(ApiError, match="limited to named plugins cannot have the manage-account"):
        create_token_command(registry_config, "alice", [MINE], 30, "", ["publish", "manage-account"])
