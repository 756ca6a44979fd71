"""Tokens, yanks, deprecation, collaborators, reviews and reports through the JSON API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry.config import RegistryConfig
from registry.models import ApiToken, AuditEntry, utcnow
from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, config_for, error_code, publish, variant

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
def published(client: FlaskClient, alice: Publisher, example_archive: PluginArchive) -> str:
    for version in ("1.0.0", "1.1.0"):
        assert publish(client, alice, variant(example_archive, version=version)).status_code == 201
    return "project-stats"


def _index(client: FlaskClient, app: Flask, name: str) -> dict[str, object]:
    """The plugin's current signed index target, read back through the TUF endpoints."""
    registry = app.extensions["acc_registry"]
    with registry.db.read() as session:
        bins = registry.tuf._succinct_roles(session)
        role = bins.get_role_for_target(f"{name}/index.json")
        md = registry.tuf.latest(session, role)
    target = md.signed.targets[f"{name}/index.json"]
    response = client.get(f"/tuf/targets/{name}/{target.hashes['sha256']}.index.json")
    assert response.status_code == 200
    return json.loads(response.data)  # type: ignore[no-any-return]


def test_requests_without_a_token_get_401_with_a_hint(client: FlaskClient, published: str) -> None:
    response = client.post(f"/api/v1/plugins/{published}/versions/1.0.0/yank", json={"reason": "x"})
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "--token" in response.get_json()["error"]["hint"]


def test_an_unknown_token_is_refused(client: FlaskClient, published: str) -> None:
    response = client.post(
        f"/api/v1/plugins/{published}/versions/1.0.0/yank",
        json={"reason": "x"},
        headers={"Authorization": "Bearer acc_notarealtoken"},
    )
    assert response.status_code == 401
    assert "not valid" in response.get_json()["error"]["message"]


def test_an_expired_token_is_refused(app: Flask, client: FlaskClient, alice: Publisher, published: str) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.post(f"/api/v1/plugins/{published}/versions/1.0.0/yank", json={"reason": "x"}, headers=alice.auth)
    assert response.status_code == 401
    assert "expired" in response.get_json()["error"]["message"]


def test_a_revoked_token_stops_working(client: FlaskClient, alice: Publisher, published: str) -> None:
    tokens = client.get("/api/v1/account/tokens", headers=alice.auth).get_json()["tokens"]
    assert len(tokens) == 1 and tokens[0]["revoked_at"] is None
    assert client.delete(f"/api/v1/account/tokens/{tokens[0]['id']}", headers=alice.auth).status_code == 200
    response = client.get("/api/v1/account/tokens", headers=alice.auth)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_malformed_json_gets_a_clear_400(client: FlaskClient, alice: Publisher, published: str) -> None:
    response = client.post(
        f"/api/v1/plugins/{published}/versions/1.0.0/yank",
        data=b"{reason:",
        content_type="application/json",
        headers=alice.auth,
    )
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_yank_marks_the_version_in_the_signed_index_and_unyank_restores_it(
    app: Flask, client: FlaskClient, alice: Publisher, published: str
) -> None:
    response = client.post(
        f"/api/v1/plugins/{published}/versions/1.1.0/yank", json={"reason": "corrupts caches"}, headers=alice.auth
    )
    assert response.status_code == 200
    versions = {v["version"]: v for v in _index(client, app, published)["versions"]}  # type: ignore[attr-defined]
    assert versions["1.1.0"]["yanked"] is True and versions["1.1.0"]["yank_reason"] == "corrupts caches"
    assert versions["1.0.0"]["yanked"] is False
    assert client.get(f"/api/v1/plugins/{published}").get_json()["latest_version"] == "1.0.0"

    assert client.delete(f"/api/v1/plugins/{published}/versions/1.1.0/yank", headers=alice.auth).status_code == 200
    versions = {v["version"]: v for v in _index(client, app, published)["versions"]}  # type: ignore[attr-defined]
    assert versions["1.1.0"]["yanked"] is False
    assert client.get(f"/api/v1/plugins/{published}").get_json()["latest_version"] == "1.1.0"


def test_a_yank_needs_a_reason(client: FlaskClient, alice: Publisher, published: str) -> None:
    response = client.post(
        f"/api/v1/plugins/{published}/versions/1.1.0/yank", json={"reason": "  "}, headers=alice.auth
    )
    assert response.status_code == 400


