"""`acc registry plugin transfer` on a real registry: publish rights move with the owner,
through the app's own checks, for the owners' tokens (including ones limited to the
plugin), and the signed index names the new owner."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.config import RegistryConfig
from registry.models import AuditEntry, Notification, Plugin, User
from registry.operator import create_token_command
from sdk.archive import PluginArchive
from sdk.names import confusable_key
from tests.registry.operator_cli import acc_registry, signed_index
from tests.registry_kit import Publisher, error_code, publish, variant


def _bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


def _notified(app: Flask, name: str) -> list[str]:
    with app.extensions["acc_registry"].db.read() as session:
        rows = session.execute(
            select(Notification.kind).join(User, Notification.user_id == User.id).where(User.name == name)
        )
        return list(rows.scalars())


def test_transfer_moves_publish_rights_and_keeps_the_old_owner_as_collaborator(
    app: Flask,
    client: FlaskClient,
    registry_config: RegistryConfig,
    alice: Publisher,
    bob: Publisher,
    example_archive: PluginArchive,
) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        alice_id = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        session.add(Plugin(name="project-stats", confusable_key=confusable_key("project-stats"), owner_id=alice_id))
    alices_ci = create_token_command(
        registry_config, "alice", ["project-stats"], 30, "ci", ["publish", "yank", "manage-collaborators"]
    )
    archive = variant(example_archive, version="1.0.0")
    # Before: the name is alice's, and bob's upload is refused by the publish pipeline's own check.
    refused = publish(client, bob, archive)
    assert (refused.status_code, refused.get_json()["error"]["message"]) == (
        403,
        "the plugin name 'project-stats' belongs to alice",
    )

    assert acc_registry(registry_config, "plugin", "transfer", "project-stats", "bob").stdout == (
        "transferred project-stats from alice to bob; alice stays a collaborator\n"
    )
    assert signed_index(client, app, "project-stats")["owner"] == "bob"

    # bob's token for all his plugins now publishes it, signed with bob's own key.
    assert publish(client, bob, archive).status_code == 201
    detail = client.get("/api/v1/plugins/project-stats").get_json()
    assert (detail["owner"], detail["collaborators"]) == ("bob", ["alice"])
    # alice's token limited to the plugin still yanks it (she collaborates) ...
    yank = client.post(
        "/api/v1/plugins/project-stats/versions/1.0.0/yank", json={"reason": "try"}, headers=_bearer(alices_ci)
    )
    assert yank.status_code == 200, yank.get_json()
    # ... but managing collaborators is the owner's alone now.
    add = client.post("/api/v1/plugins/project-stats/collaborators", json={"user": "bob"}, headers=_bearer(alices_ci))
    assert (add.status_code, add.get_json()["error"]["message"]) == (
        403,
        "only the owner of project-stats may add collaborators",
    )
    with app.extensions["acc_registry"].db.read() as session:
        (entry,) = session.execute(select(AuditEntry).where(AuditEntry.action == "transfer_plugin")).scalars()
        assert (entry.actor, entry.target, entry.detail) == (
            "operator",
            "project-stats",
            {"old_owner": "alice", "new_owner": "bob", "old_owner_kept": True},
        )
    assert _notified(app, "alice")[-1] == _notified(app, "bob")[-1] == "plugin_transferred"

    # Transferring back to the owner it has changes nothing.
    assert acc_registry(registry_config, "plugin", "transfer", "project-stats", "bob").stdout == (
        "project-stats is already owned by bob: nothing to do\n"
    )


def test_transfer_with_drop_old_owner_leaves_the_old_owners_tokens_nothing_on_it(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, alice: Publisher, bob: Publisher
) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        alice_id = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        session.add(Plugin(name="solo-stats", confusable_key=confusable_key("solo-stats"), owner_id=alice_id))
    scoped = create_token_command(registry_config, "alice", ["solo-stats"], 30, "ci", ["publish", "yank"])
    assert (
        client.post("/api/v1/plugins/solo-stats/deprecate", json={"message": "m"}, headers=_bearer(scoped)).status_code
        == 200
    )

    result = acc_registry(registry_config, "plugin", "transfer", "solo-stats", "bob", "--drop-old-owner")
    assert result.stdout == "transferred solo-stats from alice to bob; alice no longer has any rights on it\n"

    for headers in (_bearer(scoped), alice.auth):
        response = client.delete("/api/v1/plugins/solo-stats/deprecate", headers=headers)
        assert (response.status_code, error_code(response)) == (403, "forbidden")
        assert response.get_json()["error"]["message"] == "only the owner and collaborators of solo-stats may change it"
    assert client.delete("/api/v1/plugins/solo-stats/deprecate", headers=bob.auth).status_code == 200
    assert signed_index(client, app, "solo-stats")["owner"] == "bob"
    with app.extensions["acc_registry"].db.read() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == "solo-stats")).scalar_one()
        assert (plugin.owner.name, plugin.collaborators) == ("bob", [])


def test_transfer_refusals_are_named(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, bob: Publisher
) -> None:
    assert acc_registry(registry_config, "plugin", "transfer", "nothing-here", "bob", code=1).stderr == (
        "error: no plugin named 'nothing-here'\n"
    )
    with app.extensions["acc_registry"].db.write() as session:
        alice_id = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        session.add(Plugin(name="solo-stats", confusable_key=confusable_key("solo-stats"), owner_id=alice_id))
    assert acc_registry(registry_config, "plugin", "transfer", "solo-stats", "zed", code=1).stderr == (
        "error: no user named 'zed'\n"
    )
    acc_registry(registry_config, "user", "disable", "bob", "--reason", "gone")
    assert acc_registry(registry_config, "plugin", "transfer", "solo-stats", "bob", code=1).stderr == (
        "error: bob's account is disabled: a plugin cannot be given to it\n"
        "  hint: enable it first (`acc registry user enable bob`), or choose another account\n"
    )