def test_a_yanked_version_number_is_never_reused(
    client: FlaskClient, alice: Publisher, published: str, example_archive: PluginArchive
) -> None:
    client.post(f"/api/v1/plugins/{published}/versions/1.1.0/yank", json={"reason": "bad"}, headers=alice.auth)
    response = publish(client, alice, variant(example_archive, version="1.1.0", description="fixed"))
    assert response.status_code == 409
    assert error_code(response) == "version_exists"


def test_only_owners_and_collaborators_may_yank(
    client: FlaskClient, alice: Publisher, bob: Publisher, published: str, example_archive: PluginArchive
) -> None:
    url = f"/api/v1/plugins/{published}/versions/1.0.0/yank"
    assert client.post(url, json={"reason": "mine now"}, headers=bob.auth).status_code == 403
    added = client.post(f"/api/v1/plugins/{published}/collaborators", json={"user": "bob"}, headers=alice.auth)
    assert added.status_code == 201
    assert client.post(url, json={"reason": "broken on ARM"}, headers=bob.auth).status_code == 200
    assert publish(client, bob, variant(example_archive, version="1.2.0")).status_code == 201
    assert (
        client.post(f"/api/v1/plugins/{published}/collaborators", json={"user": "alice"}, headers=bob.auth).status_code
        == 403
    )


def test_deprecation_is_shown_and_signed(app: Flask, client: FlaskClient, alice: Publisher, published: str) -> None:
    response = client.post(
        f"/api/v1/plugins/{published}/deprecate", json={"message": "use repo-stats"}, headers=alice.auth
    )
    assert response.status_code == 200
    assert client.get(f"/api/v1/plugins/{published}").get_json()["deprecated"] == "use repo-stats"
    assert _index(client, app, published)["deprecated"] == "use repo-stats"


def test_one_review_per_account_is_editable_and_aggregated(
    client: FlaskClient, alice: Publisher, bob: Publisher, published: str
) -> None:
    url = f"/api/v1/plugins/{published}/reviews"
    assert client.put(url, json={"stars": 5, "text": "great"}, headers=bob.auth).status_code == 200
    assert client.put(url, json={"stars": 2, "text": "meh"}, headers=alice.auth).status_code == 200
    edited = client.put(url, json={"stars": 4, "text": "better now"}, headers=bob.auth).get_json()
    assert (edited["rating"], edited["rating_count"]) == (3.0, 2)
    reviews = client.get(url).get_json()
    assert sorted((r["user"], r["stars"]) for r in reviews["reviews"]) == [("alice", 2), ("bob", 4)]


@pytest.mark.parametrize("stars", [0, 6, "5", 4.5, True, None])
def test_stars_outside_one_to_five_are_refused(
    client: FlaskClient, bob: Publisher, published: str, stars: object
) -> None:
    response = client.put(f"/api/v1/plugins/{published}/reviews", json={"stars": stars}, headers=bob.auth)
    assert response.status_code == 400
    assert "1 to 5" in response.get_json()["error"]["message"]


def test_every_write_is_in_the_audit_log(app: Flask, client: FlaskClient, alice: Publisher, published: str) -> None:
    client.post(f"/api/v1/plugins/{published}/versions/1.0.0/yank", json={"reason": "old"}, headers=alice.auth)
    client.post(f"/api/v1/plugins/{published}/reports", json={"reason": "spam"}, headers=alice.auth)
    with app.extensions["acc_registry"].db.read() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        log = [(e.actor, e.action, e.target) for e in entries]
        assert all(e.remote_addr for e in entries)
    assert log[-4:] == [
        ("alice", "publish", "project-stats 1.0.0"),
        ("alice", "publish", "project-stats 1.1.0"),
        ("alice", "yank", "project-stats 1.0.0"),
        ("alice", "report", "project-stats"),
    ]


def test_writes_are_rate_limited_per_client(registry_config: RegistryConfig, alice: Publisher) -> None:
    from registry.app import create_app

    app = create_app(config_for(registry_config.data_dir, registry_config.database_url, write_rate_per_minute=3))
    client = app.test_client()
    erin = alice
    statuses = [client.get("/api/v1/account/tokens", headers=erin.auth).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/account/tokens", headers=erin.auth)
    assert error_code(limited) == "rate_limited" and int(limited.headers["Retry-After"]) > 0
    app.extensions["acc_registry"].db.dispose()
